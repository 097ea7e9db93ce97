/** Opening the SQLite file with the settings every repository relies on, and what its errors mean. */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { LongwatchError } from "../../core/errors.ts";

/** How long a write waits for another process's transaction (an import or scan) before giving up, by default. */
export const BUSY_TIMEOUT_MS = 15_000;

export function openDatabase(file: string, busyTimeoutMs = BUSY_TIMEOUT_MS): Database.Database {
  if (file !== ":memory:") {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    privateFile(file);
  }
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma("journal_mode = WAL");
  } catch (e) {
    throw storeError(e, file, busyTimeoutMs);
  }
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // Bulk imports insert into B-trees keyed by ids in no particular order: the page cache should hold the index of a
  // million device ids (about 40 MiB); more only raises the peak memory of a scan.
  db.pragma("cache_size = -65536");
  db.pragma("temp_store = MEMORY");
  return db;
}

/** A read-only connection to an existing store (a snapshot beside the store's own connection). */
export function openReader(file: string, busyTimeoutMs = BUSY_TIMEOUT_MS): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw storeError(e, file, busyTimeoutMs);
  }
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma("cache_size = -65536");
  db.pragma("temp_store = MEMORY");
  return db;
}

/**
 * The store holds keyed password digests and crypt hashes: its file is the owner's alone (0600), whatever the umask.
 * Made before SQLite opens it (an empty file is an empty database), since SQLite gives its -wal and -shm files the
 * database file's mode. A file someone else owns is left as it is (they chose its mode).
 */
function privateFile(file: string): void {
  try {
    closeSync(openSync(file, "a", 0o600));
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(file, st.mode & 0o700);
  } catch {
    // Unreadable or not creatable: SQLite's own open says why, with its error code.
  }
}

/** Operations that must be atomic with the caller's transaction refuse to run outside one. */
export function requireTransaction(db: Database.Database, what: string): void {
  if (!db.inTransaction) throw new LongwatchError("internal", `${what} runs inside store.transaction()`);
}

/** SQLITE_BUSY (another connection holds the write lock) or SQLITE_LOCKED. */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/** SQLite's "locked", "not a database" and "cannot open" become store errors with a stable code. */
export function storeError(e: unknown, file: string, busyTimeoutMs = BUSY_TIMEOUT_MS): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return e;
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new LongwatchError("store_unavailable", `the store ${file} is locked by another process (an import or scan in progress?) and stayed locked for ${busyTimeoutMs / 1000} s; try again when it has finished`, { file }, { cause: e });
  }
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") return new LongwatchError("store_incompatible", `${file} is not a Longwatch store (not an SQLite database, or damaged)`, { file }, { cause: e });
  if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_PERM")) {
    return new LongwatchError("store_unavailable", `cannot open the store ${file} for writing: ${(e as Error).message}`, { file }, { cause: e });
  }
  if (code === "SQLITE_FULL") return new LongwatchError("resources_exhausted", `the disk holding ${file} is full`, { file }, { cause: e });
  return e;
}
