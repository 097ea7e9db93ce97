/**
 * The PostgreSQL connection the repositories use: `query` and `transaction`, the same for the pool (each query on
 * any connection, a transaction on one checked-out client) and for a client inside a transaction (a nested
 * transaction is a savepoint). Repositories never see `pg` itself.
 */
import pg from "pg";
import { LongwatchError } from "../../core/errors.ts";

export interface PgDb {
  readonly inTransaction: boolean;
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` atomically: a transaction on the pool, a savepoint inside one. */
  transaction<T>(fn: (db: PgDb) => Promise<T>): Promise<T>;
}

/** int8 (counts, BIGSERIAL ids) as numbers: ids stay far below 2^53. Per pool, so other users of `pg` are unaffected. */
const types = new pg.TypeOverrides();
types.setTypeParser(20, (v: string) => Number(v));

export function createPool(connectionString: string, schema: string): pg.Pool {
  return new pg.Pool({
    connectionString,
    types,
    max: 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // Every connection works in the store's schema: the SQL never names one, so one database holds many instances.
    options: `-c search_path=${schema}`,
    application_name: "longwatch",
  });
}

export class PoolDb implements PgDb {
  readonly inTransaction = false;
  constructor(
    private readonly pool: pg.Pool,
    private readonly location: string,
  ) {}

  async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params as unknown[])).rows;
    } catch (e) {
      throw pgError(e, this.location);
    }
  }

  async transaction<T>(fn: (db: PgDb) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const db = new ClientDb(client, this.location, 1);
      try {
        const out = await fn(db);
        db.end();
        await client.query("COMMIT");
        return out;
      } catch (e) {
        db.end();
        await client.query("ROLLBACK").catch(() => (broken = true));
        throw e;
      }
    } catch (e) {
      throw pgError(e, this.location);
    } finally {
      client.release(broken);
    }
  }

  async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw pgError(e, this.location);
    }
  }
}

export class ClientDb implements PgDb {
  readonly inTransaction = true;
  private active = true;
  constructor(
    readonly client: pg.ClientBase,
    private readonly location: string,
    private readonly depth: number,
  ) {}

  end(): void {
    this.active = false;
  }

  async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    if (!this.active) throw new LongwatchError("internal", "a query was run on a transaction that has already ended");
    try {
      return (await this.client.query<R>(sql, params as unknown[])).rows;
    } catch (e) {
      throw pgError(e, this.location);
    }
  }

  async transaction<T>(fn: (db: PgDb) => Promise<T>): Promise<T> {
    const name = `lw_sp${this.depth}`;
    await this.query(`SAVEPOINT ${name}`);
    const inner = new ClientDb(this.client, this.location, this.depth + 1);
    try {
      const out = await fn(inner);
      inner.end();
      await this.query(`RELEASE SAVEPOINT ${name}`);
      return out;
    } catch (e) {
      inner.end();
      await this.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.query(`RELEASE SAVEPOINT ${name}`);
      throw e;
    }
  }
}

/** Connection failures become `store_unavailable`; everything else keeps its own meaning (and never its parameters). */
export function pgError(e: unknown, location: string): unknown {
  if (e instanceof LongwatchError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ETIMEDOUT" || code === "ECONNRESET" || /timeout exceeded when trying to connect|Connection terminated/i.test(message)) {
    return new LongwatchError("store_unavailable", `cannot reach the PostgreSQL store ${location}: ${message}`, { location }, { cause: e });
  }
  if (typeof code === "string") {
    // 08: connection exceptions; 28: authentication; 3D000: no such database; 57P0x: server shutting down or starting.
    if (code.startsWith("08") || code.startsWith("28") || code === "3D000" || code.startsWith("57P")) {
      return new LongwatchError("store_unavailable", `the PostgreSQL store ${location} is unavailable: ${message}`, { location, sqlstate: code }, { cause: e });
    }
    if (code === "53100") return new LongwatchError("resources_exhausted", `the PostgreSQL server has no disk space left: ${message}`, { location, sqlstate: code }, { cause: e });
  }
  return e;
}

/** An advisory lock key per store (schema) and purpose, for `pg_advisory_xact_lock(hashtextextended(…))`. */
export function lockName(schema: string, purpose: string): string {
  return `longwatch:${schema}:${purpose}`;
}

/** Splits items into consecutive runs without a repeated key, so each run can be one multi-row upsert and the result
 * is the same as writing the items one by one (PostgreSQL refuses to upsert one row twice in a statement). */
export function uniqueRuns<T>(items: readonly T[], key: (x: T) => string): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let seen = new Set<string>();
  for (const x of items) {
    const k = key(x);
    if (seen.has(k)) {
      runs.push(run);
      run = [];
      seen = new Set();
    }
    seen.add(k);
    run.push(x);
  }
  if (run.length) runs.push(run);
  return runs;
}

export function* chunks<T>(xs: readonly T[], n: number): Iterable<T[]> {
  for (let i = 0; i < xs.length; i += n) yield xs.slice(i, i + n);
}
