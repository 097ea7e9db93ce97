import type { WatchEntry } from "../../intel/watchlist.ts";
import type { DestinationDay, EndpointContact, FlowInput, FlowObservation, FlowRepository, StoredPrivacyReport } from "../flows.ts";
import { chunks, type PgDb, uniqueRuns } from "./db.ts";
import { markTrafficSql } from "../list-sql.ts";
import { pgListDialect, pgRun } from "./lists.ts";

interface DayRow {
  day: string;
  destination: string;
  port: number;
  protocol: string;
  party: string;
  owner: string | null;
  country: string | null;
  purpose: string | null;
  categories: string;
  declared: number;
  local: number;
  devices: number;
  flows: number;
  bytes_out: number;
  bytes_in: number;
}

const KEY = (r: FlowObservation) => JSON.stringify([r.device_id, r.day, r.destination, r.address, r.port ?? -1, r.protocol ?? "", r.direction]);

export class PgFlows implements FlowRepository {
  constructor(private readonly db: PgDb) {}

  async record(rows: readonly FlowObservation[]): Promise<void> {
    await this.db.transaction(async (db) => {
      for (const run of uniqueRuns(rows, KEY)) {
        for (const part of chunks(run, 2000)) {
          const col = <T>(f: (r: FlowObservation) => T) => part.map(f);
          await db.query(
            `INSERT INTO flow_observations AS o (device_id, model_id, day, destination, address, port, protocol, direction, name_source, local, party, owner,
               country, purpose, categories, declared, mud_allowed, flows, bytes_out, bytes_in, first_seen, last_seen)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[], $12::text[],
               $13::text[], $14::text[], $15::text[], $16::int[], $17::int[], $18::bigint[], $19::float8[], $20::float8[], $21::text[], $22::text[])
             ON CONFLICT (device_id, day, destination, address, port, protocol, direction) DO UPDATE SET
               flows = o.flows + excluded.flows, bytes_out = o.bytes_out + excluded.bytes_out, bytes_in = o.bytes_in + excluded.bytes_in,
               first_seen = LEAST(o.first_seen, excluded.first_seen), last_seen = GREATEST(o.last_seen, excluded.last_seen),
               model_id = excluded.model_id, party = excluded.party, owner = excluded.owner, country = excluded.country,
               purpose = excluded.purpose, categories = excluded.categories, declared = excluded.declared, mud_allowed = excluded.mud_allowed`,
            [
              col((r) => r.device_id),
              col((r) => r.model_id ?? null),
              col((r) => r.day),
              col((r) => r.destination),
              col((r) => r.address),
              col((r) => r.port ?? -1),
              col((r) => r.protocol ?? ""),
              col((r) => r.direction),
              col((r) => r.name_source),
              col((r) => (r.local ? 1 : 0)),
              col((r) => r.party),
              col((r) => r.owner ?? null),
              col((r) => r.country ?? null),
              col((r) => r.purpose ?? null),
              col((r) => JSON.stringify(r.categories)),
              col((r) => (r.declared ? 1 : 0)),
              col((r) => (r.mud_allowed === undefined ? null : r.mud_allowed ? 1 : 0)),
              col((r) => r.flows),
              col((r) => r.bytes_out),
              col((r) => r.bytes_in),
              col((r) => r.first_seen),
              col((r) => r.last_seen),
            ],
          );
        }
      }
      if (rows.length) await pgRun(db)(markTrafficSql(pgListDialect), [JSON.stringify(rows.map((r) => r.device_id))]);
    });
  }

  async modelDays(modelId: string, since: string, until: string): Promise<DestinationDay[]> {
    // MIN() of the descriptive columns: one row per group whatever the database (SQLite picks any row's value).
    const rows = await this.db.query<DayRow>(
      `SELECT day, destination, port, protocol, MIN(party) AS party, MIN(owner) AS owner, MIN(country) AS country, MIN(purpose) AS purpose, MIN(categories) AS categories,
              MAX(declared) AS declared, MAX(local) AS local, COUNT(DISTINCT device_id)::int AS devices, SUM(flows)::float8 AS flows, SUM(bytes_out) AS bytes_out, SUM(bytes_in) AS bytes_in
       FROM flow_observations WHERE model_id = $1 AND day >= $2 AND day < $3
       GROUP BY day, destination, port, protocol ORDER BY day COLLATE "C", destination COLLATE "C", port, protocol COLLATE "C"`,
      [modelId, since, until],
    );
    return rows.map((r) => {
      const d: DestinationDay = { day: r.day, destination: r.destination, party: r.party, categories: JSON.parse(r.categories) as string[], declared: r.declared === 1, local: r.local === 1, devices: r.devices, flows: r.flows, bytes_out: r.bytes_out, bytes_in: r.bytes_in };
      if (r.port >= 0) d.port = r.port;
      if (r.protocol !== "") d.protocol = r.protocol;
      if (r.owner !== null) d.owner = r.owner;
      if (r.country !== null) d.country = r.country;
      if (r.purpose !== null) d.purpose = r.purpose;
      return d;
    });
  }

  async modelDevices(modelId: string, since: string, until: string): Promise<number> {
    return (await this.db.query<{ n: number }>("SELECT COUNT(DISTINCT device_id) AS n FROM flow_observations WHERE model_id = $1 AND day >= $2 AND day < $3", [modelId, since, until]))[0]!.n;
  }

  async *devicesTalkingTo(endpoint: string, opts: { since?: string; until?: string; pageSize?: number } = {}): AsyncIterable<EndpointContact[]> {
    const e = endpoint.toLowerCase();
    const suffix = e.startsWith(".") ? e : null;
    let after = "";
    const limit = opts.pageSize ?? 1000;
    for (;;) {
      const rows = await this.db.query<EndpointContact & { model_id: string | null }>(
        `SELECT device_id, MAX(model_id) AS model_id, MIN(destination) AS destination, MIN(address) AS address, MIN(first_seen) AS first_seen,
                MAX(last_seen) AS last_seen, SUM(flows)::float8 AS flows, SUM(bytes_out) AS bytes_out, SUM(bytes_in) AS bytes_in
         FROM flow_observations
         WHERE (destination = $1 OR address = $1 OR ($2::text IS NOT NULL AND (destination = substr($2, 2) OR destination LIKE '%' || $2)))
           AND day >= $3 AND day < $4 AND device_id COLLATE "C" > $5
         GROUP BY device_id ORDER BY device_id COLLATE "C" LIMIT $6`,
        [e, suffix, opts.since ?? "0000", opts.until ?? "9999", after, limit],
      );
      if (!rows.length) return;
      yield rows.map((r) => {
        const { model_id, ...rest } = r;
        return model_id !== null ? { ...rest, model_id } : rest;
      });
      if (rows.length < limit) return;
      after = rows[rows.length - 1]!.device_id;
    }
  }

  async destinationDevices(since: string, until: string): Promise<Map<string, number>> {
    const rows = await this.db.query<{ destination: string; n: number }>("SELECT destination, COUNT(DISTINCT device_id) AS n FROM flow_observations WHERE day >= $1 AND day < $2 GROUP BY destination", [since, until]);
    return new Map(rows.map((r) => [r.destination, r.n]));
  }

  async inputs(hashes: readonly string[], paths: readonly string[]): Promise<FlowInput[]> {
    return this.db.query<FlowInput>(
      `SELECT head_sha256, head_len, path, lines::float8 AS lines, updated_at FROM flow_inputs
       WHERE head_sha256 = ANY($1::text[]) OR path = ANY($2::text[]) ORDER BY head_sha256`,
      [[...new Set(hashes)], [...new Set(paths)]],
    );
  }

  async saveInputs(rows: readonly FlowInput[], replaces: readonly string[] = []): Promise<void> {
    await this.db.transaction(async (db) => {
      if (replaces.length) await db.query("DELETE FROM flow_inputs WHERE head_sha256 = ANY($1::text[])", [[...replaces]]);
      for (const r of rows) {
        await db.query(
          `INSERT INTO flow_inputs AS i (head_sha256, head_len, path, lines, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (head_sha256) DO UPDATE SET head_len = excluded.head_len, path = excluded.path, lines = GREATEST(i.lines, excluded.lines), updated_at = excluded.updated_at`,
          [r.head_sha256, r.head_len, r.path, r.lines, r.updated_at],
        );
      }
    });
  }

  async saveReport(r: Omit<StoredPrivacyReport, "id">): Promise<number> {
    return (await this.db.query<{ id: number }>("INSERT INTO privacy_reports (model_id, created_at, doc) VALUES ($1, $2, $3) RETURNING id", [r.model_id, r.created_at, JSON.stringify(r.doc)]))[0]!.id;
  }

  async latestReport(modelId: string): Promise<StoredPrivacyReport | undefined> {
    const [r] = await this.db.query<Omit<StoredPrivacyReport, "doc"> & { doc: string }>("SELECT id, model_id, created_at, doc FROM privacy_reports WHERE model_id = $1 ORDER BY id DESC LIMIT 1", [modelId]);
    return r ? { ...r, doc: JSON.parse(r.doc) as unknown } : undefined;
  }

  async replaceWatchlist(source: string, entries: readonly WatchEntry[], importedAt: string): Promise<number> {
    return this.db.transaction(async (db) => {
      await db.query("DELETE FROM intel_watchlist WHERE source = $1", [source]);
      for (const run of uniqueRuns(entries, (e) => JSON.stringify([e.value, e.indicator]))) {
        for (const part of chunks(run, 5000)) {
          await db.query(
            `INSERT INTO intel_watchlist (source, value, kind, indicator, name, valid_until, indicator_types, imported_at)
             SELECT $1, v, k, i, n, u, t, $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS x (v, k, i, n, u, t)
             ON CONFLICT (source, value, indicator) DO UPDATE SET name = excluded.name, valid_until = excluded.valid_until, indicator_types = excluded.indicator_types`,
            [source, importedAt, part.map((e) => e.value), part.map((e) => e.kind), part.map((e) => e.indicator), part.map((e) => e.name), part.map((e) => e.valid_until ?? null), part.map((e) => (e.indicator_types ? JSON.stringify(e.indicator_types) : null))],
          );
        }
      }
      return (await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM intel_watchlist WHERE source = $1", [source]))[0]!.n;
    });
  }

  async watchlist(): Promise<WatchEntry[]> {
    const rows = await this.db.query<{ source: string; value: string; kind: WatchEntry["kind"]; indicator: string; name: string; valid_until: string | null; indicator_types: string | null }>(
      'SELECT * FROM intel_watchlist ORDER BY source COLLATE "C", value COLLATE "C", indicator COLLATE "C"',
    );
    return rows.map((r) => {
      const e: WatchEntry = { source: r.source, value: r.value, kind: r.kind, indicator: r.indicator, name: r.name };
      if (r.valid_until !== null) e.valid_until = r.valid_until;
      if (r.indicator_types !== null) e.indicator_types = JSON.parse(r.indicator_types) as string[];
      return e;
    });
  }
}
