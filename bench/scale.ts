/**
 * bench:scale — records/s through detection on BENCH_DEVICES devices (default 1,000,000), BENCH_PER_DEVICE records
 * each (default 2, connectivity session updates and flows), all in the same run:
 *
 * 1. single-process detect (runDetection) — the baseline;
 * 2. detect --workers 1 and 2 (runDetectionThreaded: the main thread reads, orders and runs the fleet-wide
 *    detectors, the threads the per-device ones);
 * 3. JetStream: publish, then 1 worker process vs 2 worker processes (`longwatch worker` from dist/ unless
 *    BENCH_FROM_SOURCE=1, each run with its own store schema and stream), from spawning them until every unit's
 *    checkpoint covers the stream with nothing held — so the figure includes start-up and checkpoints. Printed
 *    apart: start-up (spawn to the first checkpoint with records), the time the partitions were through, and the
 *    time the fleet stage was through (it takes the partitions' facts, so it ends after the last partition's), with
 *    the facts it took per record; and the steady state: the rate between 10% and 90% of the records taken in by the
 *    partitions (as their facts messages say, every 500 ms), without start-up and the end. BENCH_PER_DEVICE=8 makes
 *    a longer run in which start-up weighs less (the file is written in pieces, so 1,000,000 × 8 fits).
 *
 * BENCH_PROF=dir: each worker process writes a V8 CPU profile there (--cpu-prof). BENCH_WORKER_LOGS=dir: each worker's
 * whole log there (w<workers>-b<i>.log: takes, checkpoints, consumer re-creations). BENCH_WORKERS_ONLY=1: skips the
 * in-process detect runs (a quicker look at the workers; no ratio to detect). BENCH_STALL_SECONDS (600): a worker run
 * not through by then fails, with every unit's checkpoint and the end of what each worker said. BENCH_CHECKPOINT_SECONDS
 * (2): the workers' --checkpoint-seconds.
 *
 * Needs NATS on LONGWATCH_BENCH_NATS (default nats://127.0.0.1:4222) and PostgreSQL on LONGWATCH_BENCH_PG.
 */
import { spawn } from "node:child_process";
import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runDetection } from "../src/detect/run.ts";
import { factsProgress } from "../src/scale/facts.ts";
import { connectNats, ensureStream, fleetSubject, manager } from "../src/scale/nats.ts";
import { publishFiles } from "../src/scale/publish.ts";
import { runDetectionThreaded } from "../src/scale/threaded-detect.ts";
import { openStore } from "../src/store/open.ts";

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1_000_000);
const PER = Number(process.env.BENCH_PER_DEVICE ?? 2);
const P = Number(process.env.BENCH_PARTITIONS ?? 4);
const NATS = process.env.LONGWATCH_BENCH_NATS ?? "nats://127.0.0.1:4222";
const PG = process.env.LONGWATCH_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";
const ROOT = join(import.meta.dirname, "..");

const dir = mkdtempSync(join(tmpdir(), "lw-bench-scale-"));
const file = join(dir, "records.csv");
const t0 = Date.parse("2026-11-01T00:00:00Z");
{
  // Time-ordered: round k visits every device once; devices 10.x.y.z on private addresses so flows resolve. Written
  // in pieces: the whole file as one string passes V8's ~512 MB string limit at 1,000,000 devices × 8.
  const fd = openSync(file, "w");
  let lines = ["ts,kind,device_id,event,ip,bytes_up,src_ip,dst_ip,dst_port,proto,bytes_out,conn_state"];
  const total = DEVICES * PER;
  for (let i = 0; i < total; i++) {
    const d = i % DEVICES;
    const ts = new Date(t0 + Math.floor((i * 3_600_000) / total)).toISOString();
    const ip = `10.${(d >> 16) & 255}.${(d >> 8) & 255}.${d & 255}`;
    lines.push(i < DEVICES ? `${ts},connectivity,dev-${d},session_start,${ip},${d % 500},,,,,,` : `${ts},flow,,,,,${ip},93.184.${d % 200}.${d % 250},443,tcp,${d % 900},SF`);
    if (lines.length === 100_000) {
      writeSync(fd, `${lines.join("\n")}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) writeSync(fd, `${lines.join("\n")}\n`);
  closeSync(fd);
}
const N = DEVICES * PER;
const rate = (s: number) => Math.round(N / s);
console.log(`bench:scale — ${DEVICES.toLocaleString("en")} devices, ${N.toLocaleString("en")} records, ${P} partitions; ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);

const now = Date.parse("2026-12-01T00:00:00Z");
const time = async (f: () => unknown) => {
  const s = performance.now();
  await f();
  return (performance.now() - s) / 1000;
};
const WORKERS_ONLY = process.env.BENCH_WORKERS_ONLY === "1";
const PROF = process.env.BENCH_PROF;
/**
 * The workers' --lease-seconds (BENCH_LEASE_SECONDS, default 15 as the worker's own): with 6, a worker whose event
 * loop is held restoring or snapshotting a unit of ~76 MB (1,000,000 × 8) misses its renewals, the other worker takes
 * the unit, and the units move back and forth — a run that measures the takeovers, not the workers.
 */
const LEASE_S = Number(process.env.BENCH_LEASE_SECONDS ?? 15);
/** A worker run not through after this long fails with every unit's checkpoint and what the workers said. */
const STALL_S = Number(process.env.BENCH_STALL_SECONDS ?? 600);
/** The workers' --checkpoint-seconds: 0.2 at 100,000 devices writes state as fast (bytes per second) as 2 at 1,000,000. */
const CHECKPOINT_S = Number(process.env.BENCH_CHECKPOINT_SECONDS ?? 2);
let single = NaN;
if (!WORKERS_ONLY) {
  single = await time(() => runDetection({ files: [file], now, onReject: () => {} }));
  console.log(`detect, one thread:        ${single.toFixed(1)} s  ${rate(single)} records/s`);
  const threads1 = await time(() => runDetectionThreaded({ files: [file], now, workers: 1, onReject: () => {} }));
  console.log(`detect --workers 1:        ${threads1.toFixed(1)} s  ${rate(threads1)} records/s  (${(single / threads1).toFixed(2)}× one thread)`);
  const threads2 = await time(() => runDetectionThreaded({ files: [file], now, workers: 2, onReject: () => {} }));
  console.log(`detect --workers 2:        ${threads2.toFixed(1)} s  ${rate(threads2)} records/s  (${(threads1 / threads2).toFixed(2)}× --workers 1, ${(single / threads2).toFixed(2)}× one thread)`);
  // The first run of the process pays for a cold heap and JIT, which flatters every later run's ratio to it.
  const singleAgain = await time(() => runDetection({ files: [file], now, onReject: () => {} }));
  console.log(`detect, one thread again:  ${singleAgain.toFixed(1)} s  ${rate(singleAgain)} records/s  (--workers 1 runs at ${(singleAgain / threads1).toFixed(2)}× this speed, --workers 2 at ${(singleAgain / threads2).toFixed(2)}×)`);
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
function cpuOf(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
/** CPU seconds used so far by the processes named `comm` (nats-server), from /proc. (Not PostgreSQL: a backend that ends takes its time with it.) */
function cpuByName(comm: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm) n += cpuOf(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
/** The machine's busy and total CPU seconds so far (all cores), from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: (total - f[3]! - (f[4] ?? 0)) / 100, total: total / 100 };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

const tag = `${process.pid}`;
const admin = new pg.Client({ connectionString: PG });
await admin.connect();
const dbName = `lw_bench_scale_${tag}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(PG);
dbUrl.pathname = `/${dbName}`;
const nc = await connectNats(NATS, "bench publish");
const jsm = await manager(nc);
const streams: string[] = [];

async function workersRun(n: number): Promise<{ s: number; steady: number }> {
  const stream = `LWBENCH_${tag}_${n}`;
  streams.push(stream);
  const layout = await ensureStream(jsm, { stream, prefix: `lwbench.${tag}.${n}`, partitions: P, window: P * 1000 });
  const pubS = await time(() => publishFiles({ files: [file], nc, layout, clock: () => now, onReject: () => {} }));
  const u = new URL(dbUrl);
  u.searchParams.set("schema", `w${n}`);
  const store = await openStore(u.toString());
  const started = performance.now();
  const cpu0 = machineCpu();
  const nats0 = cpuByName("nats-server");
  const cli = process.env.BENCH_FROM_SOURCE ? ["--import", "tsx", join(ROOT, "src/cli/bin.ts")] : [join(ROOT, "dist/cli/bin.js")];
  const procs = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, ["--max-old-space-size=6144", ...(PROF ? ["--cpu-prof", `--cpu-prof-dir=${PROF}`, `--cpu-prof-name=w${n}-b${i}.cpuprofile`] : []), ...cli, "--store", u.toString(), "worker", "--nats", NATS, "--stream", stream, "--subject-prefix", layout.prefix, "--name", `b${i}`, "--checkpoint-seconds", String(CHECKPOINT_S), "--quiet-seconds", "1", "--lease-seconds", String(LEASE_S)], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] }),
  );
  // A worker that ends before the stream is through fails the bench with the end of what it said.
  const said = procs.map(() => "");
  // BENCH_WORKER_LOGS=DIR keeps each worker's whole log (takes, checkpoints, consumer re-creations) as DIR/w<n>-b<i>.log.
  const logs = process.env.BENCH_WORKER_LOGS;
  procs.forEach((p, i) =>
    p.stderr!.on("data", (d: Buffer) => {
      said[i] = (said[i] + d.toString()).slice(-4000);
      if (logs) appendFileSync(join(logs, `w${n}-b${i}.log`), d);
    }),
  );
  let firstS: number | undefined;
  let partsS: number | undefined;
  let fleetS: number | undefined;
  let facts = 0;
  const since = () => (performance.now() - started) / 1000;
  // Progress as the partitions tell the fleet stage (every 500 ms, each facts message says the records its partition
  // has taken in): the steady state is the rate between 10% and 90% of the records, without start-up and the end.
  const taken = new Float64Array(P);
  let sum = 0;
  let t10: number | undefined;
  let t90: number | undefined;
  const progress = nc.subscribe(fleetSubject(layout.prefix, "*"), {
    callback: (_e, m) => {
      const { partition, records } = factsProgress(m.data);
      if (!(records > taken[partition]!)) return;
      sum += records - taken[partition]!;
      taken[partition] = records;
      const t = since();
      if (t10 === undefined && sum >= 0.1 * N) t10 = t;
      if (t90 === undefined && sum >= 0.9 * N) t90 = t;
    },
  });
  const held = (c: { meta: string }) => (JSON.parse(c.meta) as { held?: number }).held ?? 1;
  // Per unit: when its checkpoint last took in records (through), its owner then, its checkpoints and state bytes.
  const units = new Map<number, { records: number; through: number; owner: string; checkpoints: number; saved: string; bytes: number }>();
  for (;;) {
    const cps = await store.scale.checkpoints(stream);
    const owners = new Map((await store.scale.leases(stream)).map((l) => [l.part, l.owner]));
    for (const c of cps) {
      const u = units.get(c.part) ?? { records: -1, through: 0, owner: "", checkpoints: 0, saved: "", bytes: 0 };
      if (c.saved_at !== u.saved) u.checkpoints++;
      u.saved = c.saved_at;
      if (c.records !== u.records || held(c) > 0) u.through = since();
      u.records = c.records;
      u.owner = owners.get(c.part) ?? "?";
      u.bytes = c.bytes;
      units.set(c.part, u);
    }
    const parts = cps.filter((c) => c.part >= 0);
    const fleet = cps.find((c) => c.part < 0);
    if (firstS === undefined && cps.some((c) => c.records > 0)) firstS = since();
    if (partsS === undefined && parts.length === P && parts.reduce((s, c) => s + c.records, 0) === N && parts.every((c) => held(c) === 0)) partsS = since();
    // Through when every partition's facts are in (the checkpoint's records are those the partitions spoke for).
    if (fleetS === undefined && fleet && fleet.records === N && held(fleet) === 0) fleetS = since();
    if (partsS !== undefined && fleetS !== undefined) {
      facts = parts.reduce((n, c) => n + ((JSON.parse(c.meta) as { facts?: number }).facts ?? 0), 0);
      break;
    }
    if (since() > STALL_S) {
      for (const p of procs) p.kill("SIGTERM");
      throw new Error(`not through after ${STALL_S} s: ${JSON.stringify(cps.map((c) => [c.part, c.records, c.meta]))}\n${said.join("\n---\n")}`);
    }
    const gone = procs.findIndex((p) => p.exitCode !== null || p.signalCode !== null);
    if (gone >= 0) throw new Error(`worker b${gone} ended (${procs[gone]!.exitCode ?? procs[gone]!.signalCode}) before the stream was through:\n${said[gone]}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const s = since();
  progress.unsubscribe();
  const steady = t10 !== undefined && t90 !== undefined && t90 > t10 ? Math.round((0.8 * N) / (t90 - t10)) : NaN;
  const cpu = procs.map((p) => cpuOf(p.pid));
  const cpu1 = machineCpu();
  const nats = cpuByName("nats-server") - nats0;
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)))));
  await store.close();
  console.log(`JetStream, ${n} worker${n > 1 ? "s" : " "}:      ${s.toFixed(1)} s  ${rate(s)} records/s  (publish ${pubS.toFixed(1)} s, ${rate(pubS)} records/s; first checkpoint at ${firstS!.toFixed(1)} s, partitions through at ${partsS.toFixed(1)} s, fleet stage at ${fleetS.toFixed(1)} s, ${(facts / N).toFixed(2)} facts per record; includes --quiet-seconds 1, --checkpoint-seconds ${CHECKPOINT_S})`);
  console.log(`  steady state: ${steady} records/s (10% of the records in the partitions at ${t10?.toFixed(1)} s, 90% at ${t90?.toFixed(1)} s)`);
  console.log(`  CPU: ${cpu.map((c, i) => `b${i} ${c.toFixed(1)} s`).join(", ")} (${(cpu.reduce((a, b) => a + b, 0) / s).toFixed(2)} cores on average); nats-server ${nats.toFixed(1)} s (other clients' included); the machine ${(cpu1.busy - cpu0.busy).toFixed(1)} s busy of ${(cpu1.total - cpu0.total).toFixed(1)} s`);
  for (const [part, u] of [...units].sort((a, b) => a[0] - b[0])) console.log(`  ${part < 0 ? "fleet" : `p${part}   `} ${u.owner}: through at ${u.through.toFixed(1)} s, ${u.records} records, checkpoints seen ${u.checkpoints}, state ${(u.bytes / 1e6).toFixed(1)} MB`);
  return { s, steady };
}
try {
  const one = await workersRun(1);
  const two = await workersRun(2);
  const [w1, w2] = [one.s, two.s];
  console.log(`2 workers / 1 worker: end to end ${(w1 / w2).toFixed(2)}×, steady state ${(two.steady / one.steady).toFixed(2)}×; 1 worker / single-process detect: ${(single / w1).toFixed(2)}×; 2 workers / single-process detect: ${(single / w2).toFixed(2)}×`);
  console.log(`load after: ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
} finally {
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
  await new Promise((r) => setTimeout(r, 3000));
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
