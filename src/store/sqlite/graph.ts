import type Database from "better-sqlite3";
import { type AffectedDeviceRow, type AffectedDevices, type CredentialGroupRow, credentialNodesOf, type CredentialNodeRow, type DeviceSelector, graphDevice, groupsOf, type GraphCertificateRow, type GraphComponentRow, type GraphCredentialRow, type GraphDeviceRow, type GraphEndpointRow, type GraphRepository, type RankedCredentialRow, type StoredRankingKind, type StoredRankingNode } from "../graph.ts";

type Part = [string, unknown[]];

/** Holders' models as JSON for json_each: [[model, firmware or null], …]. */
const modelsJson = (models: readonly { model: string; firmware?: string }[]) => JSON.stringify(models.map((m) => [m.model, m.firmware ?? null]));
/** A device (or device_cells row) of one of the models in the JSON parameter (of its firmware, when one is given). */
const OF_MODELS = "EXISTS (SELECT 1 FROM json_each(?) m WHERE m.value ->> 0 = model_id AND (m.value ->> 1 IS NULL OR m.value ->> 1 = firmware_version))";

/**
 * The firmware images (model, firmware; '' for none) with MQTT devices among cell rows, when the selector's cell part
 * is a set of whole images (model, firmware, component, credential models); undefined otherwise.
 */
function imagesOf(sel: DeviceSelector, cellRows: readonly (readonly [string | null, string, string, string, number, number])[]): [string, string][] | undefined {
  if (!("model" in sel || "images" in sel || "holders" in sel)) return undefined;
  const seen = new Map<string, [string, string]>();
  for (const r of cellRows) if (r[0] !== null && r[5] > 0) seen.set(`${r[0]}\u0000${r[1]}`, [r[0], r[1]]);
  return [...seen.values()];
}

/** Whether a credential row's device, or its model (and firmware), is in the fleet (`c` is the row). */
const PRESENT = `CASE WHEN c.device_id IS NOT NULL THEN EXISTS (SELECT 1 FROM devices d WHERE d.device_id = c.device_id)
  ELSE EXISTS (SELECT 1 FROM device_images i WHERE i.model_id = c.model_id AND (c.firmware_version IS NULL OR i.firmware_version = c.firmware_version)) END`;

/** Narrow keyset-paged reads, and counts over device_cells (fleet migration 4) where a question allows. */
export class SqliteGraph implements GraphRepository {
  constructor(private readonly db: Database.Database) {}

  async deviceCount(): Promise<number> {
    // The per-image counts kept at the end of every import (the only writer of devices): no pass over the devices.
    return this.db.prepare("SELECT COALESCE(SUM(devices), 0) FROM device_images").pluck().get() as number;
  }

  /**
   * A selector as a condition device_cells can answer (its columns are the devices' own) and one only the devices
   * can; a device matches one of the two at most, so their counts add up.
   */
  private parts(sel: DeviceSelector): { cells?: Part; devices?: Part } {
    if ("model" in sel) return { cells: sel.firmware === undefined ? ["model_id = ?", [sel.model]] : ["model_id = ? AND firmware_version = ?", [sel.model, sel.firmware]] };
    if ("cert" in sel) return { devices: ["cert_fingerprint = ?", [sel.cert]] };
    if ("issuer_fingerprint" in sel) return { cells: ["issuer_fingerprint = ?", [sel.issuer_fingerprint]] };
    if ("images" in sel) return { cells: ["(model_id, firmware_version) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))", [JSON.stringify(sel.images.map((i) => [i.model, i.firmware]))]] };
    if ("issuer" in sel) return { cells: ["issuer = ?", [sel.issuer]] };
    if ("apn" in sel) return { cells: ["apn = ?", [sel.apn]] };
    if ("mccmnc" in sel) return { cells: ["substr(mccmnc, 1, ?) = ?", [sel.mccmnc.length, sel.mccmnc]] };
    if ("holders" in sel) {
      const { device_ids, models } = sel.holders;
      const ids = "device_id IN (SELECT value FROM json_each(?))";
      if (models.length === 0) return { devices: [ids, [JSON.stringify(device_ids)]] };
      const cells: Part = [OF_MODELS, [modelsJson(models)]];
      return device_ids.length === 0 ? { cells } : { cells, devices: [`${ids} AND NOT ${OF_MODELS}`, [JSON.stringify(device_ids), modelsJson(models)]] };
    }
    return { devices: ["device_id IN (SELECT value FROM json_each(?))", [JSON.stringify(sel.device_ids)]] };
  }

  async affected(sel: DeviceSelector, sample: number): Promise<AffectedDevices> {
    const { cells, devices } = this.parts(sel);
    type Row = [string | null, string, string, string, number, number];
    const cellRows = cells ? (this.db.prepare(`SELECT model_id, firmware_version, country, groups, SUM(devices), SUM(mqtt) FROM device_cells WHERE ${cells[0]} GROUP BY model_id, firmware_version, country, groups`).raw().all(...cells[1]) as Row[]) : [];
    const raw: Row[] = [...cellRows];
    if (devices) raw.push(...(this.db.prepare(`SELECT model_id, firmware_version, country, groups, COUNT(*), SUM(mqtt) FROM devices WHERE ${devices[0]} GROUP BY model_id, firmware_version, country, groups`).raw().all(...devices[1]) as Row[]));
    const rows = raw.map(([model_id, fw, country, groups, n]) => ({ model_id, firmware_version: fw === "" ? null : fw, country: country === "" ? null : country, groups: groupsOf(groups), devices: n }));
    const mqtt = raw.reduce((a, r) => a + r[5], 0);
    const both = [cells, devices].filter((x) => x !== undefined);
    const w = both.map((x) => `(${x[0]})`).join(" OR ");
    const p = both.flatMap((x) => x[1]);
    let mqttSample: string[] = [];
    const images = imagesOf(sel, cellRows);
    if (mqtt > 0 && images && images.length <= 500) {
      // The first few in device order, per firmware image from the (model, firmware, device) index, merged; a walk of
      // the primary key would pass every device of the models before them.
      const branches = images.map(() => "SELECT * FROM (SELECT device_id FROM devices INDEXED BY devices_model WHERE model_id = ? AND firmware_version = ? AND mqtt = 1 ORDER BY device_id LIMIT ?)");
      const bp: unknown[] = images.flatMap(([m, f]) => [m, f, sample]);
      if (devices) {
        branches.push(`SELECT * FROM (SELECT device_id FROM devices WHERE (${devices[0]}) AND mqtt = 1 ORDER BY device_id LIMIT ?)`);
        bp.push(...devices[1], sample);
      }
      mqttSample = this.db.prepare(`SELECT device_id FROM (${branches.join(" UNION ALL ")}) ORDER BY device_id LIMIT ?`).pluck().all(...bp, sample) as string[];
    } else if (mqtt > 0) {
      // When many devices match, walking the primary key finds the first few within a few rows; when few do, the
      // condition's own index (if any) is cheaper than walking the whole key.
      const walk = mqtt * 1000 >= (await this.deviceCount());
      mqttSample = this.db.prepare(`SELECT device_id FROM devices ${walk ? "INDEXED BY sqlite_autoindex_devices_1" : ""} WHERE (${w}) AND mqtt = 1 ORDER BY device_id LIMIT ?`).pluck().all(...p, sample) as string[];
    }
    // (A CA named by subject has no index of its own: one pass over the devices' columns.)
    const cert = "cert" in sel ? "cert_fingerprint = ?" : "issuer_fingerprint" in sel ? "issuer_fingerprint = ?" : "issuer" in sel ? "issuer = ?" : undefined;
    const key = "cert" in sel ? sel.cert : "issuer_fingerprint" in sel ? sel.issuer_fingerprint : "issuer" in sel ? sel.issuer : undefined;
    return {
      rows,
      mqtt,
      mqtt_sample: mqttSample,
      certificates: cert ? (this.db.prepare(`SELECT COUNT(DISTINCT cert_fingerprint) FROM devices WHERE ${cert}`).pluck().get(key) as number) : 0,
      certificate_sample: cert ? (this.db.prepare(`SELECT DISTINCT cert_fingerprint FROM devices WHERE ${cert} AND cert_fingerprint IS NOT NULL ORDER BY 1 LIMIT ?`).pluck().all(key, sample) as string[]) : [],
    };
  }

  async affectedDevices(sel: DeviceSelector): Promise<AffectedDeviceRow[]> {
    // The cell part's columns are the devices' own, so both parts select devices rows directly.
    const both = Object.values(this.parts(sel));
    const rows = this.db.prepare(`SELECT device_id, model_id, country FROM devices WHERE ${both.map((x) => `(${x[0]})`).join(" OR ")} ORDER BY device_id`).raw().all(...both.flatMap((x) => x[1])) as [string, string | null, string][];
    return rows.map(([device_id, model_id, country]) => ({ device_id, model_id, country: country || null }));
  }

  async issuerSubject(issuerFingerprint: string): Promise<string | undefined> {
    return (this.db.prepare("SELECT issuer FROM devices WHERE issuer_fingerprint = ? ORDER BY cert_fingerprint LIMIT 1").pluck().get(issuerFingerprint) as string | null | undefined) ?? undefined;
  }

  async credentialNodes(owner: string, ownerIsModel: boolean, service: string, username: string): Promise<CredentialNodeRow[] | undefined> {
    let held: Part;
    if (ownerIsModel) {
      if (this.db.prepare("SELECT 1 FROM device_images WHERE model_id = ? LIMIT 1").get(owner) === undefined) return undefined;
      held = ["device_id IS NULL AND model_id = @owner AND (firmware_version IS NULL OR EXISTS (SELECT 1 FROM device_images i WHERE i.model_id = c.model_id AND i.firmware_version = c.firmware_version))", []];
    } else {
      if (this.db.prepare("SELECT 1 FROM devices WHERE device_id = ?").get(owner) === undefined) return undefined;
      held = [
        `(device_id = @owner OR (device_id IS NULL AND model_id = (SELECT model_id FROM devices WHERE device_id = @owner)
           AND (firmware_version IS NULL OR firmware_version = (SELECT NULLIF(firmware_version, '') FROM devices WHERE device_id = @owner))))`,
        [],
      ];
    }
    // Every row with the same service, username and secret as one the owner holds, with the first row of its
    // secret (which names the credential) and whether its device or model is in the fleet.
    const rows = this.db
      .prepare(
        `WITH held AS (SELECT DISTINCT secret_kind, secret FROM credentials c WHERE service = @service AND username = @username AND ${held[0]})
         SELECT c.id, c.device_id, c.model_id, c.firmware_version,
           (SELECT MIN(x.id) FROM credentials x WHERE x.service = c.service AND x.username = c.username AND x.secret_kind = c.secret_kind AND x.secret = c.secret) AS first,
           ${PRESENT} AS present
         FROM credentials c JOIN held h ON h.secret_kind = c.secret_kind AND h.secret = c.secret
         WHERE c.service = @service AND c.username = @username ORDER BY c.id`,
      )
      .all({ owner, service, username }) as CredentialGroupRow[];
    return credentialNodesOf(rows, service, username);
  }

  async rankCredentials(minDevices: number, limit?: number): Promise<{ counted: number; nodes: RankedCredentialRow[] }> {
    // Secrets held by devices only: one pass over the (service, username, secret) index, each group's first row
    // (SQLite gives a bare column the values of the MIN() row) naming it. Model-wide secrets are few; counted apart.
    const groups = `SELECT MIN(c.id) AS first, c.device_id, c.service, c.username, COUNT(DISTINCT d.device_id) AS devices, SUM(c.device_id IS NULL) AS model_rows
      FROM credentials c LEFT JOIN devices d ON d.device_id = c.device_id GROUP BY c.service, c.username, c.secret_kind, c.secret`;
    const top = this.db
      .prepare(
        `SELECT device_id || '/' || service || '/' || username AS name, service, username, devices, COUNT(*) OVER () AS total
         FROM (${groups}) WHERE model_rows = 0 AND devices >= ? ORDER BY devices DESC, name LIMIT ?`,
      )
      .all(minDevices, limit ?? -1) as (RankedCredentialRow & { total: number })[];
    const counted = top[0]?.total ?? 0;
    const nodes: RankedCredentialRow[] = top.map(({ total: _t, ...r }) => r);
    // A model-wide secret's group, found by one of its model rows (the secret stays in the database).
    const wide = this.db.prepare("SELECT MIN(id) AS id, service, username FROM credentials WHERE device_id IS NULL GROUP BY service, username, secret_kind, secret").all() as { id: number; service: string; username: string }[];
    const groupOf = this.db.prepare(
      `SELECT c.id, c.device_id, c.model_id, c.firmware_version, 0 AS first, ${PRESENT} AS present
       FROM credentials k JOIN credentials c ON c.service = k.service AND c.username = k.username AND c.secret_kind = k.secret_kind AND c.secret = k.secret
       WHERE k.id = ? ORDER BY c.id`,
    );
    let more = 0;
    for (const g of wide) {
      const rows = groupOf.all(g.id) as CredentialGroupRow[];
      const first = rows[0]!.id;
      const [node] = credentialNodesOf(rows.map((r) => ({ ...r, first })), g.service, g.username);
      const devices = node ? await this.holderCount(node) : 0;
      if (devices < minDevices) continue;
      more++;
      nodes.push({ name: node!.name, service: g.service, username: g.username, devices });
    }
    nodes.sort((a, b) => b.devices - a.devices || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { counted: counted + more, nodes: limit === undefined ? nodes : nodes.slice(0, limit) };
  }

  /** Distinct devices of the fleet that hold a credential (its models' devices from device_cells). */
  private async holderCount(h: CredentialNodeRow): Promise<number> {
    const { cells, devices } = this.parts({ holders: h });
    const n = (sql: string, p: unknown[]) => (this.db.prepare(sql).pluck().get(...p) as number | null) ?? 0;
    return (cells ? n(`SELECT SUM(devices) FROM device_cells WHERE ${cells[0]}`, cells[1]) : 0) + (devices ? n(`SELECT COUNT(*) FROM devices WHERE ${devices[0]}`, devices[1]) : 0);
  }

  async imageCounts(): Promise<{ model_id: string; firmware_version: string; devices: number }[]> {
    return this.db.prepare("SELECT model_id, firmware_version, devices FROM device_images WHERE model_id IS NOT NULL AND firmware_version <> ''").all() as { model_id: string; firmware_version: string; devices: number }[];
  }

  async modelCounts(): Promise<{ model_id: string; devices: number }[]> {
    return this.db.prepare("SELECT model_id, SUM(devices) AS devices FROM device_images WHERE model_id IS NOT NULL GROUP BY model_id").all() as { model_id: string; devices: number }[];
  }

  async certificateCounts(): Promise<{ fingerprint: string; devices: number }[]> {
    return this.db.prepare("SELECT cert_fingerprint AS fingerprint, COUNT(*) AS devices FROM devices WHERE cert_fingerprint IS NOT NULL GROUP BY cert_fingerprint").all() as { fingerprint: string; devices: number }[];
  }

  async caCounts(): Promise<{ issuer_fingerprint: string | null; issuer: string; devices: number }[]> {
    return this.db.prepare("SELECT issuer_fingerprint, issuer, SUM(devices) AS devices FROM device_cells WHERE issuer IS NOT NULL GROUP BY issuer_fingerprint, issuer").all() as { issuer_fingerprint: string | null; issuer: string; devices: number }[];
  }

  async apnCounts(): Promise<{ apn: string; devices: number }[]> {
    return this.db.prepare("SELECT apn, SUM(devices) AS devices FROM device_cells WHERE apn <> '' GROUP BY apn").all() as { apn: string; devices: number }[];
  }

  async *devices(pageSize = 20_000): AsyncIterable<GraphDeviceRow[]> {
    const stmt = this.db.prepare("SELECT device_id, model_id, firmware_version, cert_fingerprint, country, groups, mccmnc, apn, mqtt FROM devices WHERE device_id > ? ORDER BY device_id LIMIT ?");
    let after = "";
    for (;;) {
      const rows = stmt.all(after, pageSize) as Parameters<typeof graphDevice>[0][];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.device_id;
      yield rows.map(graphDevice);
      if (rows.length < pageSize) return;
    }
  }

  async *certificates(pageSize = 20_000): AsyncIterable<GraphCertificateRow[]> {
    const stmt = this.db.prepare("SELECT fingerprint, doc ->> '$.subject' AS subject, doc ->> '$.issuer' AS issuer, doc ->> '$.issuer_fingerprint' AS issuer_fingerprint FROM certificates WHERE fingerprint > ? ORDER BY fingerprint LIMIT ?");
    let after = "";
    for (;;) {
      const rows = stmt.all(after, pageSize) as GraphCertificateRow[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.fingerprint;
      yield rows;
      if (rows.length < pageSize) return;
    }
  }

  async *credentials(pageSize = 20_000): AsyncIterable<GraphCredentialRow[]> {
    // The secret never leaves this method: each distinct (kind, secret) gets a number in order of first appearance.
    const stmt = this.db.prepare("SELECT id, device_id, model_id, firmware_version, service, username, secret_kind || ':' || secret AS s FROM credentials WHERE id > ? ORDER BY id LIMIT ?");
    const groups = new Map<string, number>();
    let after = 0;
    for (;;) {
      const rows = stmt.all(after, pageSize) as { id: number; device_id: string | null; model_id: string | null; firmware_version: string | null; service: string; username: string; s: string }[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.id;
      yield rows.map(({ id: _id, s, ...r }) => {
        let g = groups.get(s);
        if (g === undefined) groups.set(s, (g = groups.size + 1));
        return { ...r, secret_group: g };
      });
      if (rows.length < pageSize) return;
    }
  }

  async *components(pageSize = 20_000): AsyncIterable<GraphComponentRow[]> {
    const stmt = this.db.prepare(
      `SELECT model_id, firmware_version, ord, doc ->> '$.name' AS name, doc ->> '$.version' AS version, doc ->> '$.purl' AS purl
       FROM vuln_components WHERE (model_id, firmware_version, ord) > (?, ?, ?) ORDER BY model_id, firmware_version, ord LIMIT ?`,
    );
    let after: [string, string, number] = ["", "", -1];
    for (;;) {
      const rows = stmt.all(...after, pageSize) as (GraphComponentRow & { ord: number })[];
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = [last.model_id, last.firmware_version, last.ord];
      yield rows.map(({ ord: _ord, ...r }) => r);
      if (rows.length < pageSize) return;
    }
  }

  async endpoints(): Promise<GraphEndpointRow[]> {
    return this.db.prepare("SELECT destination, COUNT(DISTINCT device_id) AS devices FROM flow_observations GROUP BY destination ORDER BY devices DESC, destination").all() as GraphEndpointRow[];
  }

  async endpointDevices(endpoint: string, port?: number): Promise<string[]> {
    const e = endpoint.toLowerCase();
    const suffix = e.startsWith(".") ? e : null;
    const rows = this.db
      .prepare(
        `SELECT DISTINCT device_id FROM flow_observations
         WHERE (destination = @e OR address = @e OR (@suffix IS NOT NULL AND (destination = substr(@suffix, 2) OR destination LIKE '%' || @suffix)))
           AND (@port IS NULL OR port = @port)
         ORDER BY device_id`,
      )
      .pluck()
      .all({ e, suffix, port: port ?? null }) as string[];
    return rows;
  }

  async saveRanking(kinds: readonly StoredRankingKind[], nodes: readonly StoredRankingNode[]): Promise<void> {
    const delKind = this.db.prepare("DELETE FROM whatif_ranking_kinds WHERE kind = ?");
    const delNodes = this.db.prepare("DELETE FROM whatif_ranking_nodes WHERE kind = ?");
    const addKind = this.db.prepare("INSERT INTO whatif_ranking_kinds (kind, computed_at, fleet_devices, counted, source) VALUES (?, ?, ?, ?, ?)");
    const addNode = this.db.prepare("INSERT INTO whatif_ranking_nodes (kind, pos, target, label, devices) VALUES (?, ?, ?, ?, ?)");
    // One transaction (a savepoint inside a caller's): a reader sees the old ranking of a kind or the new one, never half.
    this.db.transaction(() => {
      for (const k of kinds) {
        delKind.run(k.kind);
        delNodes.run(k.kind);
        addKind.run(k.kind, k.computed_at, k.fleet_devices, k.counted, k.source);
      }
      for (const n of nodes) addNode.run(n.kind, n.pos, n.target, n.label, n.devices);
    })();
  }

  async rankingKinds(): Promise<StoredRankingKind[]> {
    return this.db.prepare("SELECT kind, computed_at, fleet_devices, counted, source FROM whatif_ranking_kinds ORDER BY kind").all() as StoredRankingKind[];
  }

  async rankingNodes(kinds: readonly string[], limit: number): Promise<StoredRankingNode[]> {
    return this.db.prepare("SELECT kind, pos, target, label, devices FROM whatif_ranking_nodes WHERE kind IN (SELECT value FROM json_each(?)) AND pos < ? ORDER BY kind, pos").all(JSON.stringify(kinds), limit) as StoredRankingNode[];
  }

  async lastDeviceImport(): Promise<string | undefined> {
    return (this.db.prepare("SELECT MAX(started_at) FROM imports WHERE kind = 'devices'").pluck().get() as string | null) ?? undefined;
  }
}
