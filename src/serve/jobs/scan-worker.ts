/**
 * A scan started through the API, run on a worker thread with its own store connection, so auditing a million
 * devices never holds up the service's event loop. Posts progress while it runs and the outcome at the end.
 */
import { parentPort, workerData } from "node:worker_threads";
import { allRules } from "../../audit/rules/index.ts";
import { runScan } from "../../audit/scan.ts";
import { errorCode } from "../../core/errors.ts";
import { keyedDigester, loadSecretKey } from "../../inventory/secrets.ts";
import { openStore } from "../../store/open.ts";

export interface ScanJobRequest {
  storeUrl: string;
  dataDir: string;
  now: number;
  /** Rule ids to run (default all). */
  rules?: string[];
}

export type ScanWorkerMessage =
  | { type: "progress"; phase: "import" | "audit"; done: number; total: number }
  | { type: "done"; result: { scan_id: number; devices: number; findings: number; fixed: number; counts: Record<string, number> } }
  | { type: "error"; code: string; message: string };

const req = workerData as ScanJobRequest;
const post = (m: ScanWorkerMessage) => parentPort!.postMessage(m);
let last = 0;
try {
  const store = await openStore(req.storeUrl);
  try {
    const rules = req.rules ? allRules.filter((r) => req.rules!.includes(r.id)) : allRules;
    const outcome = await runScan({
      store,
      rules,
      now: req.now,
      keyedDigest: keyedDigester(loadSecretKey(req.dataDir)),
      onIssue: () => undefined,
      onProgress: (phase, done, total) => {
        const t = Date.now();
        if (t - last < 100 && done < total) return;
        last = t;
        post({ type: "progress", phase, done, total });
      },
    });
    if (outcome.stopped) throw new Error("the scan stopped");
    const a = outcome.audit;
    post({ type: "done", result: { scan_id: a.scanId, devices: a.devices, findings: a.findings, fixed: a.fixed.length, counts: a.counts as Record<string, number> } });
  } finally {
    await store.close();
  }
} catch (e) {
  post({ type: "error", code: errorCode(e), message: e instanceof Error ? e.message : String(e) });
}
