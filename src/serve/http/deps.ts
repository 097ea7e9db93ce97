/** What the routes get besides their request: the store, the clock, the log, and the service's parts. */
import type { RespondSettings } from "../../respond/settings.ts";
import type { Store } from "../../store/store.ts";
import type { Logger } from "../log.ts";
import type { ScanJobs } from "../jobs/scans.ts";
import type { HttpMetrics } from "./metrics.ts";
import type { LoginLimiter } from "./rate-limit.ts";

/** The ingest pipeline's side of POST /api/v1/records (serve-live's pipeline satisfies it). */
export interface RecordsIngest {
  ingest(body: Uint8Array, format?: string, origin?: { source?: string; name?: string; mapping?: unknown }): Promise<{ accepted: number; rejected: number; rejects: { line: number; reason: string }[]; late?: number }>;
  readonly ready: boolean;
}

export interface ServiceDeps {
  store: Store;
  clock: () => number;
  log: Logger;
  /** Serving HTTPS (session cookies are then Secure). */
  tls: boolean;
  loginLimiter: LoginLimiter;
  sessionTtlMs: number;
  /** The data folder (the store's secret key). */
  dataDir: string;
  ingest?: RecordsIngest;
  /** Extra Prometheus text appended to /metrics (the pipeline's counters). */
  metricsText?: () => string;
  httpMetrics: HttpMetrics;
  scans: ScanJobs;
  /**
   * True while a scan job holds SQLite's one write lock. Changes made meanwhile wait for it (on timers: the event loop
   * stays free, store/sqlite); only best-effort writes (a token's last use) are skipped rather than hold up requests.
   */
  writeLockHeld(): boolean;
  /** The OpenAPI document of the routes served. */
  openapi(): unknown;
  /** The respond settings (connectors, approvals, budget); the defaults when absent. */
  respond?: RespondSettings;
  /** Whether the service is ready (store open, pipeline started). */
  ready(): Promise<boolean>;
}
