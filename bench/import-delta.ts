/**
 * What an inventory import costs on a stored fleet: a 100-device delta file (50 changed devices, 50 new) and a full
 * re-import of every device (a tenth of them changed), timing the import and its `finishImport` (where the derived
 * tables device_images, device_cells and traffic_devices are brought up to date) apart.
 *
 *   npm run bench:import -- [--devices 200000] [--store postgres://…] [--src DIR] [--rounds 3]
 *
 * The fleet (N devices: 12 models, 4 firmware versions, 10 countries, 500 site groups, a tenth with a certificate and
 * an MQTT client id, an IMSI and an APN, plus 20,000 alerts) is filled once per run. `--src` runs another checkout's
 * src/ (e.g. the commit before, extracted with `git archive`), so before and after are measured in the same session.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import pg from "pg";
import type * as OpenModule from "../src/store/open.ts";
import type * as StoreModule from "../src/store/store.ts";

const { values: args } = parseArgs({ options: { devices: { type: "string", default: "200000" }, store: { type: "string" }, src: { type: "string", default: "src" }, rounds: { type: "string", default: "3" } } });
const N = Number(args.devices);
const src = resolve(args.src!);
const { openStore } = (await import(pathToFileURL(join(src, "store/open.ts")).href)) as typeof OpenModule;
const { serializeDevice } = (await import(pathToFileURL(join(src, "store/store.ts")).href)) as typeof StoreModule;
type Store = Awaited<ReturnType<typeof openStore>>;

const MODELS = Array.from({ length: 12 }, (_, i) => `model-${i}`);
const COUNTRIES = ["DE", "FR", "NL", "PL", "ES", "IT", "SE", "AT", "GB", "US"];

/** Device i as of `version` (0: as first filled; later versions change firmware and group of some devices). */
function device(i: number, version: number) {
  const h = (i * 2654435761) >>> 0;
  const changed = version > 0 && h % 10 === version % 10;
  return {
    device_id: `dev-${String(i).padStart(7, "0")}`,
    model_id: MODELS[h % 12]!,
    firmware_version: `${1 + ((h >>> 4) % 4) + (changed ? 1 : 0)}.0`,
    country: COUNTRIES[(h >>> 8) % 10]!,
    groups: [`site-${((h >>> 12) + (changed ? version : 0)) % 500}`],
    sim_provider: "1NCE",
    ...(i % 10 === 0 ? { cert_fingerprint: `fp-${i}`, mqtt_client_id: `c-${i}`, imsi: `26201${String(i).padStart(10, "0")}`, sim_apn: "iot.bench" } : {}),
  };
}

async function importDevices(store: Store, ids: Iterable<number>, version: number): Promise<{ total: number; finish: number }> {
  const t0 = performance.now();
  let finish = 0;
  await store.transaction(async (tx) => {
    const run = await tx.fleet.startImport("bench");
    let batch = [];
    let line = 2;
    for (const i of ids) {
      batch.push(serializeDevice(device(i, version), line++));
      if (batch.length === 5000) {
        await tx.fleet.upsertDevices(run, batch);
        batch = [];
      }
    }
    if (batch.length) await tx.fleet.upsertDevices(run, batch);
    const f0 = performance.now();
    await tx.fleet.finishImport(run);
    finish = performance.now() - f0;
  });
  return { total: performance.now() - t0, finish };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
const postgres = args.store?.startsWith("postgres") === true;
const schema = `bench_import_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "lw-import-"));
const url = postgres ? `${args.store}${args.store!.includes("?") ? "&" : "?"}schema=${schema}` : `sqlite:${join(dir, "longwatch.db")}`;
const store = await openStore(url);
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
try {
  console.log(`# ${postgres ? "PostgreSQL" : "SQLite"}, src ${src}, ${N} devices, load ${load()}`);
  const fill = await importDevices(store, range(0, N), 0);
  const alerts = Array.from({ length: 20_000 }, (_, k) => ({
    id: `al-${k}`, detector: "beaconing" as const, device_id: `dev-${String((k * 7919) % (N + 1000)).padStart(7, "0")}`, key: "k", severity: "high" as const, confidence: 0.9,
    first_seen: "2026-12-01T00:00:00Z", last_seen: "2026-12-01T00:00:00Z", count: 1, summary: "s", action: "a", evidence: {}, state: "open" as const, verification: "unknown" as const,
  }));
  for (let k = 0; k < alerts.length; k += 5000) await store.alerts.upsert(alerts.slice(k, k + 5000), "2026-12-01T00:00:00Z");
  if (postgres) {
    const c = new pg.Client({ connectionString: args.store });
    await c.connect();
    for (const t of ["devices", "device_cells", "device_images", "traffic_devices", "alerts"]) await c.query(`VACUUM ANALYZE ${schema}.${t}`);
    await c.end();
  }
  console.log(`fill ${(fill.total / 1000).toFixed(1)} s (finishImport ${(fill.finish / 1000).toFixed(2)} s), load ${load()}`);
  const rounds = Number(args.rounds);
  for (let r = 1; r <= rounds; r++) {
    // 50 stored devices changed (model's firmware, group), 50 new ones (some of them with alerts already stored).
    const delta = await importDevices(store, [...range(r * 1000, r * 1000 + 50).map((i) => i), ...range(N + r * 50, N + r * 50 + 50)], r);
    console.log(`delta 100 devices: import ${delta.total.toFixed(0)} ms, finishImport ${delta.finish.toFixed(0)} ms, load ${load()}`);
  }
  const full = await importDevices(store, range(0, N), rounds + 1);
  console.log(`full re-import ${N} devices: import ${(full.total / 1000).toFixed(1)} s, finishImport ${(full.finish / 1000).toFixed(2)} s, load ${load()}`);
} finally {
  await store.close();
  if (postgres) {
    const c = new pg.Client({ connectionString: args.store });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  }
  rmSync(dir, { recursive: true, force: true });
}
