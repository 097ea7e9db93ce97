import type { CertificateInfo, Credential, CredentialSecret, DeviceModel, Service } from "../../core/fleet.ts";
import { LongwatchError } from "../../core/errors.ts";
import type { DeviceImportRun, DuplicateDevice, FleetCounts, FleetDevice, FleetRepository, ImportSummary, SerializedDevice, StoredDevice } from "../fleet.ts";
import type { StoreEnv } from "../store.ts";
import { chunks, lockName, type PgDb, uniqueRuns } from "./db.ts";
import { COUNT_DEVICE_CELLS, countDeviceImages } from "../list-sql.ts";
import { CELL_ROW_COLUMNS, type CellRow, cellRowColumns, DerivedDelta, FLEET_SIZE_SQL, importDelta, importMissing, importTracking, MISSING_SAMPLE, markWrittenTrafficSql, trackImport } from "../derived.ts";
import { pgApplyCounts } from "./derived.ts";
import { pgListDialect, pgRun } from "./lists.ts";

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

/** Rows per multi-row statement: large enough to amortise the round trip, small enough for the server's memory. */
const ROWS = 5000;

export class PgFleet implements FleetRepository {
  constructor(
    private readonly db: PgDb,
    private readonly env: StoreEnv,
    private readonly schema: string,
  ) {}

  async startImport(source: string): Promise<DeviceImportRun> {
    if (!this.db.inTransaction) throw new LongwatchError("internal", "an inventory import runs inside store.transaction()");
    // Imports of one store wait for each other, also across processes: "missing" is only meaningful one at a time.
    await this.db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockName(this.schema, "import")]);
    const [r] = await this.db.query<{ id: number }>("INSERT INTO imports (kind, source, started_at) VALUES ('devices', $1, $2) RETURNING id", [source, new Date(this.env.now()).toISOString()]);
    const run = { id: r!.id, source, written: 0 };
    // Every writer of devices holds the lock taken above, so the size and the rows read below stay as read.
    const [size] = await this.db.query<{ n: number }>(FLEET_SIZE_SQL);
    trackImport(run, Number(size!.n));
    return run;
  }

  async upsertDevices(run: DeviceImportRun, devices: readonly SerializedDevice[]): Promise<DuplicateDevice[]> {
    const duplicates: DuplicateDevice[] = [];
    // A statement may not upsert one row twice: a repeat within this batch is a duplicate of its first occurrence.
    const firstInBatch = new Map<string, number>();
    const unique: number[] = [];
    devices.forEach((d, i) => {
      const first = firstInBatch.get(d.device_id);
      if (first === undefined) {
        firstInBatch.set(d.device_id, i);
        unique.push(i);
      } else duplicates.push({ index: i, firstLine: devices[first]!.line });
    });
    const notWritten: number[] = [];
    // Keeping the derived tables in step: the stored rows these devices replace count out, the rows written count in.
    const t = importDelta(run, unique.length);
    for (const part of chunks(unique, ROWS)) {
      if (t) {
        const stored = await this.db.query<CellRow>(`SELECT ${CELL_ROW_COLUMNS} FROM devices WHERE device_id = ANY($1::text[]) AND import_id <> $2`, [part.map((i) => devices[i]!.device_id), run.id]);
        for (const r of stored) t.delta!.add(r, -1);
        t.inserted -= stored.length;
      }
      // Re-importing replaces the whole document; a row this import already wrote is left alone (a duplicate).
      const written = await this.db.query<CellRow & { device_id: string }>(
        // The issuer comes from the stored certificate (written before the device in an import; upsertCertificates
        // brings devices up to date when one is stored again).
        `INSERT INTO devices (device_id, model_id, cert_fingerprint, import_id, import_line, firmware_version, country, provider, groups, mqtt, apn, mccmnc, doc, issuer, issuer_fingerprint)
         SELECT d.id, d.model, d.fp, $4::bigint, d.line, d.fw, d.country, d.provider, d.groups, d.mqtt, d.apn, d.mccmnc, d.doc, c.doc::json->>'issuer', c.doc::json->>'issuer_fingerprint'
         FROM unnest($1::text[], $2::text[], $3::text[], $5::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::text[], $6::text[]) WITH ORDINALITY AS d (id, model, fp, line, fw, country, provider, groups, mqtt, apn, mccmnc, doc, o)
         LEFT JOIN certificates c ON c.fingerprint = d.fp
         ORDER BY d.o
         ON CONFLICT (device_id) DO UPDATE SET model_id = excluded.model_id, cert_fingerprint = excluded.cert_fingerprint,
           import_id = excluded.import_id, import_line = excluded.import_line, firmware_version = excluded.firmware_version,
           country = excluded.country, provider = excluded.provider, groups = excluded.groups, mqtt = excluded.mqtt, apn = excluded.apn,
           mccmnc = excluded.mccmnc, doc = excluded.doc, issuer = excluded.issuer, issuer_fingerprint = excluded.issuer_fingerprint
         WHERE devices.import_id <> excluded.import_id
         RETURNING device_id${t ? `, ${CELL_ROW_COLUMNS}` : ""}`,
        [part.map((i) => devices[i]!.device_id), part.map((i) => devices[i]!.model_id), part.map((i) => devices[i]!.cert_fingerprint), run.id, part.map((i) => devices[i]!.line ?? null), part.map((i) => devices[i]!.doc),
         part.map((i) => devices[i]!.firmware_version), part.map((i) => devices[i]!.country), part.map((i) => devices[i]!.provider), part.map((i) => devices[i]!.groups),
         part.map((i) => devices[i]!.mqtt), part.map((i) => devices[i]!.apn), part.map((i) => devices[i]!.mccmnc)],
      );
      run.written += written.length;
      if (t) {
        for (const r of written) t.delta!.add(r, 1);
        t.inserted += written.length;
        if (written.length) await pgRun(this.db)(markWrittenTrafficSql(pgListDialect), [JSON.stringify(written.map((r) => r.device_id))]);
      }
      if (written.length === part.length) continue;
      const ok = new Set(written.map((r) => r.device_id));
      for (const i of part) if (!ok.has(devices[i]!.device_id)) notWritten.push(i);
    }
    if (notWritten.length) {
      const lines = new Map((await this.db.query<{ device_id: string; import_line: number | null }>("SELECT device_id, import_line FROM devices WHERE device_id = ANY($1::text[])", [notWritten.map((i) => devices[i]!.device_id)])).map((r) => [r.device_id, r.import_line]));
      for (const i of notWritten) duplicates.push({ index: i, firstLine: lines.get(devices[i]!.device_id) ?? undefined });
    }
    return duplicates.sort((a, b) => a.index - b.index);
  }

  async finishImport(run: DeviceImportRun, opts: { prune?: boolean } = {}): Promise<ImportSummary> {
    const t = importTracking(run);
    // Every device counted, or, keeping the derived tables in step, the count from them where the devices agree
    // (importMissing). The sample is in the primary key's order (the database's collation, as device lists sort on
    // PostgreSQL, not SQLite's byte order), so its index stops after 20 instead of sorting every device.
    const missing = await importMissing(run, {
      countDevices: async () => Number((await this.db.query<{ n: number }>("SELECT COUNT(*) AS n FROM devices"))[0]!.n),
      sample: async () => (await this.db.query<{ device_id: string }>(`SELECT device_id FROM devices WHERE import_id <> $1 ORDER BY device_id LIMIT ${MISSING_SAMPLE}`, [run.id])).map((r) => r.device_id),
    });
    let { missingCount } = missing;
    if (opts.prune && missingCount > 0) {
      // A collected delta wrote at most 1/32 of the fleet (derived.ts), so a prune deletes more devices than
      // remain: the cheaper way is to count what remains.
      if (t) t.delta = undefined;
      await this.db.query("DELETE FROM credentials WHERE device_id IN (SELECT device_id FROM devices WHERE import_id <> $1)", [run.id]);
      // What was deleted is the exact count, whatever device_images said.
      missingCount = Number((await this.db.query<{ n: number }>("WITH d AS (DELETE FROM devices WHERE import_id <> $1 RETURNING 1) SELECT COUNT(*) AS n FROM d", [run.id]))[0]!.n);
    }
    if (!(t?.delta && (await t.delta.apply(pgApplyCounts(this.db))))) await countDeviceImages(pgRun(this.db), "postgres");
    return { importId: run.id, missingCount, missingSample: missing.missingSample };
  }

  async upsertModels(models: readonly DeviceModel[]): Promise<void> {
    await this.db.transaction(async (db) => {
      for (const run of uniqueRuns(models, (m) => m.model_id)) {
        await db.query("INSERT INTO models (model_id, doc) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (model_id) DO UPDATE SET doc = excluded.doc", [run.map((m) => m.model_id), run.map((m) => JSON.stringify(m))]);
      }
    });
  }

  async upsertCredentials(credentials: readonly Credential[]): Promise<void> {
    const key = (c: Credential) => JSON.stringify([c.device_id ?? "", c.model_id ?? "", c.firmware_version ?? "", c.service, c.username]);
    await this.db.transaction(async (db) => {
      for (const run of uniqueRuns(credentials, key)) {
        for (const part of chunks(run, ROWS)) {
          await db.query(
            `INSERT INTO credentials (device_id, model_id, firmware_version, service, username, secret_kind, secret)
             SELECT d, m, f, s, u, k, x FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS c (d, m, f, s, u, k, x, o) ORDER BY o
             ON CONFLICT ((COALESCE(device_id, '')), (COALESCE(model_id, '')), (COALESCE(firmware_version, '')), service, username)
             DO UPDATE SET secret_kind = excluded.secret_kind, secret = excluded.secret`,
            [
              part.map((c) => c.device_id ?? null),
              part.map((c) => c.model_id ?? null),
              part.map((c) => c.firmware_version ?? null),
              part.map((c) => c.service),
              part.map((c) => c.username),
              part.map((c) => c.secret.kind),
              part.map((c) => (c.secret.kind === "crypt" ? c.secret.hash : c.secret.kind === "keyed" ? c.secret.digest : "")),
            ],
          );
        }
      }
    });
  }

  async upsertCertificates(certs: readonly CertificateInfo[], run?: DeviceImportRun): Promise<void> {
    // Their device_cells rows change: outside an import at once, in an import with the rest of its delta (or its recount).
    const delta = run ? importDelta(run, 0)?.delta : new DerivedDelta();
    await this.db.transaction(async (db) => {
      // Outside an import, devices are written under the import's lock like every writer of them (see startImport).
      if (!run) await db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockName(this.schema, "import")]);
      for (const run of uniqueRuns(certs, (c) => c.fingerprint)) {
        for (const part of chunks(run, ROWS)) {
          await db.query("INSERT INTO certificates (fingerprint, doc) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (fingerprint) DO UPDATE SET doc = excluded.doc", [part.map((c) => c.fingerprint), part.map((c) => JSON.stringify(c))]);
          // Devices already stored with the certificate take its issuer (in an import, only devices of earlier imports).
          const moved = `FROM unnest($1::text[], $2::text[], $3::text[]) AS c (fp, issuer, ifp)
             WHERE d.cert_fingerprint = c.fp AND (d.issuer IS DISTINCT FROM c.issuer OR d.issuer_fingerprint IS DISTINCT FROM c.ifp)`;
          const params = [part.map((c) => c.fingerprint), part.map((c) => c.issuer), part.map((c) => c.issuer_fingerprint ?? null)];
          if (delta) for (const r of await db.query<CellRow>(`SELECT ${cellRowColumns("d.")} FROM devices d, ${moved.slice(5)}`, params)) delta.add(r, -1);
          const updated = await db.query<CellRow>(`UPDATE devices d SET issuer = c.issuer, issuer_fingerprint = c.ifp ${moved} RETURNING ${delta ? cellRowColumns("d.") : "1 AS x"}`, params);
          if (delta) for (const r of updated) delta.add(r, 1);
        }
      }
      if (!run && delta && !(await delta.apply(pgApplyCounts(db)))) for (const sql of COUNT_DEVICE_CELLS) await db.query(sql);
    });
  }

  async models(): Promise<DeviceModel[]> {
    return (await this.db.query<{ doc: string }>("SELECT doc FROM models ORDER BY model_id COLLATE \"C\"")).map((r) => JSON.parse(r.doc) as DeviceModel);
  }

  async modelCredentials(): Promise<Credential[]> {
    return (await this.db.query<CredentialRow>("SELECT * FROM credentials WHERE device_id IS NULL ORDER BY id")).map(credentialOf);
  }

  async *devicePages(pageSize = 5000, opts: { exceptImport?: number } = {}): AsyncIterable<FleetDevice[]> {
    // Keyset paging over the primary key: a stable order, each page one index range.
    let after = "";
    for (;;) {
      const rows = await this.db.query<{ device_id: string; doc: string }>("SELECT device_id, doc FROM devices WHERE device_id > $1 AND import_id <> $2 ORDER BY device_id LIMIT $3", [after, opts.exceptImport ?? -1, pageSize]);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.device_id;
      yield this.withRelations(rows.map((r) => JSON.parse(r.doc) as StoredDevice));
    }
  }

  async withRelations(devices: StoredDevice[]): Promise<FleetDevice[]> {
    const byDevice = new Map<string, Credential[]>();
    const [perDevice] = await this.db.query<{ any: boolean }>("SELECT EXISTS (SELECT 1 FROM credentials WHERE device_id IS NOT NULL) AS any");
    if (perDevice!.any) {
      for (const c of await this.db.query<CredentialRow>("SELECT * FROM credentials WHERE device_id = ANY($1::text[]) ORDER BY id", [devices.map((d) => d.device_id)])) {
        const list = byDevice.get(c.device_id!);
        if (list) list.push(credentialOf(c));
        else byDevice.set(c.device_id!, [credentialOf(c)]);
      }
    }
    const fps: string[] = [];
    for (const d of devices) if (d.cert_fingerprint !== undefined) fps.push(d.cert_fingerprint);
    const certs = new Map<string, CertificateInfo>();
    if (fps.length) for (const c of await this.db.query<{ fingerprint: string; doc: string }>("SELECT fingerprint, doc FROM certificates WHERE fingerprint = ANY($1::text[])", [fps])) certs.set(c.fingerprint, JSON.parse(c.doc) as CertificateInfo);
    return devices.map((device) => {
      const out: FleetDevice = { device, credentials: byDevice.get(device.device_id) ?? [] };
      const cert = device.cert_fingerprint !== undefined ? certs.get(device.cert_fingerprint) : undefined;
      if (cert) out.certificate = cert;
      return out;
    });
  }

  async knownDevices(deviceIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(deviceIds, 10_000)) for (const r of await this.db.query<{ device_id: string }>("SELECT device_id FROM devices WHERE device_id = ANY($1::text[])", [part])) out.add(r.device_id);
    return out;
  }

  async getDevice(deviceId: string): Promise<FleetDevice | undefined> {
    const [r] = await this.db.query<{ doc: string }>("SELECT doc FROM devices WHERE device_id = $1", [deviceId]);
    return r === undefined ? undefined : (await this.withRelations([JSON.parse(r.doc) as StoredDevice]))[0];
  }

  async deviceModels(deviceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks(deviceIds, 10_000)) {
      for (const r of await this.db.query<{ device_id: string; model_id: string }>("SELECT device_id, model_id FROM devices WHERE device_id = ANY($1::text[]) AND model_id IS NOT NULL", [part])) out.set(r.device_id, r.model_id);
    }
    return out;
  }

  async counts(): Promise<FleetCounts> {
    const [r] = await this.db.query<FleetCounts>(
      "SELECT (SELECT COUNT(*) FROM devices) AS devices, (SELECT COUNT(*) FROM models) AS models, (SELECT COUNT(*) FROM credentials) AS credentials, (SELECT COUNT(*) FROM certificates) AS certificates",
    );
    return r!;
  }
}
