import type { Migration } from "../migrate.ts";

export const flowMigrations: Migration[] = [
  {
    area: "flows",
    version: 1,
    up: `
      CREATE TABLE flow_observations (
        device_id TEXT NOT NULL, model_id TEXT, day TEXT NOT NULL, destination TEXT NOT NULL, address TEXT NOT NULL,
        port INTEGER NOT NULL DEFAULT -1, protocol TEXT NOT NULL DEFAULT '', direction TEXT NOT NULL,
        name_source TEXT NOT NULL, local INTEGER NOT NULL, party TEXT NOT NULL, owner TEXT, country TEXT, purpose TEXT,
        categories TEXT NOT NULL, declared INTEGER NOT NULL, mud_allowed INTEGER,
        flows INTEGER NOT NULL, bytes_out REAL NOT NULL, bytes_in REAL NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        PRIMARY KEY (device_id, day, destination, address, port, protocol, direction)
      ) WITHOUT ROWID;
      CREATE INDEX flow_observations_model ON flow_observations (model_id, day);
      CREATE INDEX flow_observations_destination ON flow_observations (destination);
      CREATE INDEX flow_observations_address ON flow_observations (address);
      CREATE TABLE privacy_reports (id INTEGER PRIMARY KEY, model_id TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX privacy_reports_model ON privacy_reports (model_id, id);
      CREATE TABLE intel_watchlist (
        source TEXT NOT NULL, value TEXT NOT NULL, kind TEXT NOT NULL, indicator TEXT NOT NULL, name TEXT NOT NULL,
        valid_until TEXT, indicator_types TEXT, imported_at TEXT NOT NULL, PRIMARY KEY (source, value, indicator)
      );
    `,
  },
  {
    area: "flows",
    version: 2,
    // Inputs whose flows were counted, so running detection again over the same file does not add its volumes twice.
    up: `
      CREATE TABLE flow_inputs (
        head_sha256 TEXT PRIMARY KEY, head_len INTEGER NOT NULL, path TEXT NOT NULL, lines BIGINT NOT NULL, updated_at TEXT NOT NULL
      );
      CREATE INDEX flow_inputs_path ON flow_inputs (path);
    `,
  },
];
