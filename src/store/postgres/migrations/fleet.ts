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
  {
    area: "fleet",
    version: 2,
    // The columns device lists filter and sort on ('' when the device has none), and the indexes that serve them.
    // Device lists sort in the primary key's (the database's) collation: a COLLATE "C" copy of the key would be one
    // more index for every import to fill. groups is the device's groups joined by U+001F, one at each end.
    up: `
      ALTER TABLE devices ADD COLUMN firmware_version TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN country TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN provider TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN groups TEXT NOT NULL DEFAULT '';
      UPDATE devices SET
        firmware_version = COALESCE(doc::json->>'firmware_version', ''),
        country = COALESCE(doc::json->>'country', ''),
        provider = COALESCE(doc::json->>'sim_provider', ''),
        groups = COALESCE((SELECT chr(31) || string_agg(g, chr(31)) || chr(31) FROM json_array_elements_text(doc::json->'groups') AS g), '')
      WHERE doc LIKE '%"firmware_version"%' OR doc LIKE '%"country"%' OR doc LIKE '%"sim_provider"%' OR doc LIKE '%"groups"%';
      CREATE INDEX devices_model ON devices (model_id, firmware_version, device_id);
      CREATE INDEX devices_country ON devices (country, device_id);
      CREATE INDEX devices_provider ON devices (provider, device_id);
      CREATE INDEX devices_cert ON devices (cert_fingerprint) WHERE cert_fingerprint IS NOT NULL;
    `,
  },
];
