/**
 * The derived device tables (device_images, device_cells, traffic_devices; src/store/derived.ts) kept in step by each
 * import instead of recounted, on SQLite and PostgreSQL:
 *  - an oracle: after every step of a random sequence (imports of new and changed devices — model, firmware, country,
 *    groups, APN, IMSI, certificate and its issuer, MQTT id —, duplicates in a file, prunes, certificates stored again
 *    inside and outside an import, alerts and flows for stored and not yet stored devices) the tables hold exactly
 *    what a full recount over the devices gives;
 *  - the cost: a 20-device import into a fleet of 20,000 reads the devices it writes, not the fleet (SQLite: the plan
 *    of every statement it runs that reads `devices` searches by key; PostgreSQL: the rows the transaction read from
 *    `devices`, as the server counts them).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { CertificateInfo } from "../../src/core/fleet.ts";
import { int, pick, rng, type Rng } from "../../src/core/random.ts";
import { openStore } from "../../src/store/open.ts";
import { ClientDb } from "../../src/store/postgres/db.ts";
import { PgFleet } from "../../src/store/postgres/fleet.ts";
import { SqliteFleet } from "../../src/store/sqlite/fleet.ts";
import type { FleetRepository, Store, StoredDevice } from "../../src/store/store.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cert, importDevices, rows } from "./contract/fleet.ts";

type Sql = (q: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

const CELLS = "model_id, firmware_version, country, groups, apn, mccmnc, issuer, issuer_fingerprint";
/** Each derived table as stored, and as a full recount over the devices gives it (countDeviceImages' queries). */
const TABLES: [string, string, string][] = [
  ["device_images", "SELECT model_id, firmware_version, devices, with_cert FROM device_images", "SELECT model_id, firmware_version, COUNT(*) AS devices, COUNT(cert_fingerprint) AS with_cert FROM devices GROUP BY model_id, firmware_version"],
  ["device_cells", `SELECT ${CELLS}, devices, mqtt FROM device_cells`, `SELECT ${CELLS}, COUNT(*) AS devices, SUM(mqtt) AS mqtt FROM devices GROUP BY ${CELLS}`],
  ["traffic_devices", "SELECT device_id FROM traffic_devices", "SELECT s.device_id FROM (SELECT device_id FROM flow_observations UNION SELECT device_id FROM alerts) s WHERE EXISTS (SELECT 1 FROM devices d WHERE d.device_id = s.device_id)"],
];

const sorted = (rs: Record<string, unknown>[]) =>
  rs.map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => (["devices", "with_cert", "mqtt"].includes(k) ? Number(v) : v)))).sort();

async function assertInStep(sql: Sql, what: string): Promise<void> {
  for (const [table, stored, recount] of TABLES) assert.deepEqual(sorted(await sql(stored)), sorted(await sql(recount)), `${table} after ${what}`);
}

const CAS = [
  { issuer: "CN=Device CA A", issuer_fingerprint: "aa".repeat(32) },
  { issuer: "CN=Device CA B" },
  { issuer: "CN=Device CA C", issuer_fingerprint: "cc".repeat(32) },
];
const FPS = ["fp-1", "fp-2", "fp-3", "fp-4"];
const reissued = (r: Rng, fp: string): CertificateInfo => ({ ...cert(fp), ...pick(r, CAS) });

function randomDevice(r: Rng, id: string): StoredDevice {
  const d: StoredDevice = { device_id: id };
  const maybe = <T>(xs: readonly T[]) => (r() < 0.25 ? undefined : pick(r, xs));
  const set = <K extends keyof StoredDevice>(k: K, v: StoredDevice[K] | undefined) => v !== undefined && (d[k] = v);
  set("model_id", maybe(["cam", "meter", "gw"]));
  set("firmware_version", maybe(["1.0", "2.0", "2.1"]));
  set("country", maybe(["DE", "FR"]));
  const groups = ["north", "south", "lab"].filter(() => r() < 0.3);
  if (groups.length) d.groups = groups;
  set("sim_apn", maybe(["IoT.Acme", "m2m.example"]));
  set("imsi", maybe(["262011234567890", "208011234567890", "2620"]));
  set("cert_fingerprint", maybe(FPS));
  if (r() < 0.4) d.mqtt_client_id = `c-${id}`;
  return d;
}

const POOL = Array.from({ length: 4000 }, (_, i) => `d-${String(i).padStart(4, "0")}`);

/** The random sequence: each step changes the store one way, then the tables must equal a recount. */
async function oracle(store: Store, sql: Sql, seed: number): Promise<void> {
  const r = rng(seed);
  const stored = new Set<string>();
  let kept = 0;
  const importSome = async (ids: string[], opts: { prune?: boolean; certs?: boolean } = {}) => {
    const devices = ids.map((id) => randomDevice(r, id));
    if (devices.length > 3 && r() < 0.3) devices.push({ ...devices[0]!, name: "a repeat: a duplicate, not written" });
    await store.transaction(async (tx) => {
      const run = await tx.fleet.startImport("devices.csv");
      if (opts.certs) await tx.fleet.upsertCertificates(FPS.filter(() => r() < 0.5).map((fp) => reissued(r, fp)), run);
      await tx.fleet.upsertDevices(run, rows(devices));
      // The import kept its delta (rather than recounting): what the steps below are about.
      if (run.derived?.delta) kept++;
      await tx.fleet.finishImport(run, opts.prune ? { prune: true } : {});
    });
    if (opts.prune) stored.clear();
    for (const id of ids) stored.add(id);
  };
  const some = (n: number, from: readonly string[]) => [...new Set(Array.from({ length: n }, () => pick(r, from)))];
  await store.fleet.upsertCertificates(FPS.map((fp) => reissued(r, fp)));
  await store.alerts.upsert(some(20, POOL).map((id, k) => sampleAlert({ id: `early-${k}`, device_id: id })), "2026-12-01T00:00:00Z");
  // Large enough that a 100-device file stays under the share of the fleet an import collects a delta for (1/32).
  await importSome(POOL.slice(0, 3300));
  await assertInStep(sql, "the first import");
  for (let step = 0; step < 40; step++) {
    const x = r();
    let what: string;
    if (x < 0.45) {
      // A delta file: new devices and stored ones changed, up to 100 (the multi-row upserts too), its certificates too.
      const ids = some(int(r, 1, 100), POOL);
      await importSome(ids, { certs: r() < 0.5 });
      what = `a delta import of ${ids.length}`;
    } else if (x < 0.6) {
      // A full file without a few stored devices, pruned; or a small one, pruning most of the fleet (then a large one).
      const small = r() < 0.3;
      const keep = small ? some(int(r, 1, 10), [...stored]) : [...stored].filter(() => r() < 0.95);
      await importSome([...keep, ...some(int(r, 0, 5), POOL)], { prune: true });
      if (small) await assertInStep(sql, `a small pruning import of ${keep.length}`);
      if (small) await importSome(POOL.slice(0, 3300));
      what = `a pruning import of ${keep.length} stored devices`;
    } else if (x < 0.75) {
      const fps = FPS.filter(() => r() < 0.5);
      await store.fleet.upsertCertificates(fps.map((fp) => reissued(r, fp)));
      what = `certificates ${fps.join(", ")} stored again`;
    } else if (x < 0.9) {
      const ids = some(int(r, 1, 8), POOL);
      await store.alerts.upsert(ids.map((id) => sampleAlert({ id: `al-${step}-${id}`, device_id: id })), "2026-12-01T00:00:00Z");
      what = `alerts for ${ids.join(", ")}`;
    } else {
      const ids = some(int(r, 1, 5), POOL);
      await store.flows.record(ids.map((id) => ({ device_id: id, day: "2026-12-01", destination: "ota.example", address: "192.0.2.1", direction: "from-device", name_source: "record", local: false, party: "first", categories: [], declared: true, flows: 1, bytes_out: 10, bytes_in: 5, first_seen: "2026-12-01T00:00:00Z", last_seen: "2026-12-01T00:00:00Z" })));
      what = `flows for ${ids.join(", ")}`;
    }
    await assertInStep(sql, `step ${step}, ${what}`);
  }
  // Counts gone wrong (written by hand) are caught and recounted rather than carried on.
  await sql("UPDATE device_cells SET devices = devices + 5");
  await sql("DELETE FROM device_images WHERE firmware_version = '2.0'");
  await importSome(some(10, POOL));
  await assertInStep(sql, "an import over tables out of step");
  assert.ok(kept >= 15, `${kept} imports kept their delta`);
}

/**
 * device_images out of step (written by hand) must not change what an import reports missing or prunes: the count
 * that decides comes from the devices. The inflated table lets a whole-fleet file keep its delta (under 1/32).
 */
async function outOfStep(store: Store, sql: Sql): Promise<void> {
  const fleet = POOL.slice(0, 3300);
  const importIds = (ids: string[], prune = false) =>
    store.transaction(async (tx) => {
      const run = await tx.fleet.startImport("devices.csv");
      await tx.fleet.upsertDevices(run, rows(ids.map((device_id) => ({ device_id, model_id: "cam" }))));
      return tx.fleet.finishImport(run, prune ? { prune: true } : {});
    });
  const stored = async () => Number((await sql("SELECT COUNT(*) AS n FROM devices"))[0]!.n);
  await importIds(fleet);
  // Overcounted: 10 stored devices are not in the file, the table says 200,000 more.
  await sql("UPDATE device_images SET devices = devices + 200000");
  const kept = await importIds(fleet.slice(0, 3290));
  assert.deepEqual([kept.missingCount, kept.missingSample], [10, fleet.slice(3290)], "missing, overcounted table");
  await assertInStep(sql, "an import that found device_images out of step");
  await sql("UPDATE device_images SET devices = devices + 200000");
  const pruned = await importIds(fleet.slice(0, 3260), true);
  assert.deepEqual([pruned.missingCount, pruned.missingSample, await stored()], [40, fleet.slice(3260, 3280), 3260], "pruned, overcounted table");
  await assertInStep(sql, "a prune over device_images out of step");
  // Undercounted: the table holds 180 devices of 3,260; a 5-device file prunes 3,255.
  await sql("DELETE FROM device_images");
  await sql("INSERT INTO device_images (model_id, firmware_version, devices, with_cert) VALUES ('zz', '0', 180, 0)");
  const few = await importIds(fleet.slice(0, 5), true);
  assert.deepEqual([few.missingCount, await stored()], [3255, 5], "pruned, undercounted table");
  await assertInStep(sql, "a small prune over device_images out of step");
}

const FLEET = 20_000;
const fleetDevice = (i: number): StoredDevice => ({ device_id: `f-${String(i).padStart(6, "0")}`, model_id: `m-${i % 7}`, firmware_version: `${i % 3}.0`, country: ["DE", "FR", "NL"][i % 3]!, groups: [`site-${i % 50}`], ...(i % 10 === 0 ? { cert_fingerprint: "fp-1", mqtt_client_id: `c-${i}` } : {}) });
/** The small import the cost is measured on: 10 stored devices changed, 10 new ones (two with alerts already stored). */
const deltaFile = () => [...Array.from({ length: 10 }, (_, k) => ({ ...fleetDevice(k * 997), firmware_version: "9.0" })), ...Array.from({ length: 10 }, (_, k) => fleetDevice(FLEET + k))];

async function fillFleet(store: Store): Promise<void> {
  await store.fleet.upsertCertificates([cert("fp-1")]);
  await importDevices(store, Array.from({ length: FLEET }, (_, i) => fleetDevice(i)));
  await store.alerts.upsert([sampleAlert({ id: "a1", device_id: fleetDevice(3).device_id }), sampleAlert({ id: "a2", device_id: fleetDevice(FLEET + 1).device_id }), sampleAlert({ id: "a3", device_id: fleetDevice(FLEET + 2).device_id })], "2026-12-01T00:00:00Z");
}

async function importDelta(fleet: FleetRepository) {
  const run = await fleet.startImport("delta.csv");
  await fleet.upsertDevices(run, rows(deltaFile()));
  return fleet.finishImport(run);
}

const sqliteSql = (db: Database.Database): Sql => async (q, p = []) => {
  const s = db.prepare(q);
  return s.reader ? (s.all(...p) as Record<string, unknown>[]) : (s.run(...p), []);
};

/** Runs a test body on a SQLite store and a second connection to its file. */
async function withSqlite(file: string, body: (store: Store, sql: Sql) => Promise<void>): Promise<void> {
  const store = await openStore(`sqlite:${file}`);
  const db = new Database(file);
  try {
    await body(store, sqliteSql(db));
  } finally {
    db.close();
    await store.close();
  }
}

const env = { now: () => Date.parse("2026-12-01T00:00:00Z"), newId: () => "id" };

describe("derived device tables kept in step by imports", () => {
  const t = tmpDir();

  it("SQLite: equal to a full recount after every step of random imports, prunes, certificates, alerts and flows", async () => {
    await withSqlite(join(t.dir, "oracle.db"), (store, sql) => oracle(store, sql, 7));
  });

  it("SQLite: device_images out of step does not change an import's missing count or prune", async () => {
    await withSqlite(join(t.dir, "drift.db"), (store, sql) => outOfStep(store, sql));
  });

  it("SQLite: a 20-device import into 20,000 searches devices by key and never scans them", async () => {
    const file = join(t.dir, "cost.db");
    const store = await openStore(`sqlite:${file}`);
    await fillFleet(store);
    await store.close();
    const db = new Database(file);
    // Every statement the import runs, with its parameters, through a proxy of the connection.
    const ran: { sql: string; params: unknown[] }[] = [];
    const recorded = (stmt: Database.Statement, sql: string): Database.Statement => {
      const proxy: Database.Statement = new Proxy(stmt, {
        get(target, p) {
          const v = Reflect.get(target, p, target) as unknown;
          if (typeof v !== "function") return v;
          if (p === "run" || p === "all" || p === "get" || p === "iterate") return (...params: unknown[]) => (ran.push({ sql, params }), (v as (...a: unknown[]) => unknown).apply(target, params));
          if (p === "raw" || p === "pluck" || p === "expand") return (...a: unknown[]) => ((v as (...a: unknown[]) => unknown).apply(target, a), proxy);
          return (v as (...a: unknown[]) => unknown).bind(target);
        },
      });
      return proxy;
    };
    const conn = new Proxy(db, {
      get(target, p) {
        if (p === "prepare") return (sql: string) => recorded(target.prepare(sql), sql);
        if (p === "exec") return (sql: string) => (ran.push({ sql, params: [] }), target.exec(sql));
        const v = Reflect.get(target, p, target) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    try {
      const fleet = new SqliteFleet(conn, env);
      db.exec("BEGIN");
      const summary = await importDelta(fleet);
      db.exec("COMMIT");
      assert.equal(summary.missingCount, FLEET - 10);
      const scans: string[] = [];
      for (const { sql, params } of ran) {
        if (!/\bdevices\b/.test(sql)) continue;
        const names = ["devices", ...[...sql.matchAll(/\bdevices\s+(?:AS\s+)?([a-z])\b/g)].map((m) => m[1]!)];
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
        // The missing sample walks the primary key and stops after 20 rows not of this import: bounded by the import.
        if (/ORDER BY device_id LIMIT 20$/.test(sql)) continue;
        for (const { detail } of plan) if (names.some((n) => new RegExp(`^SCAN ${n}\\b`).test(detail))) scans.push(`${detail} — ${sql.replace(/\s+/g, " ").slice(0, 120)}`);
      }
      assert.deepEqual(scans, [], "statements that read every device");
      await assertInStep(async (q) => db.prepare(q).all() as Record<string, unknown>[], "the delta import");
    } finally {
      db.close();
    }
  });

  describe("PostgreSQL", async () => {
    const skip = await postgresAvailable();
    const base = skip ? "" : await throwawayDatabase();
    const client = async (schema: string) => {
      const c = new pg.Client({ connectionString: base, options: `-c search_path=${schema}` });
      await c.connect();
      return c;
    };

    it("PostgreSQL: equal to a full recount after every step of random imports, prunes, certificates, alerts and flows", { skip }, async () => {
      const store = await openStore(`${base}?schema=oracle`);
      const c = await client("oracle");
      try {
        await oracle(store, async (q, p = []) => {
          let n = 0;
          return (await c.query(q.replace(/\?/g, () => `$${++n}`), p)).rows as Record<string, unknown>[];
        }, 7);
      } finally {
        await c.end();
        await store.close();
      }
    });

    it("PostgreSQL: device_images out of step does not change an import's missing count or prune", { skip }, async () => {
      const store = await openStore(`${base}?schema=drift`);
      const c = await client("drift");
      try {
        await outOfStep(store, async (q, p = []) => (await c.query(q, p)).rows as Record<string, unknown>[]);
      } finally {
        await c.end();
        await store.close();
      }
    });

    it("PostgreSQL: a 20-device import into 20,000 reads about the rows it writes from devices, not the fleet", { skip }, async () => {
      const store = await openStore(`${base}?schema=cost`);
      await fillFleet(store);
      await store.close();
      const c = await client("cost");
      try {
        await c.query("ANALYZE devices");
        await c.query("BEGIN");
        const summary = await importDelta(new PgFleet(new ClientDb(c, "test", 1), env, "cost"));
        // What this transaction read from the devices table (sequential scans and index fetches), as counted by the server.
        const { rows: [read] } = await c.query<{ seq_tup_read: string; idx_tup_fetch: string }>("SELECT seq_tup_read, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relid = 'devices'::regclass");
        await c.query("COMMIT");
        assert.equal(summary.missingCount, FLEET - 10);
        const n = Number(read!.seq_tup_read) + Number(read!.idx_tup_fetch);
        assert.ok(n <= 200, `the import read ${n} device rows (seq ${read!.seq_tup_read}, index ${read!.idx_tup_fetch})`);
        await assertInStep(async (q) => (await c.query(q)).rows as Record<string, unknown>[], "the delta import");
      } finally {
        await c.end();
      }
    });
  });
});
