/**
 * Store URLs: `sqlite:PATH` (a file; `sqlite::memory:` for a throwaway store) and
 * `postgres://user[:password]@host[:port]/database[?schema=NAME]` (also `postgresql://`). One name for a store on
 * every command (`--store`, LONGWATCH_STORE) and in the service.
 */
import { isAbsolute, join, resolve } from "node:path";
import { LongwatchError } from "../core/errors.ts";

export type StoreUrl =
  | { engine: "sqlite"; path: string }
  | { engine: "postgres"; connectionString: string; schema: string; location: string };

/** PostgreSQL identifiers Longwatch accepts as a schema name: plain ones, so they never need quoting rules. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function parseStoreUrl(url: string, cwd = process.cwd()): StoreUrl {
  if (url.startsWith("sqlite:")) {
    let path = url.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2); // sqlite:///abs/file.db and sqlite://rel/file.db
    if (path === "") throw new LongwatchError("usage", `store URL "${url}" names no file: use sqlite:PATH`);
    return { engine: "sqlite", path: path === ":memory:" ? path : isAbsolute(path) ? path : resolve(cwd, path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new LongwatchError("usage", `store URL "${redact(url)}" is not a valid URL`);
    }
    const schema = u.searchParams.get("schema") ?? "public";
    if (!SCHEMA_NAME.test(schema)) throw new LongwatchError("usage", `store URL: schema "${schema}" must be lower-case letters, digits and _ (at most 63), starting with a letter or _`);
    u.searchParams.delete("schema");
    if (u.pathname === "" || u.pathname === "/") throw new LongwatchError("usage", `store URL "${redact(url)}" names no database: postgres://user@host:5432/DATABASE`);
    return { engine: "postgres", connectionString: u.toString(), schema, location: redact(url) };
  }
  throw new LongwatchError("usage", `store URL "${redact(url)}" is neither sqlite:PATH nor postgres://user@host:port/database[?schema=NAME]`);
}

/** The URL without its password, for messages and `store info`. */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/** The store a command uses: `--store`, else LONGWATCH_STORE, else the SQLite file in the data folder. */
export function resolveStoreUrl(o: { store?: string | undefined; env?: string | undefined; dataDir: string }): string {
  const given = o.store ?? (o.env !== undefined && o.env !== "" ? o.env : undefined);
  if (given !== undefined) return given;
  return o.dataDir === ":memory:" ? "sqlite::memory:" : `sqlite:${join(o.dataDir, "longwatch.db")}`;
}
