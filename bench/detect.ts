/**
 * `npm run bench:detect`: end-to-end detection throughput on a large simulated fleet, in one process, with same-run
 * baselines so the figures mean something on a shared machine:
 *
 * - the workload: `simulate` with every scenario, a device_id in every record (canonical files), by default
 *   1,000,000 devices and about 22 million records over 8 hours, as CSV and as NDJSON (cached in bench/out/);
 * - baseline 1, the naive parse: read the file, split lines, split(',') / JSON.parse each, sum one number — what
 *   merely reading the records costs in JavaScript;
 * - baseline 2, DuckDB (@duckdb/node-api): per-device record count, byte sums and distinct destinations over the same
 *   files — the floor for what reading the file costs in a vectorised C++ engine (it uses every core);
 * - detection: `runDetection` over the same files — parsing, device resolution, all 15 detectors, alerts.
 *
 * Environment: BENCH_DEVICES, BENCH_HOURS, BENCH_FACTOR (report-interval multiplier), BENCH_FORMATS (csv,ndjson).
 */
import { existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { runDetection } from "../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../src/detect/simulate/index.ts";

const devices = Number(process.env.BENCH_DEVICES ?? 1_000_000);
const hours = Number(process.env.BENCH_HOURS ?? 8);
const factor = Number(process.env.BENCH_FACTOR ?? 8);
const formats = (process.env.BENCH_FORMATS ?? "csv,ndjson").split(",") as ("csv" | "ndjson")[];
const out = join(import.meta.dirname, "out", `detect-${devices}-${hours}-${factor}`);

function workload(format: "csv" | "ndjson"): { files: string[]; records: number; bytes: number; seconds: number } {
  const dir = join(out, format);
  const manifest = join(dir, "manifest.json");
  if (existsSync(manifest)) return { ...(JSON.parse(readFileSync(manifest, "utf8")) as { files: string[]; records: number; bytes: number }), seconds: 0 };
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const sim = simulate({ dir, devices, hours, scenarios: SCENARIO_NAMES, seed: 2026, format, intervalFactor: factor, deviceIds: true, inventory: false, scenarioAtHour: hours * 0.75 });
  const records = Object.values(sim.records).reduce((a, b) => a + b, 0);
  const bytes = sim.files.reduce((a, f) => a + statSync(f).size, 0);
  writeFileSync(manifest, JSON.stringify({ files: sim.files, records, bytes }));
  return { files: sim.files, records, bytes, seconds: (performance.now() - t0) / 1000 };
}

/** The naive parse: what reading the records costs with the obvious JavaScript. */
function naive(files: string[], format: "csv" | "ndjson"): { seconds: number; records: number } {
  const t0 = performance.now();
  let records = 0;
  let sum = 0;
  const buf = Buffer.allocUnsafe(4 << 20);
  for (const f of files) {
    const fd = openSync(f, "r");
    let rest = "";
    let first = format === "csv";
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      const lines = (rest + buf.toString("utf8", 0, n)).split("\n");
      rest = lines.pop()!;
      for (const l of lines) {
        if (first) {
          first = false;
          continue;
        }
        if (format === "csv") sum += Number(l.split(",")[3]) || 0;
        else sum += (JSON.parse(l) as { value?: number }).value ?? 0;
        records++;
      }
    }
    closeSync(fd);
  }
  if (sum === -1) console.log(sum);
  return { seconds: (performance.now() - t0) / 1000, records };
}

async function duck(files: string[], format: "csv" | "ndjson"): Promise<{ seconds: number; devices: number }> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const list = `[${files.map((f) => `'${f}'`).join(",")}]`;
  const src = format === "csv" ? `read_csv(${list}, union_by_name = true)` : `read_json(${list}, format = 'newline_delimited', union_by_name = true)`;
  const t0 = performance.now();
  const r = await con.runAndReadAll(`
    SELECT count(*) AS devices, sum(records) AS records FROM (
      SELECT device_id, count(*) AS records,
             sum(coalesce(bytes_out, 0) + coalesce(bytes_in, 0) + coalesce(bytes_up, 0)) AS bytes,
             count(DISTINCT dst_ip) AS destinations
      FROM ${src} GROUP BY device_id)`);
  const seconds = (performance.now() - t0) / 1000;
  const row = r.getRows()[0]!;
  con.closeSync();
  return { seconds, devices: Number(row[0]) };
}

function gcNow(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const results: Record<string, unknown>[] = [];
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
for (const format of formats) {
  const w = workload(format);
  console.log(`\n${format}: ${w.records.toLocaleString("en-US")} records, ${(w.bytes / 2 ** 20).toFixed(0)} MiB in ${w.files.length} files${w.seconds ? ` (generated in ${w.seconds.toFixed(0)} s)` : " (cached)"}`);
  const base = naive(w.files, format);
  console.log(`  naive parse      ${base.seconds.toFixed(2)} s  ${(base.records / base.seconds / 1e6).toFixed(2)} M records/s`);
  const dk = await duck(w.files, format);
  console.log(`  DuckDB aggregate ${dk.seconds.toFixed(2)} s  ${(w.records / dk.seconds / 1e6).toFixed(2)} M records/s (${dk.devices.toLocaleString("en-US")} devices)`);
  gcNow();
  const mem0 = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  let rejects = 0;
  const r = runDetection({ files: w.files, initialCapacity: devices, readThread: true, onReject: () => rejects++ });
  const cpu = process.cpuUsage(cpu0);
  gcNow();
  const mem1 = process.memoryUsage();
  const seconds = r.replay.seconds;
  const m = r.engine.memory();
  const heapPerDevice = (mem1.heapUsed + mem1.arrayBuffers - mem0.heapUsed - mem0.arrayBuffers) / r.engine.devices();
  const row = {
    format,
    records: w.records,
    devices: r.engine.devices(),
    seconds: round(seconds),
    records_per_s: Math.round(r.replay.used / seconds),
    cpu_seconds: round((cpu.user + cpu.system) / 1e6),
    naive_seconds: round(base.seconds),
    duckdb_seconds: round(dk.seconds),
    vs_naive: round(base.seconds / seconds),
    vs_duckdb: round(dk.seconds / seconds),
    in_thread_seconds: 0,
    vs_in_thread: 0,
    alerts: r.alerts.length,
    rejects,
    columns_bytes_per_device: m.columnsPerDevice,
    index_bytes_per_device: round(m.indexBytes / r.engine.devices()),
    detector_maps_bytes_per_device: round(m.extraBytes / r.engine.devices()),
    measured_heap_bytes_per_device: round(heapPerDevice),
  };
  results.push(row);
  console.log(`  detect           ${seconds.toFixed(2)} s  ${(row.records_per_s / 1e6).toFixed(2)} M records/s end to end (${row.cpu_seconds} s CPU); ${row.alerts} alerts, ${rejects} rejects`);
  // The same detection with reading in the replay thread (one core), as a third baseline.
  gcNow();
  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  const inThread = runDetection({ files: w.files, initialCapacity: devices, readThread: false, onReject: () => {} });
  const inThreadCpu = process.cpuUsage(cpu1);
  row.in_thread_seconds = round(inThread.replay.seconds);
  row.vs_in_thread = round(inThread.replay.seconds / seconds);
  console.log(`  detect, 1 thread ${inThread.replay.seconds.toFixed(2)} s  ${(inThread.replay.used / inThread.replay.seconds / 1e6).toFixed(2)} M records/s (${((inThreadCpu.user + inThreadCpu.system) / 1e6).toFixed(1)} s CPU; ${inThread.alerts.length} alerts${inThread.alerts.length === r.alerts.length ? ", same count" : ", DIFFERENT count"}; ${((performance.now() - t1) / 1000).toFixed(0)} s)`);
  console.log(`  ratios           ${row.vs_naive}× the naive parse's speed, ${row.vs_duckdb}× DuckDB's, ${row.vs_in_thread}× reading in-thread`);
  console.log(`  state per device ${m.columnsPerDevice} B columns + ${row.index_bytes_per_device} B identifier index + ${row.detector_maps_bytes_per_device} B detector maps; measured heap+buffers growth ${row.measured_heap_bytes_per_device} B`);
}
mkdirSync(join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(join(import.meta.dirname, "out", "detect-result.json"), `${JSON.stringify({ date: new Date().toISOString(), devices, hours, factor, results }, null, 2)}\n`);

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
