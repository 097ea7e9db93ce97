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
  {
    area: "fleet",
    version: 2,
    // The columns device lists filter and sort on ('' when the device has none), and the indexes that serve them.
    // groups is the device's groups joined by U+001F, with one at each end, so a group is found with instr().
    up: `
      ALTER TABLE devices ADD COLUMN firmware_version TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN country TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN provider TEXT NOT NULL DEFAULT '';
      ALTER TABLE devices ADD COLUMN groups TEXT NOT NULL DEFAULT '';
      UPDATE devices SET
        firmware_version = IFNULL(json_extract(doc, '$.firmware_version'), ''),
        country = IFNULL(json_extract(doc, '$.country'), ''),
        provider = IFNULL(json_extract(doc, '$.sim_provider'), ''),
        groups = IFNULL((SELECT char(31) || group_concat(value, char(31)) || char(31) FROM json_each(doc, '$.groups')), '');
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
    // table). Kept by triggers from the device rows, so every way a device is written keeps it right, and an import
    // of devices without groups pays only the triggers' WHEN test. Derived: store copy does not copy it.
    up: `
      -- Devices per (model, firmware) and how many have a certificate, counted at the end of every import (the only
      -- writer of devices): what coverage reads instead of a million device rows.
      CREATE TABLE device_images (model_id TEXT, firmware_version TEXT NOT NULL, devices INTEGER NOT NULL, with_cert INTEGER NOT NULL);
      INSERT INTO device_images SELECT model_id, firmware_version, COUNT(*), COUNT(cert_fingerprint) FROM devices GROUP BY model_id, firmware_version;
      CREATE TABLE device_groups (grp TEXT NOT NULL, device_id TEXT NOT NULL, PRIMARY KEY (grp, device_id)) WITHOUT ROWID;
      CREATE INDEX device_groups_device ON device_groups (device_id);
      INSERT OR IGNORE INTO device_groups SELECT j.value, d.device_id FROM devices d, json_each(d.doc, '$.groups') j WHERE d.groups <> '';
      CREATE TRIGGER devices_groups_insert AFTER INSERT ON devices WHEN new.groups <> '' BEGIN
        INSERT OR IGNORE INTO device_groups SELECT value, new.device_id FROM json_each(new.doc, '$.groups');
      END;
      CREATE TRIGGER devices_groups_update AFTER UPDATE OF groups ON devices WHEN old.groups <> new.groups BEGIN
        DELETE FROM device_groups WHERE device_id = old.device_id;
        INSERT OR IGNORE INTO device_groups SELECT value, new.device_id FROM json_each(new.doc, '$.groups');
      END;
      CREATE TRIGGER devices_groups_delete AFTER DELETE ON devices WHEN old.groups <> '' BEGIN
        DELETE FROM device_groups WHERE device_id = old.device_id;
      END;
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
        mqtt = json_extract(doc, '$.mqtt_client_id') IS NOT NULL,
        apn = lower(IFNULL(json_extract(doc, '$.sim_apn'), '')),
        mccmnc = CASE WHEN length(json_extract(doc, '$.imsi')) >= 6 THEN substr(json_extract(doc, '$.imsi'), 1, 6) ELSE '' END
      WHERE instr(doc, '"mqtt_client_id"') > 0 OR instr(doc, '"sim_apn"') > 0 OR instr(doc, '"imsi"') > 0;
      UPDATE devices SET
        issuer = (SELECT json_extract(c.doc, '$.issuer') FROM certificates c WHERE c.fingerprint = devices.cert_fingerprint),
        issuer_fingerprint = (SELECT json_extract(c.doc, '$.issuer_fingerprint') FROM certificates c WHERE c.fingerprint = devices.cert_fingerprint)
      WHERE cert_fingerprint IS NOT NULL;
      CREATE INDEX devices_issuer ON devices (issuer_fingerprint, cert_fingerprint) WHERE issuer_fingerprint IS NOT NULL;
      CREATE INDEX credentials_secret ON credentials (service, username, secret_kind, secret, device_id);
      CREATE TABLE device_cells (
        model_id TEXT, firmware_version TEXT NOT NULL, country TEXT NOT NULL, groups TEXT NOT NULL, apn TEXT NOT NULL, mccmnc TEXT NOT NULL,
        issuer TEXT, issuer_fingerprint TEXT, devices INTEGER NOT NULL, mqtt INTEGER NOT NULL
      );
      INSERT INTO device_cells SELECT model_id, firmware_version, country, groups, apn, mccmnc, issuer, issuer_fingerprint, COUNT(*), SUM(mqtt)
        FROM devices GROUP BY model_id, firmware_version, country, groups, apn, mccmnc, issuer, issuer_fingerprint;
    `,
  },
  {
    area: "fleet",
    version: 5,
    // An import adds what it changed to device_cells and device_images instead of counting them again (derived.ts):
    // each changed row is found by its key. SQLite searches the index also for the NULL keys (model_id, issuer), compared with IS.
    up: `
      CREATE INDEX device_cells_key ON device_cells (model_id, firmware_version, country, groups, apn, mccmnc, issuer, issuer_fingerprint);
      CREATE INDEX device_images_key ON device_images (model_id, firmware_version);
    `,
  },
];
