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
  {
    area: "fleet",
    version: 3,
    // Which devices are in which group, for the group filter (a substring test on devices.groups read the whole
    // table). Kept by row triggers from the device rows, so every way a device is written keeps it right; a device
    // without groups costs only the trigger's WHEN test. Derived: store copy does not copy it.
    up: `
      -- Devices per (model, firmware) and how many have a certificate, counted at the end of every import (the only
      -- writer of devices): what coverage reads instead of a million device rows.
      CREATE TABLE device_images (model_id TEXT, firmware_version TEXT NOT NULL, devices BIGINT NOT NULL, with_cert BIGINT NOT NULL);
      INSERT INTO device_images SELECT model_id, firmware_version, COUNT(*), COUNT(cert_fingerprint) FROM devices GROUP BY model_id, firmware_version;
      CREATE TABLE device_groups (grp TEXT NOT NULL, device_id TEXT NOT NULL, PRIMARY KEY (grp, device_id));
      CREATE INDEX device_groups_device ON device_groups (device_id);
      INSERT INTO device_groups SELECT DISTINCT g, d.device_id FROM devices d, json_array_elements_text(d.doc::json->'groups') AS g WHERE d.groups <> '';
      CREATE FUNCTION device_groups_sync() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN DELETE FROM device_groups WHERE device_id = OLD.device_id; END IF;
          IF TG_OP <> 'DELETE' THEN
            INSERT INTO device_groups SELECT DISTINCT g, NEW.device_id FROM json_array_elements_text(NEW.doc::json->'groups') AS g ON CONFLICT DO NOTHING;
          END IF;
          RETURN NULL;
        END $$;
      CREATE TRIGGER devices_groups_insert AFTER INSERT ON devices FOR EACH ROW WHEN (NEW.groups <> '') EXECUTE FUNCTION device_groups_sync();
      CREATE TRIGGER devices_groups_update AFTER UPDATE OF groups ON devices FOR EACH ROW WHEN (OLD.groups IS DISTINCT FROM NEW.groups) EXECUTE FUNCTION device_groups_sync();
      CREATE TRIGGER devices_groups_delete AFTER DELETE ON devices FOR EACH ROW WHEN (OLD.groups <> '') EXECUTE FUNCTION device_groups_sync();
    `,
  },
  {
    area: "fleet",
    version: 4,
    // What the what-if graph links devices by (whatif/), as columns, so a question about a CA, a provider or the whole
    // fleet never parses a million documents: whether the device has an MQTT client id, its APN (lower case), the
    // first six digits of its IMSI (MCC + MNC + one), and its certificate's issuer (name, and the issuing
    // certificate's SHA-256 when the device's file carried it; NULL without a stored certificate). Filled at import;
    // the issuer also when a certificate is stored again. device_cells counts devices per combination of these and the
    // list columns, at the end of every import: what whatif's counts read instead of the devices. Derived: not copied.
    up: `
      ALTER TABLE devices ADD COLUMN mqtt INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN apn TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN mccmnc TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN issuer TEXT;
      ALTER TABLE devices ADD COLUMN issuer_fingerprint TEXT;
      UPDATE devices SET
        mqtt = CASE WHEN doc::json->>'mqtt_client_id' IS NOT NULL THEN 1 ELSE 0 END,
        apn = lower(COALESCE(doc::json->>'sim_apn', '')),
        mccmnc = CASE WHEN length(doc::json->>'imsi') >= 6 THEN substr(doc::json->>'imsi', 1, 6) ELSE '' END
      WHERE doc LIKE '%"mqtt_client_id"%' OR doc LIKE '%"sim_apn"%' OR doc LIKE '%"imsi"%';
      UPDATE devices d SET issuer = c.doc::json->>'issuer', issuer_fingerprint = c.doc::json->>'issuer_fingerprint'
        FROM certificates c WHERE c.fingerprint = d.cert_fingerprint;
      CREATE INDEX devices_issuer ON devices (issuer_fingerprint, cert_fingerprint COLLATE "C") WHERE issuer_fingerprint IS NOT NULL;
      CREATE INDEX credentials_secret ON credentials (service, username, secret_kind, secret, device_id);
      CREATE TABLE device_cells (
        model_id TEXT, firmware_version TEXT NOT NULL, country TEXT NOT NULL, groups TEXT NOT NULL, apn TEXT NOT NULL, mccmnc TEXT NOT NULL,
        issuer TEXT, issuer_fingerprint TEXT, devices BIGINT NOT NULL, mqtt BIGINT NOT NULL
      );
      INSERT INTO device_cells SELECT model_id, firmware_version, country, groups, apn, mccmnc, issuer, issuer_fingerprint, COUNT(*), SUM(mqtt)
        FROM devices GROUP BY model_id, firmware_version, country, groups, apn, mccmnc, issuer, issuer_fingerprint;
    `,
  },
  {
    area: "fleet",
    version: 5,
    // An import adds what it changed to device_cells and device_images instead of counting them again (derived.ts),
    // joining its changes to the table. No key index on device_cells here: filling one cost a full recount 2.4 s
    // more at 128,000 cells (a recount rewrites every row), and a hash join over the cells reads a few rows per
    // device image, never the devices. device_images is small; its index costs nothing.
    up: `
      CREATE INDEX device_images_key ON device_images (firmware_version, model_id);
    `,
  },
];
