import type { Migration } from "../migrate.ts";

export const fleetMigrations: Migration[] = [
  {
    area: "fleet",
    version: 1,
    up: `
      -- A device is stored as its JSON document (the Device schema); the columns beside it are what queries need.
      CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        model_id TEXT,
        cert_fingerprint TEXT,
        import_id INTEGER NOT NULL,
        import_line INTEGER,
        doc TEXT NOT NULL
      );
      CREATE TABLE imports (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, started_at TEXT NOT NULL);
      CREATE TABLE models (model_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE credentials (
        id INTEGER PRIMARY KEY,
        device_id TEXT, model_id TEXT, firmware_version TEXT,
        service TEXT NOT NULL, username TEXT NOT NULL,
        secret_kind TEXT NOT NULL, secret TEXT NOT NULL
      );
      CREATE UNIQUE INDEX credentials_key ON credentials (IFNULL(device_id, ''), IFNULL(model_id, ''), IFNULL(firmware_version, ''), service, username);
      CREATE INDEX credentials_device ON credentials (device_id);
      CREATE TABLE certificates (fingerprint TEXT PRIMARY KEY, doc TEXT NOT NULL);
    `,
  },
];
