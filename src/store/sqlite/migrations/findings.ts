import type { Migration } from "../migrate.ts";

export const findingMigrations: Migration[] = [
  {
    area: "findings",
    version: 1,
    // Findings are stored per scan (a snapshot): appends only, so recording is cheap; status comes from comparing
    // with the previous scan's snapshot. A scan's rows are contiguous from scans.first_row, so no index is needed.
    // Only the latest two scans' rows are kept; `scans` keeps every scan's counts.
    up: `
      CREATE TABLE scans (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, rules TEXT NOT NULL, counts TEXT, first_row INTEGER);
      CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        scan_id INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        rule TEXT NOT NULL, severity TEXT NOT NULL, device_id TEXT, model_id TEXT,
        title TEXT NOT NULL, evidence TEXT NOT NULL, standards TEXT NOT NULL, devices TEXT, suppression TEXT,
        status TEXT NOT NULL, first_scan INTEGER NOT NULL
      );
      CREATE TABLE suppressions (
        id INTEGER PRIMARY KEY, rule TEXT NOT NULL, fingerprint TEXT, device_id TEXT,
        reason TEXT NOT NULL, expires TEXT, created_at TEXT NOT NULL
      );
    `,
  },
  {
    area: "findings",
    version: 2,
    // What finding lists filter and sort on within a scan, and each finished scan's open findings counted per rule
    // (distinct devices included), so "findings by rule" and the overview read a few rows.
    up: `
      CREATE INDEX findings_rule ON findings (scan_id, rule, id);
      CREATE INDEX findings_device ON findings (scan_id, device_id, id);
      CREATE INDEX findings_severity ON findings (scan_id, (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), id);
      CREATE TABLE scan_rules (
        scan_id INTEGER NOT NULL, rule TEXT NOT NULL, severity INTEGER NOT NULL, findings INTEGER NOT NULL,
        devices INTEGER NOT NULL, new INTEGER NOT NULL, suppressed INTEGER NOT NULL, PRIMARY KEY (scan_id, rule)
      );
    `,
  },
];
