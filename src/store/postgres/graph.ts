import { type AffectedDeviceRow, type AffectedDevices, type CredentialGroupRow, credentialNodesOf, type CredentialNodeRow, type DeviceSelector, graphDevice, groupsOf, type GraphCertificateRow, type GraphComponentRow, type GraphCredentialRow, type GraphDeviceRow, type GraphEndpointRow, type GraphRepository, type RankedCredentialRow, type StoredRankingKind, type StoredRankingNode } from "../graph.ts";
import { chunks, type PgDb } from "./db.ts";

/** A condition written with `?` for each parameter, numbered ($1, $2 …) when a statement is put together. */
type Part = [string, unknown[]];

/** Numbers the `?` of the parts in order, from $1. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const modelArrays = (models: readonly { model: string; firmware?: string }[]) => [models.map((m) => m.model), models.map((m) => m.firmware ?? null)];
/** A device (or device_cells row) of one of the models given as two arrays (of its firmware, when one is given). */
const OF_MODELS = "EXISTS (SELECT 1 FROM unnest(?::text[], ?::text[]) AS m (model, fw) WHERE m.model = model_id AND (m.fw IS NULL OR m.fw = firmware_version))";
/** Whether a credential row's device, or its model (and firmware), is in the fleet (`c` is the row). */
const PRESENT = `CASE WHEN c.device_id IS NOT NULL THEN EXISTS (SELECT 1 FROM devices d WHERE d.device_id = c.device_id)
  ELSE EXISTS (SELECT 1 FROM device_images i WHERE i.model_id = c.model_id AND (c.firmware_version IS NULL OR i.firmware_version = c.firmware_version)) END`;

/** Documents are text (see fleet migration): certificate and component fields are read with `doc::json` by the server; what the graph links devices by is in device columns and device_cells (fleet migration 4). */
export class PgGraph implements GraphRepository {
  constructor(private readonly db: PgDb) {}

  async deviceCount(): Promise<number> {
    // The per-image counts kept at the end of every import (the only writer of devices): no pass over the devices.
    const [r] = await this.db.query<{ n: number }>("SELECT COALESCE(SUM(devices), 0)::bigint AS n FROM device_images");
    return r!.n;
  }

  /** As SqliteGraph.parts: a condition device_cells answers and one only the devices can, never matching one device twice. */
  private parts(sel: DeviceSelector): { cells?: Part; devices?: Part } {
    if ("model" in sel) return { cells: sel.firmware === undefined ? ["model_id = ?", [sel.model]] : ["model_id = ? AND firmware_version = ?", [sel.model, sel.firmware]] };
    if ("cert" in sel) return { devices: ["cert_fingerprint = ?", [sel.cert]] };
    if ("issuer_fingerprint" in sel) return { cells: ["issuer_fingerprint = ?", [sel.issuer_fingerprint]] };
    if ("images" in sel) return { cells: ["(model_id, firmware_version) IN (SELECT * FROM unnest(?::text[], ?::text[]))", [sel.images.map((i) => i.model), sel.images.map((i) => i.firmware)]] };
    if ("issuer" in sel) return { cells: ["issuer = ?", [sel.issuer]] };
    if ("apn" in sel) return { cells: ["apn = ?", [sel.apn]] };
    if ("mccmnc" in sel) return { cells: ["left(mccmnc, ?::int) = ?", [sel.mccmnc.length, sel.mccmnc]] };
    if ("holders" in sel) {
      const { device_ids, models } = sel.holders;
      if (models.length === 0) return { devices: ["device_id = ANY(?::text[])", [[...device_ids]]] };
      const cells: Part = [OF_MODELS, modelArrays(models)];
      return device_ids.length === 0 ? { cells } : { cells, devices: [`device_id = ANY(?::text[]) AND NOT ${OF_MODELS}`, [[...device_ids], ...modelArrays(models)]] };
    }
    return { devices: ["device_id = ANY(?::text[])", [[...sel.device_ids]]] };
  }

  async affected(sel: DeviceSelector, sample: number): Promise<AffectedDevices> {
    const { cells, devices } = this.parts(sel);
    type Row = { model_id: string | null; firmware_version: string; country: string; groups: string; n: number; mqtt: number };
    const cellRows = cells ? await this.db.query<Row>(numbered(`SELECT model_id, firmware_version, country, groups, SUM(devices)::bigint AS n, SUM(mqtt)::bigint AS mqtt FROM device_cells WHERE ${cells[0]} GROUP BY model_id, firmware_version, country, groups`), cells[1]) : [];
    const raw: Row[] = [...cellRows];
    if (devices) raw.push(...(await this.db.query<Row>(numbered(`SELECT model_id, firmware_version, country, groups, COUNT(*) AS n, SUM(mqtt)::bigint AS mqtt FROM devices WHERE ${devices[0]} GROUP BY model_id, firmware_version, country, groups`), devices[1])));
    const rows = raw.map((r) => ({ model_id: r.model_id, firmware_version: r.firmware_version === "" ? null : r.firmware_version, country: r.country === "" ? null : r.country, groups: groupsOf(r.groups), devices: r.n }));
    const mqtt = raw.reduce((a, r) => a + r.mqtt, 0);
    const both = [cells, devices].filter((x) => x !== undefined);
    const w = both.map((x) => `(${x[0]})`).join(" OR ");
    const p = both.flatMap((x) => x[1]);
    let sampleIds: { device_id: string }[] = [];
    const images = "model" in sel || "images" in sel || "holders" in sel ? [...new Map(cellRows.filter((r) => r.model_id !== null && r.mqtt > 0).map((r) => [`${r.model_id}\u0000${r.firmware_version}`, [r.model_id!, r.firmware_version] as const])).values()] : undefined;
    if (mqtt > 0 && images && images.length <= 500) {
      // The first few in device order, per firmware image from the (model, firmware, device) index, merged (as SqliteGraph).
      const branches = images.map(() => "(SELECT device_id FROM devices WHERE model_id = ? AND firmware_version = ? AND mqtt = 1 ORDER BY device_id LIMIT ?)");
      const bp: unknown[] = images.flatMap(([m, f]) => [m, f, sample]);
      if (devices) {
        branches.push(`(SELECT device_id FROM devices WHERE (${devices[0]}) AND mqtt = 1 ORDER BY device_id LIMIT ?)`);
        bp.push(...devices[1], sample);
      }
      sampleIds = await this.db.query<{ device_id: string }>(numbered(`SELECT device_id FROM (${branches.join(" UNION ALL ")}) s ORDER BY device_id LIMIT ?`), [...bp, sample]);
    } else if (mqtt > 0) sampleIds = await this.db.query<{ device_id: string }>(numbered(`SELECT device_id FROM devices WHERE (${w}) AND mqtt = 1 ORDER BY device_id LIMIT ?`), [...p, sample]);
    const cert = "cert" in sel ? "cert_fingerprint = $1" : "issuer_fingerprint" in sel ? "issuer_fingerprint = $1" : "issuer" in sel ? "issuer = $1" : undefined;
    const key = "cert" in sel ? sel.cert : "issuer_fingerprint" in sel ? sel.issuer_fingerprint : "issuer" in sel ? sel.issuer : undefined;
    const [c] = cert ? await this.db.query<{ n: number }>(`SELECT COUNT(DISTINCT cert_fingerprint)::int AS n FROM devices WHERE ${cert}`, [key]) : [{ n: 0 }];
    const fps = cert ? await this.db.query<{ fp: string }>(`SELECT DISTINCT cert_fingerprint COLLATE "C" AS fp FROM devices WHERE ${cert} AND cert_fingerprint IS NOT NULL ORDER BY 1 LIMIT $2`, [key, sample]) : [];
    return { rows, mqtt, mqtt_sample: sampleIds.map((r) => r.device_id), certificates: c!.n, certificate_sample: fps.map((r) => r.fp) };
  }

  async affectedDevices(sel: DeviceSelector): Promise<AffectedDeviceRow[]> {
    // The cell part's columns are the devices' own, so both parts select devices rows directly (as SqliteGraph).
    const both = Object.values(this.parts(sel));
    const rows = await this.db.query<AffectedDeviceRow>(numbered(`SELECT device_id, model_id, country FROM devices WHERE ${both.map((x) => `(${x[0]})`).join(" OR ")} ORDER BY device_id COLLATE "C"`), both.flatMap((x) => x[1]));
    return rows.map((r) => ({ device_id: r.device_id, model_id: r.model_id, country: r.country || null }));
  }

  async issuerSubject(issuerFingerprint: string): Promise<string | undefined> {
    const [r] = await this.db.query<{ s: string | null }>("SELECT issuer AS s FROM devices WHERE issuer_fingerprint = $1 ORDER BY cert_fingerprint COLLATE \"C\" LIMIT 1", [issuerFingerprint]);
    return r?.s ?? undefined;
  }

  async credentialNodes(owner: string, ownerIsModel: boolean, service: string, username: string): Promise<CredentialNodeRow[] | undefined> {
    let held: string;
    if (ownerIsModel) {
      if ((await this.db.query("SELECT 1 FROM device_images WHERE model_id = $1 LIMIT 1", [owner])).length === 0) return undefined;
      held = "device_id IS NULL AND model_id = $1 AND (firmware_version IS NULL OR EXISTS (SELECT 1 FROM device_images i WHERE i.model_id = c.model_id AND i.firmware_version = c.firmware_version))";
    } else {
      if ((await this.db.query("SELECT 1 FROM devices WHERE device_id = $1", [owner])).length === 0) return undefined;
      held = `(device_id = $1 OR (device_id IS NULL AND model_id = (SELECT model_id FROM devices WHERE device_id = $1)
        AND (firmware_version IS NULL OR firmware_version = (SELECT NULLIF(firmware_version, '') FROM devices WHERE device_id = $1))))`;
    }
    // Every row with the same service, username and secret as one the owner holds, with the first row of its secret
    // (which names the credential) and whether its device or model is in the fleet. The owner's few secrets are
    // MATERIALIZED: without statistics (right after a bulk load) the planner otherwise may rescan them once per
    // credential of the service (seen: minutes at 100,000 devices).
    const rows = await this.db.query<CredentialGroupRow>(
      `WITH held AS MATERIALIZED (SELECT DISTINCT secret_kind, secret FROM credentials c WHERE service = $2 AND username = $3 AND ${held})
       SELECT c.id, c.device_id, c.model_id, c.firmware_version,
         (SELECT MIN(x.id) FROM credentials x WHERE x.service = c.service AND x.username = c.username AND x.secret_kind = c.secret_kind AND x.secret = c.secret) AS first,
         ${PRESENT} AS present
       FROM credentials c JOIN held h ON h.secret_kind = c.secret_kind AND h.secret = c.secret
       WHERE c.service = $2 AND c.username = $3 ORDER BY c.id`,
      [owner, service, username],
    );
    return credentialNodesOf(rows, service, username);
  }

  async rankCredentials(minDevices: number, limit?: number): Promise<{ counted: number; nodes: RankedCredentialRow[] }> {
    // Secrets held by devices only, grouped by secret in the database and named by their first row; model-wide
    // secrets are few and counted apart. Two GROUP BYs — per (secret, device), then per secret — instead of
    // COUNT(DISTINCT) over a join with the devices: both levels follow the order of credentials_secret_id (whatif
    // migration 2), so on a vacuumed table they stream from an index-only scan with no sort and no join, and otherwise
    // each is a hash aggregate (COUNT(DISTINCT) forced a sort of every row in the database's collation). A secret held
    // by one device is named by that device without looking its first row up. Whether a device is in the fleet is
    // asked per (secret, device) only when some credential names a device that is not (one merge of two indexes says).
    const [{ absent }] = (await this.db.query<{ absent: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM credentials c WHERE c.device_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = c.device_id)) AS absent",
    )) as [{ absent: boolean }];
    const present = absent ? " FILTER (WHERE EXISTS (SELECT 1 FROM devices d WHERE d.device_id = p.device_id))" : "";
    const top = await this.db.query<RankedCredentialRow & { total: number }>(
      `SELECT x.name, x.service, x.username, x.devices::int AS devices, COUNT(*) OVER () AS total FROM (
         SELECT CASE WHEN g.holders = 1 THEN g.device_id ELSE (SELECT f.device_id FROM credentials f WHERE f.id = g.first) END || '/' || g.service || '/' || g.username AS name, g.service, g.username, g.devices
         FROM (SELECT MIN(p.first) AS first, p.service, p.username, COUNT(*) AS holders, MIN(p.device_id) AS device_id, COUNT(p.device_id)${present} AS devices, bool_or(p.device_id IS NULL) AS wide
               FROM (SELECT MIN(c.id) AS first, c.service, c.username, c.secret_kind, c.secret, c.device_id FROM credentials c GROUP BY c.service, c.username, c.secret_kind, c.secret, c.device_id) p
               GROUP BY p.service, p.username, p.secret_kind, p.secret) g
         WHERE NOT g.wide AND g.devices >= $1) x
       ORDER BY x.devices DESC, x.name COLLATE "C" LIMIT $2`,
      [minDevices, limit ?? null],
    );
    const counted = top[0]?.total ?? 0;
    const nodes: RankedCredentialRow[] = top.map(({ total: _t, ...r }) => r);
    // A model-wide secret's group, found by one of its model rows (the secret stays in the database).
    const wide = await this.db.query<{ id: number; service: string; username: string }>("SELECT MIN(id) AS id, service, username FROM credentials WHERE device_id IS NULL GROUP BY service, username, secret_kind, secret");
    let more = 0;
    for (const g of wide) {
      const rows = await this.db.query<CredentialGroupRow>(
        `SELECT c.id, c.device_id, c.model_id, c.firmware_version, 0 AS first, ${PRESENT} AS present
         FROM credentials k JOIN credentials c ON c.service = k.service AND c.username = k.username AND c.secret_kind = k.secret_kind AND c.secret = k.secret
         WHERE k.id = $1 ORDER BY c.id`,
        [g.id],
      );
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
    const n = async (sql: string, p: unknown[]) => (await this.db.query<{ n: number | null }>(numbered(sql), p))[0]?.n ?? 0;
    return (cells ? await n(`SELECT SUM(devices)::bigint AS n FROM device_cells WHERE ${cells[0]}`, cells[1]) : 0) + (devices ? await n(`SELECT COUNT(*) AS n FROM devices WHERE ${devices[0]}`, devices[1]) : 0);
  }

  async imageCounts(): Promise<{ model_id: string; firmware_version: string; devices: number }[]> {
    return this.db.query("SELECT model_id, firmware_version, devices FROM device_images WHERE model_id IS NOT NULL AND firmware_version <> ''");
  }

  async modelCounts(): Promise<{ model_id: string; devices: number }[]> {
    return this.db.query("SELECT model_id, SUM(devices)::bigint AS devices FROM device_images WHERE model_id IS NOT NULL GROUP BY model_id");
  }

  async certificateCounts(): Promise<{ fingerprint: string; devices: number }[]> {
    return this.db.query("SELECT cert_fingerprint AS fingerprint, COUNT(*) AS devices FROM devices WHERE cert_fingerprint IS NOT NULL GROUP BY cert_fingerprint");
  }

  async caCounts(): Promise<{ issuer_fingerprint: string | null; issuer: string; devices: number }[]> {
    return this.db.query("SELECT issuer_fingerprint, issuer, SUM(devices)::bigint AS devices FROM device_cells WHERE issuer IS NOT NULL GROUP BY issuer_fingerprint, issuer");
  }

  async apnCounts(): Promise<{ apn: string; devices: number }[]> {
    return this.db.query("SELECT apn, SUM(devices)::bigint AS devices FROM device_cells WHERE apn <> '' GROUP BY apn");
  }

  async *devices(pageSize = 20_000): AsyncIterable<GraphDeviceRow[]> {
    let after = "";
    for (;;) {
      const rows = await this.db.query<Parameters<typeof graphDevice>[0]>("SELECT device_id, model_id, firmware_version, cert_fingerprint, country, groups, mccmnc, apn, mqtt FROM devices WHERE device_id > $1 ORDER BY device_id LIMIT $2", [after, pageSize]);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.device_id;
      yield rows.map(graphDevice);
      if (rows.length < pageSize) return;
    }
  }

  async *certificates(pageSize = 20_000): AsyncIterable<GraphCertificateRow[]> {
    let after = "";
    for (;;) {
      const rows = await this.db.query<GraphCertificateRow>(
        `SELECT fingerprint, j->>'subject' AS subject, j->>'issuer' AS issuer, j->>'issuer_fingerprint' AS issuer_fingerprint
         FROM (SELECT fingerprint, doc::json AS j FROM certificates WHERE fingerprint > $1 ORDER BY fingerprint LIMIT $2) c ORDER BY fingerprint`,
        [after, pageSize],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.fingerprint;
      yield rows;
      if (rows.length < pageSize) return;
    }
  }

  async *credentials(pageSize = 20_000): AsyncIterable<GraphCredentialRow[]> {
    // The secret never leaves this method: each distinct (kind, secret) gets a number in order of first appearance.
    const groups = new Map<string, number>();
    let after = 0;
    for (;;) {
      const rows = await this.db.query<{ id: number; device_id: string | null; model_id: string | null; firmware_version: string | null; service: string; username: string; s: string }>(
        "SELECT id, device_id, model_id, firmware_version, service, username, secret_kind || ':' || secret AS s FROM credentials WHERE id > $1 ORDER BY id LIMIT $2",
        [after, pageSize],
      );
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
    let after: [string, string, number] = ["", "", -1];
    for (;;) {
      const rows = await this.db.query<GraphComponentRow & { ord: number }>(
        `SELECT model_id, firmware_version, ord, j->>'name' AS name, j->>'version' AS version, j->>'purl' AS purl
         FROM (SELECT model_id, firmware_version, ord, doc::json AS j FROM vuln_components WHERE (model_id, firmware_version, ord) > ($1, $2, $3)
               ORDER BY model_id, firmware_version, ord LIMIT $4) v ORDER BY model_id, firmware_version, ord`,
        [...after, pageSize],
      );
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = [last.model_id, last.firmware_version, last.ord];
      yield rows.map(({ ord: _ord, ...r }) => r);
      if (rows.length < pageSize) return;
    }
  }

  async endpoints(): Promise<GraphEndpointRow[]> {
    // Distinct (destination, device) pairs first, then counted: two hash aggregates, where COUNT(DISTINCT) sorted every
    // flow row (one per device, destination and day …) in the database's collation.
    return this.db.query<GraphEndpointRow>(
      `SELECT destination, COUNT(*)::int AS devices FROM (SELECT destination, device_id FROM flow_observations GROUP BY destination, device_id) p
       GROUP BY destination ORDER BY devices DESC, destination COLLATE "C"`,
    );
  }

  async endpointDevices(endpoint: string, port?: number): Promise<string[]> {
    const e = endpoint.toLowerCase();
    const suffix = e.startsWith(".") ? e : null;
    const rows = await this.db.query<{ device_id: string }>(
      `SELECT device_id FROM flow_observations
       WHERE (destination = $1 OR address = $1 OR ($2::text IS NOT NULL AND (destination = substr($2, 2) OR destination LIKE '%' || $2)))
         AND ($3::int IS NULL OR port = $3)
       GROUP BY device_id ORDER BY device_id COLLATE "C"`,
      [e, suffix, port ?? null],
    );
    return rows.map((r) => r.device_id);
  }

  async saveRanking(kinds: readonly StoredRankingKind[], nodes: readonly StoredRankingNode[]): Promise<void> {
    const names = kinds.map((k) => k.kind);
    // One transaction (a savepoint inside a caller's): a reader sees the old ranking of a kind or the new one, never half.
    await this.db.transaction(async (db) => {
      await db.query("DELETE FROM whatif_ranking_kinds WHERE kind = ANY($1::text[])", [names]);
      await db.query("DELETE FROM whatif_ranking_nodes WHERE kind = ANY($1::text[])", [names]);
      await db.query("INSERT INTO whatif_ranking_kinds (kind, computed_at, fleet_devices, counted, source) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])", [
        names,
        kinds.map((k) => k.computed_at),
        kinds.map((k) => k.fleet_devices),
        kinds.map((k) => k.counted),
        kinds.map((k) => k.source),
      ]);
      for (const c of chunks(nodes, 5000)) {
        await db.query("INSERT INTO whatif_ranking_nodes (kind, pos, target, label, devices) SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[])", [
          c.map((n) => n.kind),
          c.map((n) => n.pos),
          c.map((n) => n.target),
          c.map((n) => n.label),
          c.map((n) => n.devices),
        ]);
      }
    });
  }

  async rankingKinds(): Promise<StoredRankingKind[]> {
    return this.db.query<StoredRankingKind>("SELECT kind, computed_at, fleet_devices, counted, source FROM whatif_ranking_kinds ORDER BY kind COLLATE \"C\"");
  }

  async rankingNodes(kinds: readonly string[], limit: number): Promise<StoredRankingNode[]> {
    return this.db.query<StoredRankingNode>("SELECT kind, pos, target, label, devices FROM whatif_ranking_nodes WHERE kind = ANY($1::text[]) AND pos < $2 ORDER BY kind COLLATE \"C\", pos", [[...kinds], limit]);
  }

  async lastDeviceImport(): Promise<string | undefined> {
    const [r] = await this.db.query<{ t: string | null }>("SELECT MAX(started_at) AS t FROM imports WHERE kind = 'devices'");
    return r?.t ?? undefined;
  }
}
