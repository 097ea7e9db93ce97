import type { Migration } from "../migrate.ts";

export const findingMigrations: Migration[] = [
  {
    area: "findings",
    version: 1,
    up: `
      CREATE TABLE scans (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, rules TEXT NOT NULL, counts TEXT);
      CREATE TABLE findings (
        fingerprint TEXT PRIMARY KEY,
        rule TEXT NOT NULL, severity TEXT NOT NULL, device_id TEXT, model_id TEXT,
        title TEXT NOT NULL, evidence TEXT NOT NULL, standards TEXT NOT NULL, devices TEXT, suppression TEXT,
        status TEXT NOT NULL, first_scan INTEGER NOT NULL, last_scan INTEGER NOT NULL, fixed_scan INTEGER
      );
      CREATE INDEX findings_last_scan ON findings (last_scan);
      CREATE INDEX findings_rule ON findings (rule);
      CREATE TABLE suppressions (
        id INTEGER PRIMARY KEY, rule TEXT NOT NULL, fingerprint TEXT, device_id TEXT,
        reason TEXT NOT NULL, expires TEXT, created_at TEXT NOT NULL
      );
    `,
  },
];
