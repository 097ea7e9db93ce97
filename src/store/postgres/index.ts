/**
 * The production store: PostgreSQL through a connection pool. Every area's tables live in the URL's schema
 * (`?schema=NAME`, default public), so one database can hold several isolated Longwatch instances. Migrations are
 * applied on open under an advisory lock; imports and scans take transaction-scoped advisory locks, so processes
 * sharing a store see each one run whole.
 */
import type pg from "pg";
import { LongwatchError } from "../../core/errors.ts";
import { assertOutside, guardRepository, snapshotView, runInScope, type TxScope } from "../guard.ts";
import type { Repositories, Store, StoreEnv, StoreTx } from "../store.ts";
import type { StoreUrl } from "../url.ts";
import { PgAlerts } from "./alerts.ts";
import { PgScale } from "./scale.ts";
import { PgAssessments } from "./assessments.ts";
import { ClientDb, createPool, type PgDb, pgError, PoolDb } from "./db.ts";
import { PgFindings } from "./findings.ts";
import { PgFleet } from "./fleet.ts";
import { PgFlows } from "./flows.ts";
import { PgResponses } from "./responses.ts";
import { PgGraph } from "./graph.ts";
import { PgAccess } from "./access.ts";
import { PgLive } from "./live.ts";
import { migrate, schemaVersions } from "./migrate.ts";
import { PgLists } from "./lists.ts";
import { allMigrations } from "./migrations/index.ts";
import { PgTables } from "./tables.ts";
import { PgVulns } from "./vulns.ts";

/** Every repository over one connection (the pool, or a transaction's client); a new area adds its line here. */
function repositories(db: PgDb, env: StoreEnv, schema: string): Repositories {
  return {
    fleet: new PgFleet(db, env, schema),
    findings: new PgFindings(db, schema),
    vulns: new PgVulns(db, env),
    alerts: new PgAlerts(db),
    assessments: new PgAssessments(db),
    tables: new PgTables(db),
    flows: new PgFlows(db),
    access: new PgAccess(db, env),
    responses: new PgResponses(db, schema),
    scale: new PgScale(db, env),
    graph: new PgGraph(db),
    live: new PgLive(db, env),
    lists: new PgLists(db),
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

export class PostgresStore implements Store {
  readonly engine = "postgres" as const;
  readonly inTransaction = false;
  readonly canSnapshot = true;
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
  private readonly db: PoolDb;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    readonly schema: string,
    private readonly env: StoreEnv,
  ) {
    this.db = new PoolDb(pool, location);
    const root = guarded(repositories(this.db, env, schema), async (what, call) => {
      assertOutside(this, what);
      this.open();
      return call();
    });
    ({ fleet: this.fleet, findings: this.findings, vulns: this.vulns, alerts: this.alerts, assessments: this.assessments, tables: this.tables, flows: this.flows, responses: this.responses, scale: this.scale, graph: this.graph, access: this.access, live: this.live, lists: this.lists } = root);
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    assertOutside(this, "transaction");
    this.open();
    return this.db.transaction(async (db) => this.runTx(db as ClientDb, fn));
  }

  async snapshot<T>(fn: (view: StoreTx) => Promise<T>): Promise<T> {
    this.open();
    const client = await this.db.connect();
    let broken = false;
    try {
      // One snapshot for every query of the transaction (MVCC: writers neither wait for it nor show it their commits).
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const db = new ClientDb(client, this.location, 1);
      const scope: TxScope = { owner: db, active: true };
      const repos = guarded(repositories(db, this.env, this.schema), async (what, call) => {
        if (!scope.active) throw new LongwatchError("internal", `${what} was called on a snapshot that has already ended`);
        return call();
      });
      const view = snapshotView(repos);
      try {
        return await runInScope(scope, () => fn(view));
      } finally {
        scope.active = false;
        db.end();
        await client.query("ROLLBACK").catch(() => (broken = true));
      }
    } catch (e) {
      throw pgError(e, this.location);
    } finally {
      client.release(broken);
    }
  }

  runTx<T>(db: ClientDb, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const scope: TxScope = { owner: this, active: true };
    const repos = guarded(repositories(db, this.env, this.schema), async (what, call) => {
      if (!scope.active) throw new LongwatchError("internal", `${what} was called on a transaction that has already ended`);
      return call();
    });
    const tx: StoreTx = {
      ...repos,
      inTransaction: true,
      transaction: async <U>(inner: (tx: StoreTx) => Promise<U>): Promise<U> => {
        if (!scope.active) throw new LongwatchError("internal", "transaction() was called on a transaction that has already ended");
        return db.transaction(async (sdb) => this.runTx(sdb as ClientDb, inner));
      },
    };
    return runInScope(scope, async () => {
      try {
        return await fn(tx);
      } finally {
        scope.active = false;
      }
    });
  }

  async schemaVersions(): Promise<Record<string, number>> {
    return schemaVersions(this.pool);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private open(): void {
    if (this.closed) throw new LongwatchError("internal", "the store has been closed");
  }
}

export async function openPostgresStore(url: Extract<StoreUrl, { engine: "postgres" }>, env: StoreEnv): Promise<PostgresStore> {
  const pool = createPool(url.connectionString, url.schema);
  // An idle client that loses its connection must not crash the process; the next query reports the failure.
  pool.on("error", () => undefined);
  try {
    await migrate(pool, url.schema, allMigrations, env.now, url.location);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return new PostgresStore(pool, url.location, url.schema, env);
}
