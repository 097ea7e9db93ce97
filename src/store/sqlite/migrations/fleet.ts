import type { Migration } from "../migrate.ts";
import { deviceColumns } from "../columns.ts";

export const fleetMigrations: Migration[] = [
  {
    area: "fleet",
    version: 1,
    up: `
      CREATE TABLE devices (
        ${deviceColumns.map((c) => `${c.name} ${c.sqlType}${c.name === "device_id" ? " PRIMARY KEY" : ""}`).join(",\n        ")},
        cert_fingerprint TEXT,
        import_id INTEGER NOT NULL
      );
      CREATE INDEX devices_model ON devices (model_id);
      CREATE INDEX devices_import ON devices (import_id);
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
