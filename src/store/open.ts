/**
 * `openStore(url)`: the one way to open a store. The adapter is loaded only when its URL is used, so the embedded
 * store never loads the PostgreSQL driver and the other way round.
 */
import { type Store, type StoreEnv, systemEnv } from "./store.ts";
import { parseStoreUrl } from "./url.ts";

export interface OpenStoreOptions {
  /** Clock and id generator (tests and reproducible runs pass their own). */
  env?: Partial<StoreEnv>;
  /** Folder that relative `sqlite:` paths are resolved against (default: the process's). */
  cwd?: string;
  /** SQLite: how long a write waits for another process's lock before `store_unavailable` (default 15 s). */
  sqliteBusyTimeoutMs?: number;
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const env: StoreEnv = { ...systemEnv, ...opts.env };
  const u = parseStoreUrl(url, opts.cwd);
  if (u.engine === "sqlite") {
    const { openSqliteStore } = await import("./sqlite/index.ts");
    return openSqliteStore(u.path, env, opts.sqliteBusyTimeoutMs !== undefined ? { busyTimeoutMs: opts.sqliteBusyTimeoutMs } : {});
  }
  const { openPostgresStore } = await import("./postgres/index.ts");
  return openPostgresStore(u, env);
}
