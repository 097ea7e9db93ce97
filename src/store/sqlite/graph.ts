import type Database from "better-sqlite3";
import type { GraphCertificateRow, GraphComponentRow, GraphCredentialRow, GraphDeviceRow, GraphEndpointRow, GraphRepository } from "../graph.ts";

type DeviceTuple = [string, string | null, string | null, string | null, string | null, string | null, string | null, string | null, string | null, string | null];

/** Narrow keyset-paged reads; JSON fields are extracted by SQLite so JavaScript never parses a device document. */
export class SqliteGraph implements GraphRepository {
  constructor(private readonly db: Database.Database) {}

  async *devices(pageSize = 20_000): AsyncIterable<GraphDeviceRow[]> {
    const stmt = this.db
      .prepare(
        `SELECT device_id, model_id, doc ->> '$.firmware_version', cert_fingerprint, doc ->> '$.country', doc -> '$.groups',
                doc ->> '$.imsi', doc ->> '$.iccid', doc ->> '$.sim_apn', doc ->> '$.mqtt_client_id'
         FROM devices WHERE device_id > ? ORDER BY device_id LIMIT ?`,
      )
      .raw();
    let after = "";
    for (;;) {
      const rows = stmt.all(after, pageSize) as DeviceTuple[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield rows.map((r) => ({ device_id: r[0], model_id: r[1], firmware_version: r[2], cert_fingerprint: r[3], country: r[4], groups: r[5] ? (JSON.parse(r[5]) as string[]) : [], imsi: r[6], iccid: r[7], sim_apn: r[8], mqtt_client_id: r[9] }));
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
    // The secret stays in the database: the rank of (kind, secret) among the distinct secrets stands in for it.
    const stmt = this.db.prepare(
      `SELECT c.id, c.device_id, c.model_id, c.firmware_version, c.service, c.username, g.secret_group
       FROM credentials c JOIN (SELECT secret_kind, secret, DENSE_RANK() OVER (ORDER BY secret_kind, secret) AS secret_group FROM (SELECT DISTINCT secret_kind, secret FROM credentials)) g
         ON g.secret_kind = c.secret_kind AND g.secret = c.secret
       WHERE c.id > ? ORDER BY c.id LIMIT ?`,
    );
    let after = 0;
    for (;;) {
      const rows = stmt.all(after, pageSize) as (GraphCredentialRow & { id: number })[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.id;
      yield rows.map(({ id: _id, ...r }) => r);
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
}
