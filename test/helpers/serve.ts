/** A real `longwatch serve` HTTP API in-process on a free port over a fresh SQLite store, with a token per role. */
import { join } from "node:path";
import { after } from "node:test";
import type { Role } from "../../src/core/roles.ts";
import { ROLES } from "../../src/core/roles.ts";
import { createToken } from "../../src/serve/auth/tokens.ts";
import { serveConfig } from "../../src/serve/config.ts";
import { type Logger, silentLogger } from "../../src/serve/log.ts";
import { type RunningService, startService } from "../../src/serve/service.ts";
import { createPipeline, pipelineConfig, type Pipeline, type PipelineConfigInput, renderPrometheus } from "../../src/serve/pipeline/index.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { tmpDir } from "./tmp.ts";

export interface TestService {
  url: string;
  store: Store;
  service: RunningService;
  /** A live token per role. */
  tokens: Record<Role, string>;
  adminToken: string;
  logs: Record<string, unknown>[];
  /** The ingest pipeline behind POST /api/v1/records, when asked for with `pipeline`. */
  pipeline?: Pipeline;
  fetch(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<Response>;
}

export async function startTestService(o: { config?: Record<string, unknown>; storeUrl?: string; clock?: () => number; tls?: { cert: string; key: string }; dataDir?: string; pipeline?: PipelineConfigInput } = {}): Promise<TestService> {
  const t = tmpDir();
  const storeUrl = o.storeUrl ?? `sqlite:${join(t.dir, "longwatch.db")}`;
  const store = await openStore(storeUrl);
  const logs: Record<string, unknown>[] = [];
  const log: Logger = (level, msg, fields) => void logs.push({ level, msg, ...fields });
  const { quiet: _q, ...given } = o.config ?? {};
  const full = serveConfig({ listen: "127.0.0.1:0", ...(o.tls ? { tls: o.tls } : {}), ...given });
  const config = full.http;
  const pipeline = o.pipeline ? createPipeline({ store, config: pipelineConfig(o.pipeline), log: () => undefined, respond: full.respond, ...(o.clock ? { clock: o.clock } : {}), sources: false }) : undefined;
  await pipeline?.start();
  const service = await startService({ store, storeUrl, config, dataDir: o.dataDir ?? t.dir, log: o.config?.quiet ? silentLogger : log, version: "test", validateResponses: true, respond: full.respond, ...(o.clock ? { clock: o.clock } : {}), ...(pipeline ? { ingest: pipeline, metricsText: () => renderPrometheus(pipeline.metrics()) } : {}) });
  after(async () => {
    await service.close();
    await pipeline?.stop();
    await store.close();
  });
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await createToken(store, { name: `t-${role}`, role, by: "test", now: Date.now() })).token;
  const fetchIt = (path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? tokens.admin : init.token;
    if (token !== null) headers.set("authorization", `Bearer ${token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    return fetch(`${service.url}${path}`, { ...init, headers, ...(body !== undefined ? { body } : {}) });
  };
  return { url: service.url, store, service, tokens, adminToken: service.adminToken!, logs, ...(pipeline ? { pipeline } : {}), fetch: fetchIt };
}
