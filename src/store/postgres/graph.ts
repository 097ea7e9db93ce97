import { graphDevice, type GraphCertificateRow, type GraphComponentRow, type GraphCredentialRow, type GraphDeviceRow, type GraphEndpointRow, type GraphRepository } from "../graph.ts";
import type { PgDb } from "./db.ts";

/** Documents are text (see fleet migration): certificate and component fields are read with `doc::json` by the server; device documents are parsed once in JavaScript (graphDevice). */
export class PgGraph implements GraphRepository {
  constructor(private readonly db: PgDb) {}

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
}
