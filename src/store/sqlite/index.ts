/**
 * The embedded store: one SQLite file (WAL). SQLite has one writer at a time, so this adapter runs every call and
 * every transaction through one connection in turn (a lock, first come first served). While another connection (a
 * scan job's worker thread, another process) holds the file's write lock, a write here waits for it — without
 * blocking the event loop: SQLite's own busy wait sleeps in the calling thread, which in the service would freeze every
 * request for as long as the scan runs, so the connection's busy timeout is 0 and the wait is a retry on timers,
 * with the connection free for reads meanwhile. After BUSY_TIMEOUT_MS it gives up with `store_unavailable`.
 */
import type Database from "better-sqlite3";
import { LongwatchError } from "../../core/errors.ts";
import { assertOutside, guardRepository, snapshotView, Mutex, runInScope, type TxScope } from "../guard.ts";
import { type Repositories, type Store, type StoreEnv, type StoreTx, systemEnv } from "../store.ts";
import { SqliteAlerts } from "./alerts.ts";
import { SqliteScale } from "./scale.ts";
import { SqliteAssessments } from "./assessments.ts";
import { BUSY_TIMEOUT_MS, isBusy, openDatabase, openReader, storeError } from "./connection.ts";
import { SqliteFindings } from "./findings.ts";
import { SqliteFleet } from "./fleet.ts";
import { SqliteFlows } from "./flows.ts";
import { migrate, schemaVersions } from "./migrate.ts";
import { SqliteLists } from "./lists.ts";
import { allMigrations } from "./migrations/index.ts";
import { SqliteTables } from "./tables.ts";
import { SqliteResponses } from "./responses.ts";
import { SqliteGraph } from "./graph.ts";
import { SqliteAccess } from "./access.ts";
import { SqliteLive } from "./live.ts";
import { SqliteVulns } from "./vulns.ts";

/** One instance of every repository over the connection; a new area adds its line here. */
function repositories(db: Database.Database, env: StoreEnv): Repositories {
  return {
    fleet: new SqliteFleet(db, env),
    findings: new SqliteFindings(db),
    vulns: new SqliteVulns(db, env),
    alerts: new SqliteAlerts(db),
    assessments: new SqliteAssessments(db),
    tables: new SqliteTables(db),
    flows: new SqliteFlows(db),
    access: new SqliteAccess(db, env),
    responses: new SqliteResponses(db),
    scale: new SqliteScale(db, env),
    graph: new SqliteGraph(db),
    live: new SqliteLive(db, env),
    lists: new SqliteLists(db),
  };
}

type Around = <R>(what: string, call: () => Promise<R>) => Promise<R>;

function guarded(repos: Repositories, around: Around): Repositories {
  return {
    fleet: guardRepository(repos.fleet, "fleet", around),
    findings: guardRepository(repos.findings, "findings", around),
    vulns: guardRepository(repos.vulns, "vulns", around),
    alerts: guardRepository(repos.alerts, "alerts", around),
    assessments: guardRepository(repos.assessments, "assessments", around),
    tables: guardRepository(repos.tables, "tables", around),
    flows: guardRepository(repos.flows, "flows", around),
    responses: guardRepository(repos.responses, "responses", around),
    scale: guardRepository(repos.scale, "scale", around),
    graph: guardRepository(repos.graph, "graph", around),
    access: guardRepository(repos.access, "access", around),
    live: guardRepository(repos.live, "live", around),
    lists: guardRepository(repos.lists, "lists", around),
  };
}

export class SqliteStore implements Store {
  readonly engine = "sqlite" as const;
  readonly inTransaction = false;
  readonly canSnapshot: boolean;
  readonly fleet;
  readonly findings;
  readonly vulns;
  readonly alerts;
  readonly assessments;
  readonly tables;
  readonly flows;
  readonly responses;
  readonly scale;
  readonly graph;
  readonly access;
  readonly live;
  readonly lists;
  private readonly lock = new Mutex();
  private changes: Database.Statement | undefined;
  private readonly raw: Repositories;
  private closed = false;

  constructor(
    readonly db: Database.Database,
    readonly location: string,
    private readonly env: StoreEnv = systemEnv,
    private readonly busyTimeoutMs = BUSY_TIMEOUT_MS,
  ) {
    this.canSnapshot = location !== ":memory:";
    this.raw = repositories(db, env);
    const root = guarded(this.raw, async (what, call) => {
      assertOutside(this, what);
      // A call that hit the lock before changing anything is tried again; one that wrote and then hit it (two
      // autocommit writes with another connection's transaction in between) is not: busy_timeout is 0, so it fails at
      // once with store_unavailable, its first write kept. Repository methods that write more than once must therefore
      // write inside db.transaction.
      return this.whenUnlocked(() => {
        const before = this.totalChanges();
        return call().catch((e: unknown) => {
          throw isBusy(e) && this.totalChanges() === before ? new Busy(e) : e;
        });
      });
    });
    ({ fleet: this.fleet, findings: this.findings, vulns: this.vulns, alerts: this.alerts, assessments: this.assessments, tables: this.tables, flows: this.flows, responses: this.responses, scale: this.scale, graph: this.graph, access: this.access, live: this.live, lists: this.lists } = root);
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    assertOutside(this, "transaction");
    const locked = Symbol("locked");
    for (let wait = FIRST_WAIT_MS, deadline = Date.now() + this.busyTimeoutMs; ; wait = Math.min(2 * wait, MAX_WAIT_MS)) {
      const out = await this.lock.run(async () => {
        this.open();
        try {
          this.db.exec("BEGIN IMMEDIATE");
        } catch (e) {
          // Another connection writes: wait outside the lock, so this connection serves reads meanwhile.
          if (isBusy(e) && Date.now() < deadline) return locked;
          throw storeError(e, this.location, this.busyTimeoutMs);
        }
        return this.runTx(fn, () => this.db.exec("COMMIT"), () => this.db.inTransaction && this.db.exec("ROLLBACK"));
      });
      if (out !== locked) return out as T;
      await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    }
  }

  async snapshot<T>(fn: (view: StoreTx) => Promise<T>): Promise<T> {
    this.open();
    if (!this.canSnapshot) throw new LongwatchError("internal", "an in-memory store has no second connection to read a snapshot on");
    const reader = openReader(this.location, this.busyTimeoutMs);
    try {
      // A WAL reader: the write lock is never its to take, and commits after its first read are not its to see.
      reader.exec("BEGIN");
      reader.prepare("SELECT COUNT(*) FROM sqlite_master").get();
      // Its own scope (not this store's): inside `fn`, calls on the store itself are other work, as they are.
      const scope: TxScope = { owner: reader, active: true };
      const repos = guarded(repositories(reader, this.env), async (what, call) => {
        if (!scope.active) throw new LongwatchError("internal", `${what} was called on a snapshot that has already ended`);
        return this.mapErrors(call);
      });
      const view = snapshotView(repos);
      return await runInScope(scope, () => fn(view).finally(() => (scope.active = false)));
    } finally {
      reader.close();
    }
  }

  /** Runs a call under the connection's lock; while another connection holds the write lock, waits on timers and tries again. */
  private async whenUnlocked<R>(call: () => Promise<R>): Promise<R> {
    for (let wait = FIRST_WAIT_MS, deadline = Date.now() + this.busyTimeoutMs; ; wait = Math.min(2 * wait, MAX_WAIT_MS)) {
      try {
        return await this.lock.run(() => this.mapErrors(call));
      } catch (e) {
        if (!(e instanceof Busy)) throw e;
        if (Date.now() >= deadline) throw storeError(e.original, this.location, this.busyTimeoutMs);
      }
      await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    }
  }

  private totalChanges(): number {
    this.changes ??= this.db.prepare("SELECT total_changes() AS n").pluck();
    return this.changes.get() as number;
  }

  /** Runs `fn` with a transaction object until it settles, then ends the transaction (commit or roll back). */
  runTx<T>(fn: (tx: StoreTx) => Promise<T>, commit: () => void, rollback: () => void, depth = 1): Promise<T> {
    const scope: TxScope = { owner: this, active: true };
    const tx = new SqliteTx(this, scope, guarded(this.raw, async (what, call) => {
      if (!scope.active) throw new LongwatchError("internal", `${what} was called on a transaction that has already ended`);
      return this.mapErrors(call);
    }), depth);
    return runInScope(scope, async () => {
      try {
        const out = await fn(tx);
        scope.active = false;
        await this.mapErrors(async () => commit());
        return out;
      } catch (e) {
        scope.active = false;
        rollback();
        throw e;
      }
    });
  }

  async schemaVersions(): Promise<Record<string, number>> {
    return this.lock.run(async () => schemaVersions(this.db));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Waits for calls in progress, so a close never cuts a transaction short.
    await this.lock.run(async () => this.db.close());
  }

  private open(): void {
    if (this.closed) throw new LongwatchError("internal", "the store has been closed");
  }

  private async mapErrors<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (e) {
      throw e instanceof Busy ? e : storeError(e, this.location, this.busyTimeoutMs);
    }
  }
}

/**
 * The first wait for another connection's write lock, doubling up to MAX_WAIT_MS: a waiter tries at least every 20 ms
 * (a try that fails costs microseconds), so it takes the lock within 20 ms of its release — not up to 250 ms later,
 * as when the wait doubled to that, by which time a scan's next short transaction (scan-chunked.ts, which leaves
 * gaps longer than this between them) had often taken it again.
 */
const FIRST_WAIT_MS = 5;
const MAX_WAIT_MS = 20;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SQLITE_BUSY before the call changed anything: safe to try again. */
class Busy extends Error {
  constructor(readonly original: unknown) {
    super("the store is locked by another connection");
  }
}

class SqliteTx implements StoreTx {
  readonly inTransaction = true;
  readonly fleet;
  readonly findings;
  readonly vulns;
  readonly alerts;
  readonly assessments;
  readonly tables;
  readonly flows;
  readonly responses;
  readonly scale;
  readonly graph;
  readonly access;
  readonly live;
  readonly lists;

  constructor(
    private readonly store: SqliteStore,
    private readonly scope: TxScope,
    repos: Repositories,
    private readonly depth: number,
  ) {
    ({ fleet: this.fleet, findings: this.findings, vulns: this.vulns, alerts: this.alerts, assessments: this.assessments, tables: this.tables, flows: this.flows, responses: this.responses, scale: this.scale, graph: this.graph, access: this.access, live: this.live, lists: this.lists } = repos);
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (!this.scope.active) throw new LongwatchError("internal", "transaction() was called on a transaction that has already ended");
    const name = `lw_sp${this.depth}`;
    const db = this.store.db;
    db.exec(`SAVEPOINT ${name}`);
    return this.store.runTx(fn, () => db.exec(`RELEASE ${name}`), () => db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`), this.depth + 1);
  }
}

/** Opens (creating and migrating if needed) the store in an SQLite file; `:memory:` gives a throwaway store for tests. */
export function openSqliteStore(file: string, env: StoreEnv = systemEnv, opts: { busyTimeoutMs?: number } = {}): SqliteStore {
  const busy = opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  const db = openDatabase(file, busy);
  try {
    migrate(db, allMigrations, env.now);
  } catch (e) {
    db.close();
    throw storeError(e, file, busy);
  }
  // Migrations above waited in SQLite's own busy handler (nothing else runs yet); from now on the wait is the store's.
  if (file !== ":memory:") db.pragma("busy_timeout = 0");
  return new SqliteStore(db, file, env, busy);
}
