import type Database from "better-sqlite3";
import type { CertificateInfo, Credential, CredentialSecret, DeviceModel, Service } from "../../core/fleet.ts";
import type { DeviceImport, FleetDevice, FleetRepository, StoredDevice } from "../store.ts";
import { deviceColumns, fromSql, toSql } from "./columns.ts";

interface CredentialRow {
  device_id: string | null;
  model_id: string | null;
  firmware_version: string | null;
  service: string;
  username: string;
  secret_kind: string;
  secret: string;
}

function secretOf(kind: string, secret: string): CredentialSecret {
  if (kind === "crypt") return { kind: "crypt", hash: secret };
  if (kind === "keyed") return { kind: "keyed", digest: secret };
  return { kind: "locked" };
}

function credentialOf(r: CredentialRow): Credential {
  const c: Credential = { service: r.service as Service, username: r.username, secret: secretOf(r.secret_kind, r.secret) };
  if (r.device_id !== null) c.device_id = r.device_id;
  if (r.model_id !== null) c.model_id = r.model_id;
  if (r.firmware_version !== null) c.firmware_version = r.firmware_version;
  return c;
}

export class SqliteFleet implements FleetRepository {
  private readonly upsertDevice: Database.Statement;

  constructor(private readonly db: Database.Database) {
    const names = [...deviceColumns.map((c) => c.name), "cert_fingerprint", "import_id"];
    // Re-importing replaces every field (a cell emptied in the new export clears the stored value).
    this.upsertDevice = db.prepare(
      `INSERT INTO devices (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})
       ON CONFLICT (device_id) DO UPDATE SET ${names.filter((n) => n !== "device_id").map((n) => `${n} = excluded.${n}`).join(", ")}`,
    );
  }

  async beginDeviceImport(source: string): Promise<DeviceImport> {
    const db = this.db;
    db.exec("BEGIN IMMEDIATE");
    const importId = Number(db.prepare("INSERT INTO imports (kind, source, started_at) VALUES ('devices', ?, ?)").run(source, new Date().toISOString()).lastInsertRowid);
    const stmt = this.upsertDevice;
    let open = true;
    const values: (string | number | null)[] = new Array(deviceColumns.length + 2);
    return {
      async upsert(devices) {
        for (const d of devices) {
          const rec = d as Record<string, unknown>;
          for (let i = 0; i < deviceColumns.length; i++) {
            const c = deviceColumns[i]!;
            values[i] = toSql(c.kind, rec[c.name]);
          }
          values[deviceColumns.length] = d.cert_fingerprint ?? null;
          values[deviceColumns.length + 1] = importId;
          stmt.run(values);
        }
      },
      async commit(opts = {}) {
        const missingCount = (db.prepare("SELECT COUNT(*) AS n FROM devices WHERE import_id <> ?").get(importId) as { n: number }).n;
        const missingSample = (db.prepare("SELECT device_id FROM devices WHERE import_id <> ? ORDER BY device_id LIMIT 20").all(importId) as { device_id: string }[]).map((r) => r.device_id);
        if (opts.prune && missingCount > 0) {
          db.prepare("DELETE FROM credentials WHERE device_id IN (SELECT device_id FROM devices WHERE import_id <> ?)").run(importId);
          db.prepare("DELETE FROM devices WHERE import_id <> ?").run(importId);
        }
        db.exec("COMMIT");
        open = false;
        return { importId, missingCount, missingSample };
      },
      async abort() {
        if (open && db.inTransaction) db.exec("ROLLBACK");
        open = false;
      },
    };
  }

  async upsertModels(models: readonly DeviceModel[]): Promise<void> {
    const stmt = this.db.prepare("INSERT INTO models (model_id, doc) VALUES (?, ?) ON CONFLICT (model_id) DO UPDATE SET doc = excluded.doc");
    this.db.transaction(() => {
      for (const m of models) stmt.run(m.model_id, JSON.stringify(m));
    })();
  }

  async upsertCredentials(credentials: readonly Credential[]): Promise<void> {
    const stmt = this.db.prepare(
      `INSERT INTO credentials (device_id, model_id, firmware_version, service, username, secret_kind, secret) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (IFNULL(device_id, ''), IFNULL(model_id, ''), IFNULL(firmware_version, ''), service, username)
       DO UPDATE SET secret_kind = excluded.secret_kind, secret = excluded.secret`,
    );
    this.db.transaction(() => {
      for (const c of credentials) {
        const secret = c.secret.kind === "crypt" ? c.secret.hash : c.secret.kind === "keyed" ? c.secret.digest : "";
        stmt.run(c.device_id ?? null, c.model_id ?? null, c.firmware_version ?? null, c.service, c.username, c.secret.kind, secret);
      }
    })();
  }

  async upsertCertificates(certs: readonly CertificateInfo[]): Promise<void> {
    const stmt = this.db.prepare("INSERT INTO certificates (fingerprint, doc) VALUES (?, ?) ON CONFLICT (fingerprint) DO UPDATE SET doc = excluded.doc");
    this.db.transaction(() => {
      for (const c of certs) stmt.run(c.fingerprint, JSON.stringify(c));
    })();
  }

  async models(): Promise<DeviceModel[]> {
    return (this.db.prepare("SELECT doc FROM models ORDER BY model_id").all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as DeviceModel);
  }

  async modelCredentials(): Promise<Credential[]> {
    return (this.db.prepare("SELECT * FROM credentials WHERE device_id IS NULL ORDER BY id").all() as CredentialRow[]).map(credentialOf);
  }

  async *devicePages(pageSize = 5000): AsyncIterable<FleetDevice[]> {
    const page = this.db.prepare(`${this.selectFleet} WHERE d.rowid > ? ORDER BY d.rowid LIMIT ?`);
    let after = 0;
    for (;;) {
      const rows = page.all(after, pageSize) as Record<string, unknown>[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.rid as number;
      yield rows.map((r) => this.fleetDeviceOf(r));
    }
  }

  async getDevice(deviceId: string): Promise<FleetDevice | undefined> {
    const row = this.db.prepare(`${this.selectFleet} WHERE d.device_id = ?`).get(deviceId) as Record<string, unknown> | undefined;
    return row ? this.fleetDeviceOf(row) : undefined;
  }

  async counts() {
    const n = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      devices: n("SELECT COUNT(*) AS n FROM devices"),
      models: n("SELECT COUNT(*) AS n FROM models"),
      credentials: n("SELECT COUNT(*) AS n FROM credentials"),
      certificates: n("SELECT COUNT(*) AS n FROM certificates"),
    };
  }

  private readonly selectFleet = `
    SELECT d.rowid AS rid, d.*, c.doc AS cert_doc,
      (SELECT json_group_array(json_object('service', cr.service, 'username', cr.username, 'model_id', cr.model_id,
              'firmware_version', cr.firmware_version, 'secret_kind', cr.secret_kind, 'secret', cr.secret))
         FROM credentials cr WHERE cr.device_id = d.device_id) AS creds
    FROM devices d LEFT JOIN certificates c ON c.fingerprint = d.cert_fingerprint`;

  private fleetDeviceOf(r: Record<string, unknown>): FleetDevice {
    const device: Record<string, unknown> = {};
    for (const c of deviceColumns) {
      const v = fromSql(c.kind, r[c.name]);
      if (v !== undefined) device[c.name] = v;
    }
    if (r.cert_fingerprint !== null) device.cert_fingerprint = r.cert_fingerprint;
    const out: FleetDevice = { device: device as StoredDevice, credentials: [] };
    if (typeof r.cert_doc === "string") out.certificate = JSON.parse(r.cert_doc) as CertificateInfo;
    if (typeof r.creds === "string" && r.creds !== "[]") {
      const id = device.device_id as string;
      out.credentials = (JSON.parse(r.creds) as Omit<CredentialRow, "device_id">[]).map((c) => credentialOf({ ...c, device_id: id }));
    }
    return out;
  }
}
