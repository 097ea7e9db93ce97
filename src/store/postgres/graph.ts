import { type AffectedDevices, type DeviceSelector, graphDevice, groupsOf, type GraphCertificateRow, type GraphComponentRow, type GraphCredentialRow, type GraphDeviceRow, type GraphEndpointRow, type GraphRepository, type StoredRankingKind, type StoredRankingNode } from "../graph.ts";
import { chunks, type PgDb } from "./db.ts";

/** Documents are text (see fleet migration): certificate and component fields are read with `doc::json` by the server; device documents are parsed once in JavaScript (graphDevice). */
export class PgGraph implements GraphRepository {
  constructor(private readonly db: PgDb) {}

  async deviceCount(): Promise<number> {
    const [r] = await this.db.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM devices");
    return r!.n;
  }

  /** A WHERE clause whose parameters start at $1. */
  private where(sel: DeviceSelector): [string, unknown[]] {
    if ("model" in sel) return sel.firmware === undefined ? ["model_id = $1", [sel.model]] : ["model_id = $1 AND firmware_version = $2", [sel.model, sel.firmware]];
    if ("cert" in sel) return ["cert_fingerprint = $1", [sel.cert]];
    if ("issuer_fingerprint" in sel) return ["cert_fingerprint IN (SELECT fingerprint FROM certificates WHERE (doc::json ->> 'issuer_fingerprint') = $1)", [sel.issuer_fingerprint]];
    if ("images" in sel) return ["(model_id, firmware_version) IN (SELECT * FROM unnest($1::text[], $2::text[]))", [sel.images.map((i) => i.model), sel.images.map((i) => i.firmware)]];
    return ["device_id = ANY($1::text[])", [[...sel.device_ids]]];
  }

  async affected(sel: DeviceSelector, sample: number): Promise<AffectedDevices> {
    const [w, p] = this.where(sel);
    const n = p.length + 1;
    const rows = (await this.db.query<{ model_id: string | null; firmware_version: string; country: string; groups: string; n: number }>(`SELECT model_id, firmware_version, country, groups, COUNT(*)::int AS n FROM devices WHERE ${w} GROUP BY model_id, firmware_version, country, groups`, p)).map((r) => ({ model_id: r.model_id, firmware_version: r.firmware_version === "" ? null : r.firmware_version, country: r.country === "" ? null : r.country, groups: groupsOf(r.groups), devices: r.n }));
    const mqtt = `FROM devices WHERE ${w} AND (doc::json ->> 'mqtt_client_id') IS NOT NULL`;
    const certs = "cert" in sel || "issuer_fingerprint" in sel;
    const [m] = await this.db.query<{ n: number }>(`SELECT COUNT(*)::int AS n ${mqtt}`, p);
    const sampleIds = await this.db.query<{ device_id: string }>(`SELECT device_id ${mqtt} ORDER BY device_id LIMIT $${n}`, [...p, sample]);
    const [c] = certs ? await this.db.query<{ n: number }>(`SELECT COUNT(DISTINCT cert_fingerprint)::int AS n FROM devices WHERE ${w}`, p) : [{ n: 0 }];
    const fps = certs ? await this.db.query<{ fp: string }>(`SELECT DISTINCT cert_fingerprint COLLATE "C" AS fp FROM devices WHERE ${w} AND cert_fingerprint IS NOT NULL ORDER BY 1 LIMIT $${n}`, [...p, sample]) : [];
    return { rows, mqtt: m!.n, mqtt_sample: sampleIds.map((r) => r.device_id), certificates: c!.n, certificate_sample: fps.map((r) => r.fp) };
  }

  async issuerSubject(issuerFingerprint: string): Promise<string | undefined> {
    const [r] = await this.db.query<{ s: string }>(
      `SELECT doc::json ->> 'issuer' AS s FROM certificates WHERE (doc::json ->> 'issuer_fingerprint') = $1 AND fingerprint IN (SELECT cert_fingerprint FROM devices WHERE cert_fingerprint IS NOT NULL) ORDER BY fingerprint LIMIT 1`,
      [issuerFingerprint],
    );
    return r?.s;
  }

  async *devices(pageSize = 20_000): AsyncIterable<GraphDeviceRow[]> {
    let after = "";
    for (;;) {
      const rows = await this.db.query<{ device_id: string; model_id: string | null; cert_fingerprint: string | null; doc: string }>("SELECT device_id, model_id, cert_fingerprint, doc FROM devices WHERE device_id > $1 ORDER BY device_id LIMIT $2", [after, pageSize]);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.device_id;
      yield rows.map((r) => graphDevice(r.device_id, r.model_id, r.cert_fingerprint, r.doc));
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
    return this.db.query<GraphEndpointRow>(`SELECT destination, COUNT(DISTINCT device_id)::int AS devices FROM flow_observations GROUP BY destination ORDER BY devices DESC, destination COLLATE "C"`);
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
