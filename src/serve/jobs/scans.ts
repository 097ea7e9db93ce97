/**
 * Scan jobs: `POST /api/v1/scans` starts one (at most one at a time per service), `GET /api/v1/scan-jobs/{id}`
 * reports its phase, progress and outcome. The scan itself runs on a worker thread (scan-worker.ts) against its own
 * store connection. Jobs are kept in memory (the last 100); the scan's result is in the store like any scan.
 */
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import { type ErrorCode, LongwatchError } from "../../core/errors.ts";
import type { ScanJobRequest, ScanWorkerMessage } from "./scan-worker.ts";
import type { Logger } from "../log.ts";

export interface ScanJob {
  id: string;
  state: "running" | "succeeded" | "failed";
  started_at: string;
  finished_at?: string;
  started_by: string;
  phase?: "import" | "audit" | "rank";
  done: number;
  total: number;
  result?: Extract<ScanWorkerMessage, { type: "done" }>["result"];
  error?: { code: string; message: string };
}

const fromSource = import.meta.url.endsWith(".ts");
const entry = new URL(fromSource ? "./scan-worker.ts" : "./scan-worker.js", import.meta.url);

function startWorker(req: ScanJobRequest): Worker {
  if (!fromSource) return new Worker(entry, { workerData: req });
  // Under tsx (tests, `tsx src/…`) the worker registers tsx first: an --import in execArgv does not reach its entry on Node 20.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: req });
}

/** Jobs kept for GET /api/v1/scan-jobs; older ones are let go. */
export const KEPT_JOBS = 100;

export class ScanJobs {
  private readonly jobs = new Map<string, ScanJob>();
  private readonly workers = new Map<string, Worker>();
  private finished: Promise<void>[] = [];
  /** Whether older jobs than those kept were let go: the list of jobs is then a lower bound. */
  private forgotten = false;

  constructor(
    private readonly storeUrl: string | undefined,
    private readonly dataDir: string,
    private readonly clock: () => number,
    private readonly log?: Logger,
    /** After each scan that succeeded: the rule playbooks on its new findings (the service's pipeline). */
    private readonly afterScan?: () => Promise<void>,
  ) {}

  get running(): ScanJob | undefined {
    return [...this.jobs.values()].find((j) => j.state === "running");
  }

  /** Throws `conflict` when a scan cannot start now (one is running, or the store is in memory). */
  assertCanStart(): void {
    if (this.storeUrl === undefined || this.storeUrl.endsWith(":memory:")) throw new LongwatchError("conflict", "scans need a store another connection can open (not sqlite::memory:)");
    const busy = this.running;
    if (busy) throw new LongwatchError("conflict", `scan job ${busy.id} is still running; wait for it (GET /api/v1/scan-jobs/${busy.id})`, { job_id: busy.id });
  }

  newId(): string {
    return randomUUID();
  }

  start(by: string, rules: string[] | undefined, id: string = randomUUID()): ScanJob {
    this.assertCanStart();
    const job: ScanJob = { id, state: "running", started_at: new Date(this.clock()).toISOString(), started_by: by, done: 0, total: 0 };
    this.jobs.set(job.id, job);
    while (this.jobs.size > KEPT_JOBS) {
      this.jobs.delete(this.jobs.keys().next().value!);
      this.forgotten = true;
    }
    const w = startWorker({ storeUrl: this.storeUrl!, dataDir: this.dataDir, now: this.clock(), ...(rules ? { rules } : {}) });
    this.workers.set(job.id, w);
    const end = (state: "succeeded" | "failed", extra: Partial<ScanJob>) => {
      if (job.state !== "running") return;
      Object.assign(job, { state, finished_at: new Date(this.clock()).toISOString(), ...extra });
    };
    w.on("message", (m: ScanWorkerMessage) => {
      if (m.type === "progress") Object.assign(job, { phase: m.phase, done: m.done, total: m.total });
      else if (m.type === "done") {
        if (m.result.rank_error !== undefined) this.log?.("warn", "scan job done, but the what-if ranking after it failed", { job_id: job.id, scan_id: m.result.scan_id, rank_error: m.result.rank_error });
        end("succeeded", { result: m.result, done: m.result.devices, total: m.result.devices });
        // The scan is committed; its findings are the latest scan's, so the playbooks see them as re-audits do.
        this.afterScan?.().catch((e: unknown) => this.log?.("error", "the playbooks after a scan job failed", { job_id: job.id, error: (e as Error).message }));
      }
      else end("failed", { error: { code: m.code as ErrorCode, message: m.message } });
    });
    w.on("error", (e) => end("failed", { error: { code: "internal", message: e.message } }));
    this.finished.push(
      new Promise<void>((resolve) =>
        w.on("exit", (code) => {
          this.workers.delete(job.id);
          end("failed", { error: { code: "internal", message: `the scan worker exited with code ${code}` } });
          resolve();
        }),
      ),
    );
    return job;
  }

  get(id: string): ScanJob | undefined {
    return this.jobs.get(id);
  }

  /** Newest first: the last KEPT_JOBS jobs; `forgotten` when older ones were let go. */
  list(): { jobs: ScanJob[]; forgotten: boolean } {
    return { jobs: [...this.jobs.values()].reverse(), forgotten: this.forgotten };
  }

  /** Stops running scans (what they wrote stays unfinished, seen by no reader; the next scan removes it) and waits for the workers to exit. */
  async close(): Promise<void> {
    for (const w of this.workers.values()) void w.terminate();
    await Promise.all(this.finished);
  }
}
