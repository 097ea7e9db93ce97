/**
 * bench:scale — records/s through detection on BENCH_DEVICES devices (default 1,000,000), BENCH_PER_DEVICE records
 * each (default 2, connectivity session updates and flows), all in the same run:
 *
 * 1. single-process detect (runDetection) — the baseline;
 * 2. detect --workers 2 vs 1 thread (runDetectionThreaded);
 * 3. JetStream: publish, then 1 worker process vs 2 worker processes (`longwatch worker`, each with its own store
 *    schema and stream), from start until every unit's checkpoint covers the stream — so the figure includes start-up
 *    (restoring nothing, loading nothing: no inventory) and checkpoints.
 *
 * Needs NATS on LONGWATCH_BENCH_NATS (default nats://127.0.0.1:4222) and PostgreSQL on LONGWATCH_BENCH_PG.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runDetection } from "../src/detect/run.ts";
import { connectNats, ensureStream, manager } from "../src/scale/nats.ts";
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
  // Time-ordered: round k visits every device once; devices 10.x.y.z on private addresses so flows resolve.
  const lines = ["ts,kind,device_id,event,ip,bytes_up,src_ip,dst_ip,dst_port,proto,bytes_out,conn_state"];
  const total = DEVICES * PER;
  for (let i = 0; i < total; i++) {
    const d = i % DEVICES;
    const ts = new Date(t0 + Math.floor((i * 3_600_000) / total)).toISOString();
    const ip = `10.${(d >> 16) & 255}.${(d >> 8) & 255}.${d & 255}`;
    lines.push(i < DEVICES ? `${ts},connectivity,dev-${d},session_start,${ip},${d % 500},,,,,,` : `${ts},flow,,,,,${ip},93.184.${d % 200}.${d % 250},443,tcp,${d % 900},SF`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
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
const single = await time(() => runDetection({ files: [file], now, onReject: () => {} }));
console.log(`detect, one thread:        ${single.toFixed(1)} s  ${rate(single)} records/s`);
const threads2 = await time(() => runDetectionThreaded({ files: [file], now, workers: 2, onReject: () => {} }));
console.log(`detect --workers 2:        ${threads2.toFixed(1)} s  ${rate(threads2)} records/s  (${(single / threads2).toFixed(2)}× one thread)`);

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

async function workersRun(n: number): Promise<number> {
  const stream = `LWBENCH_${tag}_${n}`;
  streams.push(stream);
  const layout = await ensureStream(jsm, { stream, prefix: `lwbench.${tag}.${n}`, partitions: P, window: P * 1000 });
  const pubS = await time(() => publishFiles({ files: [file], nc, layout, clock: () => now, onReject: () => {} }));
  const u = new URL(dbUrl);
  u.searchParams.set("schema", `w${n}`);
  const store = await openStore(u.toString());
  const info = await jsm.streams.info(stream);
  const started = performance.now();
  const procs = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, ["--max-old-space-size=6144", "--import", "tsx", join(ROOT, "src/cli/bin.ts"), "--store", u.toString(), "worker", "--nats", NATS, "--stream", stream, "--subject-prefix", layout.prefix, "--name", `b${i}`, "--checkpoint-seconds", "10", "--lease-seconds", "60"], { cwd: ROOT, stdio: ["ignore", "ignore", "ignore"] }),
  );
  const last = info.state.last_seq;
  for (;;) {
    const cps = await store.scale.checkpoints(stream);
    const total = cps.filter((c) => c.part >= 0).reduce((s, c) => s + c.records, 0);
    if (cps.length === P + 1 && total === N && cps.find((c) => c.part < 0)!.seq === last) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const s = (performance.now() - started) / 1000;
  for (const p of procs) p.kill("SIGTERM");
  await store.close();
  console.log(`JetStream, ${n} worker${n > 1 ? "s" : " "}:      ${s.toFixed(1)} s  ${rate(s)} records/s  (publish ${pubS.toFixed(1)} s, ${rate(pubS)} records/s)`);
  return s;
}
try {
  const w1 = await workersRun(1);
  const w2 = await workersRun(2);
  console.log(`2 workers / 1 worker: ${(w1 / w2).toFixed(2)}×; 1 worker / single-process detect: ${(single / w1).toFixed(2)}×`);
} finally {
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
  await new Promise((r) => setTimeout(r, 3000));
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
