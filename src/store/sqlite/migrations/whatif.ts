import type { Migration } from "../migrate.ts";

export const whatifMigrations: Migration[] = [
  {
    area: "whatif",
    version: 1,
    // The stored `whatif --all` ranking, so the dashboard and API read it instead of building the fleet graph on a
    // request. Kept per kind: ranking only some kinds replaces those and leaves the others (with their own time).
    // Each kind keeps its largest nodes (whatif/stored.ts says how many); pos is the rank within the kind, from 0.
    up: `
      CREATE TABLE whatif_ranking_kinds (
        kind TEXT PRIMARY KEY, computed_at TEXT NOT NULL, fleet_devices INTEGER NOT NULL, counted INTEGER NOT NULL, source TEXT NOT NULL
      );
      CREATE TABLE whatif_ranking_nodes (
        kind TEXT NOT NULL, pos INTEGER NOT NULL, target TEXT NOT NULL, label TEXT NOT NULL, devices INTEGER NOT NULL,
        PRIMARY KEY (kind, pos)
      );
    `,
  },
  {
    area: "whatif",
    version: 2,
    // PostgreSQL's whatif 2 adds indexes its planner needs for the credential ranking and a CA named by subject;
    // SQLite answers both well with what it has (every index of credentials holds the rowid, its id). Kept as a
    // version of its own so both engines have the same schema versions (store copy compares them).
    up: "SELECT 1",
  },
];
