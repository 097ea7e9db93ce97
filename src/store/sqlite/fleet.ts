import type Database from "better-sqlite3";
import type { CertificateInfo, Credential, CredentialSecret, DeviceModel, Service } from "../../core/fleet.ts";
import type { DeviceImportRun, DuplicateDevice, FleetDevice, FleetRepository, ImportSummary, SerializedDevice, StoredDevice } from "../fleet.ts";
import type { StoreEnv } from "../store.ts";
import { requireTransaction } from "./connection.ts";
import { COUNT_DEVICE_CELLS, countDeviceImages } from "../list-sql.ts";
import { CELL_ROW_COLUMNS, type CellRow, DEVICE_CELLS, DerivedDelta, FLEET_SIZE_SQL, importDelta, importMissing, importTracking, MISSING_SAMPLE, markWrittenTrafficSql, trackImport } from "../derived.ts";
import { applyCountsSync, sqliteApplyCounts } from "./derived.ts";
import { sqliteListDialect, sqliteRun } from "./lists.ts";

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

const UPSERT_ROWS = 32;

// A device's issuer comes from its stored certificate (written before the device in an import; upsertCertificates
// brings devices up to date when one is stored again). It is read for a whole batch at once, for the devices that
// have a certificate (issuersOf), and passed as values: two subqueries in every row of the insert cost 25 % of the
// devices' write at 100,000 devices (one in ten with a certificate), most of it for the rows without one.
type Issuer = readonly [issuer: string | null, fingerprint: string | null];
const NO_ISSUER: Issuer = [null, null];

function deviceParams(d: SerializedDevice, importId: number, issuer: Issuer): unknown[] {
  return [d.device_id, d.model_id, d.cert_fingerprint, importId, d.line ?? null, d.firmware_version, d.country, d.provider, d.groups, d.mqtt, d.apn, d.mccmnc, d.doc, issuer[0], issuer[1]];
}

export class SqliteFleet implements FleetRepository {
  private readonly upsertDevice: Database.Statement;
  /** The same for UPSERT_ROWS devices at once: one call into SQLite instead of one per device. */
  private readonly upsertDevicesStmt: Database.Statement;
  /** The same two, returning what the derived tables count of each row written (an import keeping them in step). */
  private readonly upsertDeviceCells: Database.Statement;
  private readonly upsertDevicesCells: Database.Statement;
  /** The stored rows of devices an import is about to replace (ids as JSON), as they count in the derived tables. */
  private readonly storedCells: Database.Statement;
  private readonly markWritten: Database.Statement;
  private readonly firstLine: Database.Statement;
  private readonly credentialsOf: Database.Statement;
  private readonly certificatesOf: Database.Statement;
  private readonly issuersOfStmt: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly env: StoreEnv,
  ) {
    // Re-importing replaces the whole document (a cell emptied in the new export clears the stored value). A row the
    // same import already wrote is not replaced: that id is a duplicate in the file (no change is the signal).
    const upsert = (rows: number, returning = "") =>
      db.prepare(
        `INSERT INTO devices (device_id, model_id, cert_fingerprint, import_id, import_line, firmware_version, country, provider, groups, mqtt, apn, mccmnc, doc, issuer, issuer_fingerprint)
         VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}
         ON CONFLICT (device_id) DO UPDATE SET model_id = excluded.model_id, cert_fingerprint = excluded.cert_fingerprint,
           import_id = excluded.import_id, import_line = excluded.import_line, firmware_version = excluded.firmware_version,
           country = excluded.country, provider = excluded.provider, groups = excluded.groups, mqtt = excluded.mqtt, apn = excluded.apn,
           mccmnc = excluded.mccmnc, doc = excluded.doc, issuer = excluded.issuer, issuer_fingerprint = excluded.issuer_fingerprint
         WHERE devices.import_id <> excluded.import_id${returning}`,
      );
    this.upsertDevice = upsert(1);
    this.upsertDevicesStmt = upsert(UPSERT_ROWS);
    this.upsertDeviceCells = upsert(1, ` RETURNING device_id, ${CELL_ROW_COLUMNS}`);
    this.upsertDevicesCells = upsert(UPSERT_ROWS, ` RETURNING device_id, ${CELL_ROW_COLUMNS}`);
    this.storedCells = db.prepare(`SELECT ${CELL_ROW_COLUMNS} FROM devices WHERE device_id IN (SELECT value FROM json_each(?)) AND import_id <> ?`);
    this.markWritten = db.prepare(markWrittenTrafficSql(sqliteListDialect));
    this.firstLine = db.prepare("SELECT import_line FROM devices WHERE device_id = ?").pluck();
    this.credentialsOf = db.prepare("SELECT * FROM credentials WHERE device_id IN (SELECT value FROM json_each(?))");
    this.certificatesOf = db.prepare("SELECT fingerprint, doc FROM certificates WHERE fingerprint IN (SELECT value FROM json_each(?))");
    this.issuersOfStmt = db.prepare("SELECT fingerprint, json_extract(doc, '$.issuer'), json_extract(doc, '$.issuer_fingerprint') FROM certificates WHERE fingerprint IN (SELECT value FROM json_each(?))").raw();
  }

  async startImport(source: string): Promise<DeviceImportRun> {
    requireTransaction(this.db, "an inventory import");
    const id = Number(this.db.prepare("INSERT INTO imports (kind, source, started_at) VALUES ('devices', ?, ?)").run(source, new Date(this.env.now()).toISOString()).lastInsertRowid);
    const run = { id, source, written: 0 };
    trackImport(run, (this.db.prepare(FLEET_SIZE_SQL).get() as { n: number }).n);
    return run;
  }

  /** The issuer of each stored certificate the devices name (one query for the batch). */
  private issuersOf(devices: readonly SerializedDevice[]): Map<string, Issuer> {
    const fps = new Set<string>();
    for (const d of devices) if (d.cert_fingerprint !== null) fps.add(d.cert_fingerprint);
    const out = new Map<string, Issuer>();
    if (fps.size === 0) return out;
    for (const [fp, issuer, ifp] of this.issuersOfStmt.all(JSON.stringify([...fps])) as [string, string | null, string | null][]) out.set(fp, [issuer, ifp]);
    return out;
  }

  async upsertDevices(run: DeviceImportRun, devices: readonly SerializedDevice[]): Promise<DuplicateDevice[]> {
    const issuers = this.issuersOf(devices);
    const issuer = (d: SerializedDevice): Issuer => (d.cert_fingerprint === null ? NO_ISSUER : (issuers.get(d.cert_fingerprint) ?? NO_ISSUER));
    const duplicates: DuplicateDevice[] = [];
    const duplicate = (i: number) => duplicates.push({ index: i, firstLine: (this.firstLine.get(devices[i]!.device_id) as number | null) ?? undefined });
    // Keeping the derived tables in step: the stored rows these devices replace count out, the rows written count in.
    const t = importDelta(run, devices.length);
    const written: string[] = [];
    if (t) {
      const stored = this.storedCells.all(JSON.stringify(devices.map((d) => d.device_id)), run.id) as CellRow[];
      for (const r of stored) t.delta!.add(r, -1);
      t.inserted -= stored.length;
    }
    const write = (one: boolean, params: unknown[]): number => {
      if (!t) return (one ? this.upsertDevice : this.upsertDevicesStmt).run(params).changes;
      const rows = (one ? this.upsertDeviceCells : this.upsertDevicesCells).all(params) as (CellRow & { device_id: string })[];
      for (const r of rows) {
        t.delta!.add(r, 1);
        written.push(r.device_id);
      }
      t.inserted += rows.length;
      return rows.length;
    };
    let i = 0;
    // In groups when every device has its own line: a group that changed fewer rows than it has holds a
    // duplicate, and the rows whose stored line is not their own are the ones that were not written.
    const grouped = devices.every((d) => d.line !== undefined);
    for (; grouped && i + UPSERT_ROWS <= devices.length; i += UPSERT_ROWS) {
      const params: unknown[] = [];
      for (let j = i; j < i + UPSERT_ROWS; j++) {
        const d = devices[j]!;
        params.push(...deviceParams(d, run.id, issuer(d)));
      }
      const changed = write(false, params);
      run.written += changed;
      if (changed === UPSERT_ROWS) continue;
      for (let j = i; j < i + UPSERT_ROWS; j++) if (this.firstLine.get(devices[j]!.device_id) !== devices[j]!.line) duplicate(j);
    }
    for (; i < devices.length; i++) {
      const d = devices[i]!;
      if (write(true, deviceParams(d, run.id, issuer(d))) === 0) duplicate(i);
      else run.written++;
    }
    if (written.length) this.markWritten.run(JSON.stringify(written));
    return duplicates;
  }

  async finishImport(run: DeviceImportRun, opts: { prune?: boolean } = {}): Promise<ImportSummary> {
    const db = this.db;
    const t = importTracking(run);
    // Counted over the primary key's index (far cheaper than reading every document's import_id), or, keeping the
    // derived tables in step, from them where the devices agree (importMissing). The sample is in key order, stopping
    // after 20: it reads the devices this import wrote that come first, and 20 more.
    const missing = await importMissing(run, {
      countDevices: async () => (db.prepare("SELECT COUNT(*) AS n FROM devices").get() as { n: number }).n,
      sample: async () => db.prepare(`SELECT device_id FROM devices WHERE import_id <> ? ORDER BY device_id LIMIT ${MISSING_SAMPLE}`).pluck().all(run.id) as string[],
    });
    let { missingCount } = missing;
    if (opts.prune && missingCount > 0) {
      // A collected delta wrote at most 1/32 of the fleet (derived.ts), so a prune deletes more devices than
      // remain: the cheaper way is to count what remains.
      if (t) t.delta = undefined;
      db.prepare("DELETE FROM credentials WHERE device_id IN (SELECT device_id FROM devices WHERE import_id <> ?)").run(run.id);
      // What was deleted is the exact count, whatever device_images said.
      missingCount = db.prepare("DELETE FROM devices WHERE import_id <> ?").run(run.id).changes;
    }
    if (!(t?.delta && (await t.delta.apply(sqliteApplyCounts(db))))) await countDeviceImages(sqliteRun(this.db), "sqlite");
    return { importId: run.id, missingCount, missingSample: missing.missingSample };
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

  async upsertCertificates(certs: readonly CertificateInfo[], run?: DeviceImportRun): Promise<void> {
    const stmt = this.db.prepare("INSERT INTO certificates (fingerprint, doc) VALUES (?, ?) ON CONFLICT (fingerprint) DO UPDATE SET doc = excluded.doc");
    // Devices already stored with the certificate take its issuer (an import writes certificates before devices, so
    // there this finds only devices of earlier imports).
    const moved = "WHERE cert_fingerprint = ? AND (issuer IS NOT ? OR issuer_fingerprint IS NOT ?)";
    const issuer = this.db.prepare(`UPDATE devices SET issuer = ?, issuer_fingerprint = ? ${moved}`);
    // Their device_cells rows change: outside an import at once, in an import with the rest of its delta (or its recount).
    const delta = run ? importDelta(run, 0)?.delta : new DerivedDelta();
    const before = this.db.prepare(`SELECT ${CELL_ROW_COLUMNS} FROM devices ${moved}`);
    const after = this.db.prepare(`UPDATE devices SET issuer = ?, issuer_fingerprint = ? ${moved} RETURNING ${CELL_ROW_COLUMNS}`);
    this.db.transaction(() => {
      for (const c of certs) {
        stmt.run(c.fingerprint, JSON.stringify(c));
        const fp = c.issuer_fingerprint ?? null;
        if (!delta) {
          issuer.run(c.issuer, fp, c.fingerprint, c.issuer, fp);
          continue;
        }
        for (const r of before.all(c.fingerprint, c.issuer, fp) as CellRow[]) delta.add(r, -1);
        for (const r of after.all(c.issuer, fp, c.fingerprint, c.issuer, fp) as CellRow[]) delta.add(r, 1);
      }
      if (!run && delta && !applyCountsSync(this.db, DEVICE_CELLS, delta.cellChanges())) COUNT_DEVICE_CELLS.forEach((sql) => this.db.exec(sql));
    })();
  }

  async models(): Promise<DeviceModel[]> {
    return (this.db.prepare("SELECT doc FROM models ORDER BY model_id").all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as DeviceModel);
  }

  async modelCredentials(): Promise<Credential[]> {
    return (this.db.prepare("SELECT * FROM credentials WHERE device_id IS NULL ORDER BY id").all() as CredentialRow[]).map(credentialOf);
  }

  async *devicePages(pageSize = 5000, opts: { exceptImport?: number } = {}): AsyncIterable<FleetDevice[]> {
    const page = this.db.prepare(`SELECT rowid, doc FROM devices WHERE rowid > ? AND import_id <> ? ORDER BY rowid LIMIT ?`).raw();
    let after = 0;
    for (;;) {
      const rows = page.all(after, opts.exceptImport ?? -1, pageSize) as [number, string][];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield this.withRelations(rows.map((r) => JSON.parse(r[1]) as StoredDevice));
    }
  }

  async withRelations(devices: StoredDevice[]): Promise<FleetDevice[]> {
    // Credentials and certificates are fetched once per page, not by a subquery per device.
    const byDevice = new Map<string, Credential[]>();
    // Most fleets declare credentials per model, not per device: then there is nothing to look up.
    const perDevice = this.db.prepare("SELECT EXISTS (SELECT 1 FROM credentials WHERE device_id IS NOT NULL)").pluck().get() === 1;
    for (const c of perDevice ? (this.credentialsOf.all(JSON.stringify(devices.map((d) => d.device_id))) as CredentialRow[]) : []) {
      const list = byDevice.get(c.device_id!);
      if (list) list.push(credentialOf(c));
      else byDevice.set(c.device_id!, [credentialOf(c)]);
    }
    const fps: string[] = [];
    for (const d of devices) if (d.cert_fingerprint !== undefined) fps.push(d.cert_fingerprint);
    const certs = new Map<string, CertificateInfo>();
    if (fps.length) for (const c of this.certificatesOf.all(JSON.stringify(fps)) as { fingerprint: string; doc: string }[]) certs.set(c.fingerprint, JSON.parse(c.doc) as CertificateInfo);
    return devices.map((device) => {
      const out: FleetDevice = { device, credentials: byDevice.get(device.device_id) ?? [] };
      const cert = device.cert_fingerprint !== undefined ? certs.get(device.cert_fingerprint) : undefined;
      if (cert) out.certificate = cert;
      return out;
    });
  }

  async knownDevices(deviceIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const stmt = this.db.prepare("SELECT device_id FROM devices WHERE device_id IN (SELECT value FROM json_each(?))").pluck();
    for (let i = 0; i < deviceIds.length; i += 1000) for (const id of stmt.all(JSON.stringify(deviceIds.slice(i, i + 1000))) as string[]) out.add(id);
    return out;
  }

  async getDevice(deviceId: string): Promise<FleetDevice | undefined> {
    const doc = this.db.prepare("SELECT doc FROM devices WHERE device_id = ?").pluck().get(deviceId) as string | undefined;
    return doc === undefined ? undefined : (await this.withRelations([JSON.parse(doc) as StoredDevice]))[0];
  }

  async deviceModels(deviceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const stmt = this.db.prepare("SELECT device_id, model_id FROM devices WHERE device_id IN (SELECT value FROM json_each(?)) AND model_id IS NOT NULL");
    // json_each keeps one statement for any number of ids; chunks keep each JSON argument small.
    for (let i = 0; i < deviceIds.length; i += 1000) {
      for (const r of stmt.all(JSON.stringify(deviceIds.slice(i, i + 1000))) as { device_id: string; model_id: string }[]) out.set(r.device_id, r.model_id);
    }
    return out;
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
}
