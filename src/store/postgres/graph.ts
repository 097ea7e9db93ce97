import type { GraphCertificateRow, GraphComponentRow, GraphCredentialRow, GraphDeviceRow, GraphEndpointRow, GraphRepository } from "../graph.ts";
import type { PgDb } from "./db.ts";

/** Documents are text (see fleet migration): fields are read with `doc::json`, parsed by the server, never by us. */
export class PgGraph implements GraphRepository {
  constructor(private readonly db: PgDb) {}

  async *devices(pageSize = 20_000): AsyncIterable<GraphDeviceRow[]> {
    let after = "";
    for (;;) {
      const rows = await this.db.query<Omit<GraphDeviceRow, "groups"> & { groups: string | null }>(
        `SELECT device_id, model_id, j->>'firmware_version' AS firmware_version, cert_fingerprint, j->>'country' AS country, j->'groups' AS groups,
                j->>'imsi' AS imsi, j->>'iccid' AS iccid, j->>'sim_apn' AS sim_apn, j->>'mqtt_client_id' AS mqtt_client_id
         FROM (SELECT device_id, model_id, cert_fingerprint, doc::json AS j FROM devices WHERE device_id > $1 ORDER BY device_id LIMIT $2) d ORDER BY device_id`,
        [after, pageSize],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.device_id;
      yield rows.map((r) => ({ ...r, groups: Array.isArray(r.groups) ? (r.groups as string[]) : [] }));
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
    let after = 0;
    for (;;) {
      // The secret stays in the database: the rank of (kind, secret) among the distinct secrets stands in for it.
      const rows = await this.db.query<GraphCredentialRow & { id: number }>(
        `SELECT c.id, c.device_id, c.model_id, c.firmware_version, c.service, c.username, g.secret_group::int AS secret_group
         FROM credentials c JOIN (SELECT secret_kind, secret, DENSE_RANK() OVER (ORDER BY secret_kind COLLATE "C", secret COLLATE "C") AS secret_group FROM (SELECT DISTINCT secret_kind, secret FROM credentials) s) g
           ON g.secret_kind = c.secret_kind AND g.secret = c.secret
         WHERE c.id > $1 ORDER BY c.id LIMIT $2`,
        [after, pageSize],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.id;
      yield rows.map(({ id: _id, ...r }) => r);
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
