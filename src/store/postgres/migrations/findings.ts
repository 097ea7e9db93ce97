import type { Migration } from "../migrate.ts";

export const findingMigrations: Migration[] = [
  {
    area: "findings",
    version: 1,
    // Findings are stored per scan (a snapshot): appends only; status comes from comparing with the previous scan.
    // Only the latest two scans' rows are kept; `scans` keeps every scan's counts.
    up: `
      CREATE TABLE scans (id BIGSERIAL PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, rules TEXT NOT NULL, counts TEXT);
      -- Keyed by (scan, row): a scan's rows are read, carried forward and deleted by scan, and one index is cheaper to
      -- fill than two when a scan writes hundreds of thousands of rows.
      CREATE TABLE findings (
        id BIGSERIAL NOT NULL,
        scan_id BIGINT NOT NULL,
        fingerprint TEXT NOT NULL,
        rule TEXT NOT NULL, severity TEXT NOT NULL, device_id TEXT, model_id TEXT,
        title TEXT NOT NULL, evidence TEXT NOT NULL, standards TEXT NOT NULL, devices TEXT, suppression TEXT,
        status TEXT NOT NULL, first_scan BIGINT NOT NULL,
        PRIMARY KEY (scan_id, id)
      );
      CREATE TABLE suppressions (
        id BIGSERIAL PRIMARY KEY, rule TEXT NOT NULL, fingerprint TEXT, device_id TEXT,
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
      -- Each finished scan's findings per rule counted per model, per status and per both (model_id / status '' =
      -- any), and its open findings per severity and devices not securable today: what filtered "findings by rule"
      -- and the overview read instead of the scan's rows.
      CREATE TABLE scan_rule_counts (
        scan_id BIGINT NOT NULL, rule TEXT NOT NULL, model_id TEXT NOT NULL, status TEXT NOT NULL, severity INTEGER NOT NULL,
        findings BIGINT NOT NULL, devices BIGINT NOT NULL, new BIGINT NOT NULL, suppressed BIGINT NOT NULL,
        PRIMARY KEY (scan_id, model_id, status, rule)
      );
      CREATE TABLE scan_totals (scan_id BIGINT PRIMARY KEY, open_findings TEXT NOT NULL, unsecurable_rules TEXT NOT NULL, unsecurable BIGINT NOT NULL);
      CREATE INDEX findings_device ON findings (scan_id, device_id, id);
      CREATE INDEX findings_severity ON findings (scan_id, (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), id);
      CREATE TABLE scan_rules (
        scan_id BIGINT NOT NULL, rule TEXT NOT NULL, severity INTEGER NOT NULL, findings BIGINT NOT NULL,
        devices BIGINT NOT NULL, new BIGINT NOT NULL, suppressed BIGINT NOT NULL, PRIMARY KEY (scan_id, rule)
      );
    `,
  },
  {
    area: "findings",
    version: 3,
    // One rule's findings are listed in severity order, and "by rule" sorts by rule then severity: one index serves
    // both (and the rule's count), where (scan, rule, id) left the severity order to a sort or another index. And
    // counts kept per scan, so no list or overview counts a million-device scan's rows while someone waits.
    up: `
      DROP INDEX findings_rule;
      CREATE INDEX findings_rule ON findings (scan_id, rule COLLATE "C", (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), id);
    `,
  },
  {
    area: "forecast",
    version: 1,
    // The lifecycle forecast each scan tallies in its pass over the fleet, so the dashboard reads it instead of every
    // device (its own area, so it does not take a findings version another change may need). import_id is the newest
    // import when it was made: a later one makes it stale. Only the newest scan's is kept.
    up: `
      CREATE TABLE scan_forecasts (scan_id BIGINT PRIMARY KEY, computed_at TEXT NOT NULL, import_id BIGINT, doc TEXT NOT NULL);
    `,
  },
  {
    area: "scan-settings",
    version: 1,
    // The settings each scan ran its rules with (params as resolved, the severity the user set), so the device page
    // grades a firmware's vulnerabilities as the scan's findings do. A row for every rule the scan ran; params NULL
    // when the caller gave none. Only each rule's newest finished scan's row is kept (finishScan prunes the others).
    up: `
      CREATE TABLE scan_rule_settings (scan_id BIGINT NOT NULL, rule TEXT NOT NULL, severity TEXT, params TEXT, PRIMARY KEY (scan_id, rule));
    `,
  },
  {
    area: "findings-reach",
    version: 1,
    // Finding.reach: how many devices a finding reaches without listing them (single-point-of-compromise), and per
    // rule the largest such reach in the scan's counts, so "findings by rule" says "at least N devices", not 0.
    up: `
      ALTER TABLE findings ADD COLUMN reach BIGINT;
      ALTER TABLE scan_rules ADD COLUMN reach BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE scan_rule_counts ADD COLUMN reach BIGINT NOT NULL DEFAULT 0;
    `,
  },
];
