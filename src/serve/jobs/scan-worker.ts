/**
 * A scan started through the API, run on a worker thread with its own store connection, so auditing a million
 * devices never holds up the service's event loop. Posts progress while it runs and the outcome at the end. After the
 * scan it ranks and stores the what-if blast radius (`whatif --all`). The scan and its findings are committed before
 * the ranking runs, so a ranking that fails does not fail the job: the job is done, with the failure in `rank_error`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { allRules } from "../../audit/rules/index.ts";
import { runScan } from "../../audit/scan.ts";
import { errorCode } from "../../core/errors.ts";
import { keyedDigester, loadSecretKey } from "../../inventory/secrets.ts";
import { openStore } from "../../store/open.ts";
import { rankAndStore } from "../../whatif/stored.ts";

export interface ScanJobRequest {
  storeUrl: string;
  dataDir: string;
  now: number;
  /** Rule ids to run (default all). */
  rules?: string[];
}

export type ScanWorkerMessage =
  | { type: "progress"; phase: "import" | "audit" | "rank"; done: number; total: number }
  | { type: "done"; result: { scan_id: number; devices: number; findings: number; fixed: number; counts: Record<string, number>; rank_error?: string } }
  | { type: "error"; code: string; message: string };

const req = workerData as ScanJobRequest;
const post = (m: ScanWorkerMessage) => parentPort!.postMessage(m);
let last = 0;
const started = Date.now();
try {
  const store = await openStore(req.storeUrl);
  try {
    const rules = req.rules ? allRules.filter((r) => req.rules!.includes(r.id)) : allRules;
    const outcome = await runScan({
      store,
      rules,
      now: req.now,
      // Nothing to import: findings are written in short transactions, so live ingest's commits need not wait.
      chunked: true,
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
    // The what-if ranking of the fleet as scanned, stored for the dashboard and API (whatif/stored.ts), which must
    // never compute it on a request. Its time is the job's clock plus the time since the job started.
    post({ type: "progress", phase: "rank", done: 0, total: 1 });
    let rankError: string | undefined;
    try {
      await rankAndStore(store, { now: () => req.now + (Date.now() - started), source: "scan-job" });
    } catch (e) {
      rankError = e instanceof Error ? e.message : String(e);
    }
    post({ type: "done", result: { scan_id: a.scanId, devices: a.devices, findings: a.findings, fixed: a.fixed.length, counts: a.counts as Record<string, number>, ...(rankError !== undefined ? { rank_error: rankError } : {}) } });
  } finally {
    await store.close();
  }
} catch (e) {
  post({ type: "error", code: errorCode(e), message: e instanceof Error ? e.message : String(e) });
}
