import type { Migration } from "../migrate.ts";

/** Component inventories, advisories, KEV, EPSS and VEX: documents as text next to the columns that are queried. */
export const vulnMigrations: Migration[] = [
  {
    area: "vulns",
    version: 1,
    up: `
      CREATE TABLE vuln_sboms (
        model_id TEXT NOT NULL, firmware_version TEXT NOT NULL, format TEXT NOT NULL, source TEXT NOT NULL,
        imported_at TEXT NOT NULL, component_count INTEGER NOT NULL, describes TEXT,
        PRIMARY KEY (model_id, firmware_version)
      );
      CREATE TABLE vuln_components (
        model_id TEXT NOT NULL, firmware_version TEXT NOT NULL, ord INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (model_id, firmware_version, ord)
      );
      CREATE TABLE vuln_advisories (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, canonical_id TEXT NOT NULL, modified TEXT, digest TEXT NOT NULL, doc TEXT NOT NULL
      );
      CREATE INDEX vuln_advisories_canonical ON vuln_advisories (canonical_id);
      CREATE TABLE vuln_affected (
        key TEXT NOT NULL, advisory_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (key, advisory_id, seq)
      );
      CREATE INDEX vuln_affected_advisory ON vuln_affected (advisory_id);
      CREATE TABLE vuln_ids (alias TEXT NOT NULL, advisory_id TEXT NOT NULL, PRIMARY KEY (alias, advisory_id));
      CREATE INDEX vuln_ids_advisory ON vuln_ids (advisory_id);
      CREATE TABLE vuln_kev (cve_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE vuln_epss (cve_id TEXT PRIMARY KEY, epss DOUBLE PRECISION NOT NULL, percentile DOUBLE PRECISION NOT NULL, score_date TEXT);
      CREATE TABLE vuln_vex (id BIGSERIAL PRIMARY KEY, vuln_id TEXT NOT NULL, source TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX vuln_vex_vuln ON vuln_vex (vuln_id);
      CREATE INDEX vuln_vex_source ON vuln_vex (source);
      CREATE TABLE vuln_feed_imports (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, imported_at TEXT NOT NULL, detail TEXT NOT NULL);
    `,
  },
];
