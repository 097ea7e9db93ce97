/** The embedded store: one SQLite file (WAL) in the data folder. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Store } from "../store.ts";
import { SqliteAlerts } from "./alerts.ts";
import { SqliteAssessments } from "./assessments.ts";
import { SqliteFindings } from "./findings.ts";
import { SqliteFleet } from "./fleet.ts";
import { migrate } from "./migrate.ts";
import { allMigrations } from "./migrations/index.ts";
import { SqliteResponses } from "./responses.ts";
import { SqliteVulns } from "./vulns.ts";

export class SqliteStore implements Store {
  readonly fleet: SqliteFleet;
  readonly findings: SqliteFindings;
  readonly vulns: SqliteVulns;
  readonly alerts: SqliteAlerts;
  readonly assessments: SqliteAssessments;
  readonly responses: SqliteResponses;
  private closed = false;

  constructor(readonly db: Database.Database) {
    this.fleet = new SqliteFleet(db);
    this.findings = new SqliteFindings(db);
    this.vulns = new SqliteVulns(db);
    this.alerts = new SqliteAlerts(db);
    this.assessments = new SqliteAssessments(db);
    this.responses = new SqliteResponses(db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** Opens (creating and migrating if needed) the store in `dataDir`; `:memory:` gives a throwaway store for tests. */
export function openSqliteStore(dataDir: string): SqliteStore {
  let file = ":memory:";
  if (dataDir !== ":memory:") {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    file = join(dataDir, "longwatch.db");
  }
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // Bulk imports insert into B-trees keyed by ids in no particular order: the page cache should hold the index of a
  // million device ids (about 40 MiB); more only raises the peak memory of a scan.
  db.pragma("cache_size = -65536");
  db.pragma("temp_store = MEMORY");
  migrate(db, allMigrations);
  return new SqliteStore(db);
}
