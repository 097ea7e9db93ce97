import type Database from "better-sqlite3";
import type { WatchEntry } from "../../intel/watchlist.ts";
import type { DestinationDay, EndpointContact, FlowInput, FlowObservation, FlowRepository, StoredPrivacyReport } from "../flows.ts";
import { markTrafficSql } from "../list-sql.ts";
import { sqliteListDialect } from "./lists.ts";

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

export class SqliteFlows implements FlowRepository {
  constructor(private readonly db: Database.Database) {}

  async record(rows: readonly FlowObservation[]): Promise<void> {
    const stmt = this.db.prepare(
      `INSERT INTO flow_observations (device_id, model_id, day, destination, address, port, protocol, direction, name_source, local, party, owner,
         country, purpose, categories, declared, mud_allowed, flows, bytes_out, bytes_in, first_seen, last_seen)
       VALUES (@device_id, @model_id, @day, @destination, @address, @port, @protocol, @direction, @name_source, @local, @party, @owner,
         @country, @purpose, @categories, @declared, @mud_allowed, @flows, @bytes_out, @bytes_in, @first_seen, @last_seen)
       ON CONFLICT (device_id, day, destination, address, port, protocol, direction) DO UPDATE SET
         flows = flows + excluded.flows, bytes_out = bytes_out + excluded.bytes_out, bytes_in = bytes_in + excluded.bytes_in,
         first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen),
         model_id = excluded.model_id, party = excluded.party, owner = excluded.owner, country = excluded.country,
         purpose = excluded.purpose, categories = excluded.categories, declared = excluded.declared, mud_allowed = excluded.mud_allowed`,
    );
    this.db.transaction(() => {
      for (const r of rows) {
        stmt.run({
          ...r,
          model_id: r.model_id ?? null,
          port: r.port ?? -1,
          protocol: r.protocol ?? "",
          local: r.local ? 1 : 0,
          owner: r.owner ?? null,
          country: r.country ?? null,
          purpose: r.purpose ?? null,
          categories: JSON.stringify(r.categories),
          declared: r.declared ? 1 : 0,
          mud_allowed: r.mud_allowed === undefined ? null : r.mud_allowed ? 1 : 0,
        });
      }
      if (rows.length) this.db.prepare(markTrafficSql(sqliteListDialect)).run(JSON.stringify(rows.map((r) => r.device_id)));
    })();
  }

  async modelDays(modelId: string, since: string, until: string): Promise<DestinationDay[]> {
    const rows = this.db
      .prepare(
        `SELECT day, destination, port, protocol, party, owner, country, purpose, categories, MAX(declared) AS declared, MAX(local) AS local,
                COUNT(DISTINCT device_id) AS devices, SUM(flows) AS flows, SUM(bytes_out) AS bytes_out, SUM(bytes_in) AS bytes_in
         FROM flow_observations WHERE model_id = ? AND day >= ? AND day < ?
         GROUP BY day, destination, port, protocol ORDER BY day, destination, port, protocol`,
      )
      .all(modelId, since, until) as DayRow[];
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
    return (this.db.prepare("SELECT COUNT(DISTINCT device_id) AS n FROM flow_observations WHERE model_id = ? AND day >= ? AND day < ?").get(modelId, since, until) as { n: number }).n;
  }

  async *devicesTalkingTo(endpoint: string, opts: { since?: string; until?: string; pageSize?: number } = {}): AsyncIterable<EndpointContact[]> {
    const e = endpoint.toLowerCase();
    const suffix = e.startsWith(".") ? e : null;
    const stmt = this.db.prepare(
      `SELECT device_id, MAX(model_id) AS model_id, MIN(destination) AS destination, MIN(address) AS address, MIN(first_seen) AS first_seen,
              MAX(last_seen) AS last_seen, SUM(flows) AS flows, SUM(bytes_out) AS bytes_out, SUM(bytes_in) AS bytes_in
       FROM flow_observations
       WHERE (destination = @e OR address = @e OR (@suffix IS NOT NULL AND (destination = substr(@suffix, 2) OR destination LIKE '%' || @suffix)))
         AND day >= @since AND day < @until AND device_id > @after
       GROUP BY device_id ORDER BY device_id LIMIT @limit`,
    );
    let after = "";
    const limit = opts.pageSize ?? 1000;
    for (;;) {
      const rows = stmt.all({ e, suffix, since: opts.since ?? "0000", until: opts.until ?? "9999", after, limit }) as (EndpointContact & { model_id: string | null })[];
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
    const rows = this.db.prepare("SELECT destination, COUNT(DISTINCT device_id) AS n FROM flow_observations WHERE day >= ? AND day < ? GROUP BY destination").all(since, until) as { destination: string; n: number }[];
    return new Map(rows.map((r) => [r.destination, r.n]));
  }

  async inputs(hashes: readonly string[], paths: readonly string[]): Promise<FlowInput[]> {
    const byHash = this.db.prepare("SELECT head_sha256, head_len, path, lines, updated_at FROM flow_inputs WHERE head_sha256 = ?");
    const byPath = this.db.prepare("SELECT head_sha256, head_len, path, lines, updated_at FROM flow_inputs WHERE path = ?");
    const out = new Map<string, FlowInput>();
    for (const h of new Set(hashes)) for (const r of byHash.all(h) as FlowInput[]) out.set(r.head_sha256, r);
    for (const p of new Set(paths)) for (const r of byPath.all(p) as FlowInput[]) out.set(r.head_sha256, r);
    return [...out.values()].sort((a, b) => a.head_sha256.localeCompare(b.head_sha256));
  }

  async saveInputs(rows: readonly FlowInput[], replaces: readonly string[] = []): Promise<void> {
    const del = this.db.prepare("DELETE FROM flow_inputs WHERE head_sha256 = ?");
    const ins = this.db.prepare(
      `INSERT INTO flow_inputs (head_sha256, head_len, path, lines, updated_at) VALUES (@head_sha256, @head_len, @path, @lines, @updated_at)
       ON CONFLICT (head_sha256) DO UPDATE SET head_len = excluded.head_len, path = excluded.path, lines = MAX(lines, excluded.lines), updated_at = excluded.updated_at`,
    );
    this.db.transaction(() => {
      for (const h of replaces) del.run(h);
      for (const r of rows) ins.run(r);
    })();
  }

  async saveReport(r: Omit<StoredPrivacyReport, "id">): Promise<number> {
    return Number(this.db.prepare("INSERT INTO privacy_reports (model_id, created_at, doc) VALUES (?, ?, ?)").run(r.model_id, r.created_at, JSON.stringify(r.doc)).lastInsertRowid);
  }

  async latestReport(modelId: string): Promise<StoredPrivacyReport | undefined> {
    const r = this.db.prepare("SELECT id, model_id, created_at, doc FROM privacy_reports WHERE model_id = ? ORDER BY id DESC LIMIT 1").get(modelId) as (Omit<StoredPrivacyReport, "doc"> & { doc: string }) | undefined;
    return r ? { ...r, doc: JSON.parse(r.doc) as unknown } : undefined;
  }

  async replaceWatchlist(source: string, entries: readonly WatchEntry[], importedAt: string): Promise<number> {
    const del = this.db.prepare("DELETE FROM intel_watchlist WHERE source = ?");
    const ins = this.db.prepare(
      `INSERT INTO intel_watchlist (source, value, kind, indicator, name, valid_until, indicator_types, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, value, indicator) DO UPDATE SET name = excluded.name, valid_until = excluded.valid_until, indicator_types = excluded.indicator_types`,
    );
    this.db.transaction(() => {
      del.run(source);
      for (const e of entries) ins.run(source, e.value, e.kind, e.indicator, e.name, e.valid_until ?? null, e.indicator_types ? JSON.stringify(e.indicator_types) : null, importedAt);
    })();
    return (this.db.prepare("SELECT COUNT(*) AS n FROM intel_watchlist WHERE source = ?").get(source) as { n: number }).n;
  }

  async watchlist(): Promise<WatchEntry[]> {
    const rows = this.db.prepare("SELECT * FROM intel_watchlist ORDER BY source, value, indicator").all() as { source: string; value: string; kind: WatchEntry["kind"]; indicator: string; name: string; valid_until: string | null; indicator_types: string | null }[];
    return rows.map((r) => {
      const e: WatchEntry = { source: r.source, value: r.value, kind: r.kind, indicator: r.indicator, name: r.name };
      if (r.valid_until !== null) e.valid_until = r.valid_until;
      if (r.indicator_types !== null) e.indicator_types = JSON.parse(r.indicator_types) as string[];
      return e;
    });
  }
}
