/**
 * `npm run bench:whatif`: `whatif --all` and one `whatif compromise` per target kind over a stored fleet of 1,000,000
 * devices (targets: --all ≤ 10 s, one compromise ≤ 1 s), with CPU time beside wall time. The fleet is written once through the store's own import
 * path into a SQLite file under the OS temp dir and reused by later runs (`--fresh` rebuilds it). Baseline in the same
 * run: reading the same devices through `fleet.devicePages` (what a rule, or a what-if built on the audit's read path,
 * would do) — the graph's narrow reads are measured against it.
 *
 * Then each target again with `--devices` (the per-device list), against the graph path in the same run.
 *
 *   npm run bench:whatif [-- --devices 1000000] [--fresh] [--store postgres://…]   (PostgreSQL: also built, then timed)
 *   npm run bench:whatif -- --quick [--store …]   the targets only (`--all` and each compromise, no baselines, no --devices)
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { StoredComponent } from "../src/core/component.ts";
import type { CertificateInfo, Credential } from "../src/core/fleet.ts";
import { FlowDeclarationSchema } from "../src/core/flows.ts";
import { int, pick, rng, weighted } from "../src/core/random.ts";
import { DEMO_MODELS } from "../src/demo/models.ts";
import { RespondSettingsSchema } from "../src/respond/settings.ts";
import type { FlowObservation } from "../src/store/flows.ts";
import { openStore } from "../src/store/open.ts";
import { serializeDevice, type Store, type StoredDevice } from "../src/store/store.ts";
import { compromise } from "../src/whatif/compromise.ts";
import { rankAndStore, storedRanking } from "../src/whatif/stored.ts";
import { buildGraph } from "../test/whatif/graph.ts";
import { compromiseOnGraph } from "../test/whatif/graph-compromise.ts";
import { rankOnGraph } from "../test/whatif/graph-rank.ts";

const { values: args } = parseArgs({ options: { devices: { type: "string", default: "1000000" }, fresh: { type: "boolean" }, store: { type: "string" }, "compromise-only": { type: "boolean" }, quick: { type: "boolean" } } });
const N = Number(args.devices);
const hex = (i: number, salt: number) => ((i * 2654435761 + salt) >>> 0).toString(16).padStart(8, "0").repeat(8);
const CAS = ["CN=Longwatch Bench Device CA 2019,O=Bench", "CN=Longwatch Bench Device CA 2023,O=Bench", "CN=Gateway CA,O=Bench"];
const caFp = (k: number) => hex(k + 1, 0xca).slice(0, 64);

async function build(store: Store): Promise<void> {
  const r = rng(16);
  const t0 = performance.now();
  await store.fleet.upsertModels(DEMO_MODELS.map((m, k) => ({ ...m.model, flows: FlowDeclarationSchema.parse({ personal_data: k % 3 === 0 ? ["personal"] : ["pseudonymous"], destinations: [{ host: `ota.${m.prefix.toLowerCase()}.bench.example`, purpose: "update" }, { host: `telemetry.${m.prefix.toLowerCase()}.bench.example`, purpose: "telemetry", data: k % 2 ? ["location"] : [] }] }) })));
  const certs: CertificateInfo[] = [];
  const creds: Credential[] = [];
  const flows: FlowObservation[] = [];
  let devices: StoredDevice[] = [];
  const flush = async (final = false) => {
    if (devices.length >= 20_000 || final) {
      await store.fleet.upsertCertificates(certs.splice(0));
      await store.transaction(async (tx) => {
        const run = await tx.fleet.startImport("bench");
        await tx.fleet.upsertDevices(run, devices.map(serializeDevice));
        await tx.fleet.finishImport(run);
      });
      await store.fleet.upsertCredentials(creds.splice(0));
      await store.flows.record(flows.splice(0));
      devices = [];
    }
  };
  for (let i = 0; i < N; i++) {
    const dm = weighted(r, DEMO_MODELS.map((m) => [m, m.share] as const));
    const fw = weighted(r, dm.firmware.map(([v, w]) => [v, w] as const));
    const id = `${dm.prefix}-${String(i).padStart(7, "0")}`;
    const d: StoredDevice = { device_id: id, model_id: dm.model.model_id, firmware_version: fw, country: pick(r, dm.countries), groups: [`region-${int(r, 1, 40)}`, ...(r() < 0.1 ? ["pilot"] : [])], mqtt_client_id: id, iccid: `8949${String(i).padStart(15, "0")}`, imsi: `${pick(r, ["26201", "26202", "20408", "23415"])}${String(i).padStart(10, "0")}`, sim_apn: pick(r, ["iot.bench", "m2m.bench", "private.bench"]) };
    // One device in five has a certificate of its own, from one of three CAs whose certificate the file carried.
    if (i % 5 === 0) {
      const ca = dm.prefix.startsWith("GW") ? 2 : i % 2;
      const fp = hex(i, 0x5eed);
      certs.push({ fingerprint: fp, subject: `CN=${id}`, issuer: CAS[ca]!, issuer_fingerprint: caFp(ca), serial: i.toString(16), not_before: "2024-01-01T00:00:00Z", not_after: "2032-01-01T00:00:00Z", key_type: "ec", key_bits: 256, sig_alg: "ecdsa-with-SHA256", sig_hash: "sha256", self_issued: false, self_signed: false, is_ca: false, roca: false, chain_length: 2 });
      d.cert_fingerprint = fp;
    }
    // Every device has its own ssh secret; one in fifty shares the installer's.
    creds.push({ device_id: id, service: "ssh", username: "admin", secret: { kind: "keyed", digest: r() < 0.02 ? "lwk1$installer" : `lwk1$${hex(i, 7)}` } });
    if (i % 4 === 0) flows.push({ device_id: id, model_id: dm.model.model_id, day: "2026-11-24", destination: `telemetry.${dm.prefix.toLowerCase()}.bench.example`, address: "198.51.100.9", port: 8883, protocol: "tcp", direction: "from-device", name_source: "record", local: false, party: "first", categories: [], declared: true, flows: 12, bytes_out: 4096, bytes_in: 512, first_seen: "2026-11-24T00:00:00Z", last_seen: "2026-11-24T23:00:00Z" });
    devices.push(d);
    await flush();
  }
  await flush(true);
  await store.fleet.upsertCredentials(DEMO_MODELS.map((m) => ({ model_id: m.model.model_id, service: "http" as const, username: "admin", secret: { kind: "crypt" as const, hash: "$1$bench$defaultdefaultdefault" } })));
  // 300 components per firmware image; openssl and busybox in every one, an update client in most.
  for (const m of DEMO_MODELS) {
    for (const [fw] of m.firmware) {
      const comps: StoredComponent[] = Array.from({ length: 300 }, (_, k) => ({ name: `lib${k}`, version: `1.${k % 7}`, purl: `pkg:generic/lib${k}@1.${k % 7}`, keys: [] }));
      comps.push({ name: "openssl", version: "3.0.11", purl: "pkg:deb/debian/openssl@3.0.11", keys: [] }, { name: "busybox", version: "1.36.1", keys: [] }, { name: "swupdate", version: "2023.05", keys: [] });
      await store.vulns.replaceSbom({ model_id: m.model.model_id, firmware_version: fw, format: "cyclonedx", source: "bench", imported_at: "2026-11-25T00:00:00Z", component_count: comps.length }, comps, []);
    }
  }
  console.log(`built ${N.toLocaleString("en-US")} devices in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * CPU time of every postgres process on this machine, from /proc (Linux): on PostgreSQL most of the work is the
 * server's, which the process's own CPU time does not see. Other users of the server count too, so it is an upper bound.
 */
function serverCpu(): number {
  let ticks = 0;
  for (const p of existsSync("/proc") ? readdirSync("/proc") : []) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const s = readFileSync(`/proc/${p}/stat`, "utf8");
      if (!s.includes("(postgres)")) continue;
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** Wall time, and the process's CPU time beside it: the machine is shared, and CPU time is what load does not inflate. */
let lastCpu = 0;
let lastServer = 0;
let withServer = false;
async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const s = withServer ? serverCpu() : 0;
  const c = process.cpuUsage();
  const v = await fn();
  const u = process.cpuUsage(c);
  lastCpu = (u.user + u.system) / 1000;
  lastServer = withServer ? serverCpu() - s : 0;
  return [v, performance.now() - t];
}
const cpu = () => `cpu ${lastCpu.toFixed(0)} ms${withServer ? ` + server ${lastServer.toFixed(0)} ms` : ""}`;

async function measure(store: Store, label: string): Promise<void> {
  const deps = { store, settings: RespondSettingsSchema.parse({}), env: {}, now: () => Date.parse("2026-11-25T12:00:00Z") };
  // Baseline of the same run: a compromise answered on the in-memory graph (the path before the database fast path).
  const firstId = (await store.graph.devices(1)[Symbol.asyncIterator]().next()).value![0]!.device_id;
  console.log(`\n${label}: ${(await store.graph.deviceCount()).toLocaleString("en-US")} devices (load: ${loadavg().map((x) => x.toFixed(1)).join(" ")})`);
  if (args.quick) {
    const [rank, allMs] = await time(() => rankAndStore(store, { now: () => Date.now(), source: "whatif" }));
    console.log(`  whatif --all (counted in the database, stored): ${(allMs / 1000).toFixed(2)} s (${cpu()}), largest ${rank.nodes[0]?.target} (${rank.nodes[0]?.devices})`);
  } else if (!args["compromise-only"]) {
    const [, baseline] = await time(async () => {
      let n = 0;
      for await (const p of store.fleet.devicePages()) n += p.length;
      return n;
    });
    const baseCpu = cpu();
    const [g, graphMs] = await time(() => buildGraph(store));
    const graphCpu = cpu();
    // Baseline of the same run: the ranking over the fleet graph, as `whatif --all` computed it before the database counted it.
    const [old, oldMs] = await time(() => rankOnGraph(store, { limit: 25 }));
    const oldCpu = lastCpu;
    // What `whatif --all` does now: count in the database, keep each kind's largest nodes, store them.
    const [rank, allMs] = await time(() => rankAndStore(store, { now: () => Date.now(), source: "whatif" }));
    const allCpu = lastCpu;
    const allServer = withServer ? ` + server ${lastServer.toFixed(0)} ms` : "";
    const same = JSON.stringify(old.nodes) === JSON.stringify(rank.nodes.slice(0, 25));
    const [stored, readMs] = await time(() => storedRanking(store, { limit: 25 }));
    const readCpu = cpu();
    console.log(`  baseline fleet.devicePages (full documents + relations): ${(baseline / 1000).toFixed(2)} s (${baseCpu})`);
    console.log(`  graph, devices layer only: ${(graphMs / 1000).toFixed(2)} s (${graphCpu}; ${(baseline / graphMs).toFixed(1)}× faster than the baseline)`);
    console.log(`  baseline: ranking over the fleet graph: ${(oldMs / 1000).toFixed(2)} s (cpu ${oldCpu.toFixed(0)} ms)`);
    console.log(`  whatif --all (counted in the database, stored): ${(allMs / 1000).toFixed(2)} s (cpu ${allCpu.toFixed(0)} ms${allServer}; ${(oldCpu / allCpu).toFixed(1)}× less process CPU than the graph), ${Object.entries(rank.counted).map(([k, v]) => `${v} ${k}`).join(", ")}; largest ${rank.nodes[0]?.target} (${rank.nodes[0]?.devices}); top 25 ${same ? "equal to" : "DIFFERENT FROM"} the graph's`);
    console.log(`  stored ranking read (the dashboard's request): ${readMs.toFixed(0)} ms (${readCpu}), computed_at ${stored.computed_at}`);
    const [, gcMs] = await time(() => compromiseOnGraph(deps, "firmware:acme-sm-g3@3.4.2", { graph: g }));
    console.log(`  baseline: compromise firmware:acme-sm-g3@3.4.2 on the built graph: ${gcMs.toFixed(0)} ms (${cpu()}), graph build not counted`);
  }
  const targets = [`ca:${caFp(0)}`, `ca:${CAS[0]}`, "provider:iot.bench", "firmware:acme-sm-g3@3.4.2", `credential:${firstId}/ssh/admin`, "credential:model:nw-gw-50/http/admin", "component:pkg:deb/debian/openssl@3.0.11", "component:busybox@1.36.1", "endpoint:telemetry.ht1.bench.example", "model:helio-t2", "provider:26202", `cert:${hex(0, 0x5eed)}`];
  for (const t of targets) {
    try {
      const [r, ms] = await time(() => compromise(deps, t));
      console.log(`  compromise ${t.length > 48 ? `${t.slice(0, 45)}…` : t}: ${ms.toFixed(0)} ms (${cpu()}), ${r.affected.devices.toLocaleString("en-US")} devices (${(r.affected.share * 100).toFixed(1)} %)`);
    } catch (e) {
      console.log(`  compromise ${t}: ${(e as Error).message}`);
    }
  }
  // `--devices` (every affected device with its verdict): streamed from the store, against the same run's baseline of
  // the graph built (the layers the target needs) and the devices selected on it, as it was answered before.
  if (args.quick) return;
  for (const t of targets) {
    const name = t.length > 48 ? `${t.slice(0, 45)}…` : t;
    try {
      const [r, ms] = await time(() => compromise(deps, t, { devices: true }));
      const streamed = cpu();
      const [old, oldMs] = await time(async () => compromiseOnGraph(deps, t, { devices: true }));
      const same = JSON.stringify(r.devices) === JSON.stringify(old.devices);
      console.log(`  compromise --devices ${name}: ${ms.toFixed(0)} ms (${streamed}), ${r.devices!.length.toLocaleString("en-US")} listed; baseline graph: ${oldMs.toFixed(0)} ms (${cpu()}); lists ${same ? "equal" : "DIFFERENT"}`);
    } catch (e) {
      console.log(`  compromise --devices ${name}: ${(e as Error).message}`);
    }
  }
}

const file = join(tmpdir(), `longwatch-bench-whatif-${N}.db`);
if (args.fresh) rmSync(file, { force: true });
const fresh = !existsSync(file);
const [lite, openMs] = await time(() => openStore(`sqlite:${file}`));
if (!fresh) console.log(`opened ${file} in ${(openMs / 1000).toFixed(1)} s (${cpu()}; includes any migration, e.g. fleet 4's backfill of the what-if columns)`);
if (fresh) await build(lite);
await measure(lite, `SQLite (${file})`);
await lite.close();
if (args.store) {
  const pg = await openStore(args.store);
  if ((await pg.fleet.counts()).devices !== N) await build(pg);
  withServer = true;
  await measure(pg, "PostgreSQL");
  await pg.close();
}
