import type { Migration } from "../migrate.ts";

export const fleetMigrations: Migration[] = [
  {
    area: "fleet",
    version: 1,
    up: `
      -- A device is stored as its JSON document (text: it may hold any string, \\u0000 escapes included); the columns
      -- beside it are what queries need. Only the primary key is indexed: every index costs the bulk import time.
      CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        model_id TEXT,
        cert_fingerprint TEXT,
        import_id BIGINT NOT NULL,
        import_line INTEGER,
        doc TEXT NOT NULL
      );
      CREATE TABLE imports (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, started_at TEXT NOT NULL);
      CREATE TABLE models (model_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE credentials (
        id BIGSERIAL PRIMARY KEY,
        device_id TEXT, model_id TEXT, firmware_version TEXT,
        service TEXT NOT NULL, username TEXT NOT NULL,
        secret_kind TEXT NOT NULL, secret TEXT NOT NULL
      );
      CREATE UNIQUE INDEX credentials_key ON credentials ((COALESCE(device_id, '')), (COALESCE(model_id, '')), (COALESCE(firmware_version, '')), service, username);
      CREATE INDEX credentials_device ON credentials (device_id);
      CREATE TABLE certificates (fingerprint TEXT PRIMARY KEY, doc TEXT NOT NULL);
    `,
  },
];
