/**
 * `longwatch serve` as a library call: the HTTP API over an open store (and, when given, the ingest pipeline
 * behind POST /api/v1/records and /metrics). On a store where no one can sign in yet (no live token, no account) it
 * creates a one-time admin token and hands it back for printing — the only time it is ever shown.
 */
import { readFileSync } from "node:fs";
import { LongwatchError, isLongwatchError } from "../core/errors.ts";
import { parseListen } from "./listen.ts";
import type { RespondSettings } from "../respond/settings.ts";
import type { Store } from "../store/store.ts";
import { createToken } from "./auth/tokens.ts";
import type { HttpConfig } from "./config.ts";
import type { RecordsIngest, ServiceDeps } from "./http/deps.ts";
import { HttpMetrics } from "./http/metrics.ts";
import { ScanJobs } from "./jobs/scans.ts";
import { openApiDocument } from "./http/openapi.ts";
import { LoginLimiter } from "./http/rate-limit.ts";
import type { Route } from "./http/route.ts";
import { allRoutes } from "./http/routes/index.ts";
import { type RunningHttpServer, startHttpServer } from "./http/server.ts";
import { WebApp, defaultWebDir } from "./http/static.ts";
import type { Logger } from "./log.ts";

export const FIRST_ADMIN_TOKEN = "initial-admin";

export interface ServiceOptions {
  store: Store;
  /** The store's URL, for the scan worker's own connection. */
  storeUrl?: string;
  config: HttpConfig;
  dataDir: string;
  log: Logger;
  clock?: () => number;
  ingest?: RecordsIngest;
  metricsText?: () => string;
  /** The config file's `respond:` section (approvals, automatic budget and time-to-live, connectors, playbooks). */
  respond?: RespondSettings;
  /** Run after each scan job that succeeded: the pipeline's rule playbooks on the scan's new findings. */
  afterScan?: () => Promise<void>;
  routes?: readonly Route[];
  validateResponses?: boolean;
  /** The built dashboard's folder (default: dist/web); false serves the API only. */
  webDir?: string | false;
  /** Longwatch's version, for the OpenAPI document. */
  version: string;
}

export interface RunningService {
  url: string;
  /** The one-time admin token, when this start created it. */
  adminToken?: string;
  http: RunningHttpServer;
  close(): Promise<void>;
}


/** Creates the first admin token when no one can sign in; two instances starting at once create one between them. */
export async function ensureFirstAdmin(store: Store, now: number): Promise<string | undefined> {
  const c = await store.access.principalCount();
  if (c.tokens > 0 || c.accounts > 0) return undefined;
  try {
    return await store.transaction(async (tx) => {
      const made = await createToken(tx, { name: FIRST_ADMIN_TOKEN, role: "admin", expiresInMs: undefined, by: "longwatch serve (first start)", now });
      await tx.access.appendAudit({ at: new Date(now).toISOString(), actor: "longwatch serve", actor_kind: "system", action: "tokens.create", target_kind: "token", target_id: made.record.name, after: made.record });
      return made.token;
    });
  } catch (e) {
    if (isLongwatchError(e, "conflict")) return undefined;
    throw e;
  }
}

export async function startService(o: ServiceOptions): Promise<RunningService> {
  const clock = o.clock ?? Date.now;
  const routes = o.routes ?? allRoutes;
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (o.config.tls) {
    const read = (f: string, what: string) => {
      try {
        return readFileSync(f);
      } catch (e) {
        throw new LongwatchError("file_not_found", `--tls-${what} ${f}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`, { file: f });
      }
    };
    tls = { cert: read(o.config.tls.cert, "cert"), key: read(o.config.tls.key, "key") };
  }
  const adminToken = await ensureFirstAdmin(o.store, clock());
  const doc = openApiDocument(routes, o.version);
  const scans = new ScanJobs(o.storeUrl, o.dataDir, clock, o.log, o.afterScan);
  const deps: ServiceDeps = {
    store: o.store,
    clock,
    log: o.log,
    tls: tls !== undefined,
    loginLimiter: new LoginLimiter(o.config.login.max_failures, o.config.login.window_minutes * 60_000),
    sessionTtlMs: o.config.session.ttl_hours * 3_600_000,
    dataDir: o.dataDir,
    httpMetrics: new HttpMetrics(),
    scans,
    writeLockHeld: () => o.store.engine === "sqlite" && scans.running !== undefined,
    openapi: () => doc,
    ready: async () => {
      try {
        await o.store.access.principalCount();
      } catch {
        return false;
      }
      return o.ingest === undefined || o.ingest.ready;
    },
    ...(o.ingest ? { ingest: o.ingest } : {}),
    ...(o.metricsText ? { metricsText: o.metricsText } : {}),
    ...(o.respond ? { respond: o.respond } : {}),
  };
  const { host, port } = parseListen(o.config.listen);
  const web = o.webDir === false ? undefined : new WebApp(o.webDir ?? defaultWebDir());
  if (web && !web.available) o.log("warn", "the dashboard is not built, so / serves nothing: run npm run build:web (npm ci does it)", {});
  const served = o.config.metrics_public ? routes.map((r) => (r.id === "meta.metrics" ? { ...r, role: "public" as const } : r)) : routes;
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({ deps, routes: served, host, port, maxJsonBytes: o.config.max_json_bytes, ...(tls ? { tls } : {}), ...(o.validateResponses ? { validateResponses: true } : {}), ...(web?.available ? { web } : {}) });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_OSSL_PEM_NO_START_LINE" || /PEM|key values mismatch|certificate/i.test((e as Error).message)) {
      throw new LongwatchError("invalid_config", `--tls-cert/--tls-key: ${(e as Error).message}`, { key: "tls" }, { cause: e });
    }
    throw e;
  }
  o.log("info", "listening", { url: http.url, store: o.store.location, tls: tls !== undefined, dashboard: web?.available ? `${http.url}/` : null });
  return { url: http.url, ...(adminToken ? { adminToken } : {}), http, close: async () => {
    await http.close();
    await scans.close();
    deps.httpMetrics.loop.close();
  } };
}
