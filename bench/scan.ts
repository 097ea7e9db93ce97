/**
 * bench:scan — import and audit of a large generated fleet (default 1,000,000 devices, certificates for 100,000 of
 * them), run as a real `longwatch scan` process (bin/longwatch.js, as a user runs it), three times: the median wall
 * time and the highest peak RSS (from /usr/bin/time) against the targets of 20 s and 1.5 GB. In the same run, a baseline reads the same inventory file and splits it into lines, the floor of
 * what touching the data costs, and the report gives the ratio.
 *
 *   npm run bench:scan                      # 1,000,000 devices, 100,000 certificates
 *   npm run bench:scan -- --devices 200000  # smaller
 *   npm run bench:scan -- --store postgres://postgres@127.0.0.1:5432/postgres   # also into PostgreSQL, same run
 *
 * With --store, every run scans into SQLite and then into a fresh schema of that PostgreSQL database (dropped
 * afterwards), alternating, and the report gives PostgreSQL's wall time as a ratio of SQLite's (target ≤ 1.5×).
 *
 * The dataset is generated once into bench/out/ (deterministic) and reused.
 *
 *   npx tsx bench/scan.ts --devices 100000 --import-only --ab /work/wt-old,.   # A/B: import alone, per checkout
 *
 * --ab takes checkouts (each with dist/ built) and runs each in turn, round after round (--runs rounds), on the same
 * data, reporting every checkout's median CPU and wall; --import-only times `import models` + `import devices`
 * (certificates included) instead of the whole scan, for what the store's writes cost.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { generateBenchFleet } from "./scan-fleet.ts";

const { values } = parseArgs({ options: { devices: { type: "string", default: "1000000" }, certs: { type: "string" }, runs: { type: "string", default: "3" }, store: { type: "string" }, ab: { type: "string" }, "import-only": { type: "boolean", default: false } } });
const devices = Number(values.devices);
const certs = values.certs !== undefined ? Number(values.certs) : Math.round(devices / 10);
const root = join(import.meta.dirname, "..");
const dir = join(root, "bench", "out", `scan-${devices}-${certs}`);

if (!existsSync(join(dir, "devices.csv"))) {
  const t = Date.now();
  console.log(`generating ${devices.toLocaleString("en-US")} devices with ${certs.toLocaleString("en-US")} certificates in ${dir} …`);
  await generateBenchFleet({ dir, devices, certs, seed: 1 });
  console.log(`generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
if (!existsSync(join(root, "dist", "cli", "bin.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}

async function baselineRead(file: string): Promise<{ seconds: number; lines: number }> {
  const t = process.hrtime.bigint();
  let lines = 0;
  for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    for (let i = chunk.indexOf("\n"); i >= 0; i = chunk.indexOf("\n", i + 1)) lines++;
  }
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, lines };
}

interface Run {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  stdout: string;
}

/** One scan into a fresh store: the data folder's SQLite file, or `store` (a URL) when given. */
function scanOnce(store?: string): Run {
  const data = join(dir, "store");
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  const t = process.hrtime.bigint();
  const p = spawnSync(
    "/usr/bin/time",
    ["-f", "%M %U %S", join(root, "bin", "longwatch.js"), "--data", data, ...(store ? ["--store", store] : []), "scan", join(dir, "devices.csv"), "--models", join(dir, "models.yaml"), "--now", "2026-11-25"],
    { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 26 },
  );
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const [rssKb, user, sys] = p.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  if (p.status !== 0 && p.status !== 3) throw new Error(`scan failed (${p.status}): ${p.stderr.slice(-2000)}`);
  return { seconds, cpuSeconds: user! + sys!, maxRssMb: rssKb! / 1024, stdout: p.stdout };
}

const file = join(dir, "devices.csv");
if (values.ab !== undefined) {
  await abRuns(values.ab.split(",").map((c) => resolve(process.cwd(), c)));
  process.exit(0);
}
const base = await baselineRead(file);
const pgRuns: Run[] = [];
const results: Run[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  results.push(scanOnce());
  if (values.store) pgRuns.push(await pgScanOnce(values.store, i));
}
const median = (runs: Run[]) => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
// The median run: the machine is shared, so single runs wander by a few seconds.
const best = median(results);
const maxRssMb = Math.max(...results.map((r) => r.maxRssMb));
const mb = statSync(file).size / 1048576;
console.log(best.stdout.split("\n").slice(0, 6).join("\n"));
console.log("");
console.log(`| workload | baseline: read + split lines | longwatch scan (import + audit), wall, median run | CPU (user+sys) | ratio to baseline | peak RSS | targets |`);
console.log(`|---|---|---|---|---|---|---|`);
console.log(
  `| ${devices.toLocaleString("en-US")} devices (${mb.toFixed(0)} MiB CSV), ${certs.toLocaleString("en-US")} certificates | ${base.seconds.toFixed(2)} s | ${best.seconds.toFixed(1)} s (${Math.round(devices / best.seconds).toLocaleString("en-US")} devices/s) | ${best.cpuSeconds.toFixed(1)} s | ${(best.seconds / base.seconds).toFixed(1)}× | ${maxRssMb.toFixed(0)} MiB (highest run) | ≤ 20 s, ≤ 1536 MiB: ${best.seconds <= 20 && maxRssMb <= 1536 ? "met" : "NOT met"} |`,
);
if (pgRuns.length) {
  const pg = median(pgRuns);
  const ratio = pg.seconds / best.seconds;
  console.log(`\n| store | scan wall, median run | CPU of the longwatch process | peak RSS | ratio to SQLite (same run) | target |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(`| SQLite | ${best.seconds.toFixed(1)} s | ${best.cpuSeconds.toFixed(1)} s | ${maxRssMb.toFixed(0)} MiB | 1.00× | |`);
  console.log(`| PostgreSQL | ${pg.seconds.toFixed(1)} s | ${pg.cpuSeconds.toFixed(1)} s | ${Math.max(...pgRuns.map((r) => r.maxRssMb)).toFixed(0)} MiB | ${ratio.toFixed(2)}× | ≤ 1.5×: ${ratio <= 1.5 ? "met" : "NOT met"} |`);
}
console.log(`\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}; runs: ${results.map((r) => `${r.seconds.toFixed(1)} s / ${r.maxRssMb.toFixed(0)} MiB`).join(", ")}${pgRuns.length ? `; PostgreSQL runs: ${pgRuns.map((r) => `${r.seconds.toFixed(1)} s`).join(", ")}` : ""}`);

/** A scan into a new schema of the given PostgreSQL database, dropped afterwards. */
async function pgScanOnce(url: string, i: number): Promise<Run> {
  const schema = `lw_bench_${process.pid}_${i}`;
  const u = new URL(url);
  u.searchParams.delete("schema");
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    u.searchParams.set("schema", schema);
    return scanOnce(u.toString());
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/** One import (models, then devices with their certificates) or scan by the checkout `tree`, into a fresh SQLite store. */
function runTree(tree: string, importOnly: boolean): Run {
  const data = join(dir, "store-ab");
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  const bin = join(tree, "bin", "longwatch.js");
  const timed = (args: string[]) => {
    const p = spawnSync("/usr/bin/time", ["-f", "%M %U %S", bin, "--data", data, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 26 });
    const [rssKb, user, sys] = p.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    if (p.status !== 0 && p.status !== 3) throw new Error(`${tree}: ${args.join(" ")} failed (${p.status}): ${p.stderr.slice(-2000)}`);
    return { cpu: user! + sys!, rss: rssKb! / 1024, stdout: p.stdout };
  };
  const t = process.hrtime.bigint();
  if (!importOnly) {
    const r = timed(["scan", file, "--models", join(dir, "models.yaml"), "--now", "2026-11-25"]);
    return { seconds: Number(process.hrtime.bigint() - t) / 1e9, cpuSeconds: r.cpu, maxRssMb: r.rss, stdout: r.stdout };
  }
  const m = timed(["import", "models", join(dir, "models.yaml")]);
  const t2 = process.hrtime.bigint();
  const d = timed(["import", "devices", file]);
  void m;
  return { seconds: Number(process.hrtime.bigint() - t2) / 1e9, cpuSeconds: d.cpu, maxRssMb: d.rss, stdout: d.stdout };
}

async function abRuns(trees: string[]): Promise<void> {
  const importOnly = values["import-only"] === true;
  const runs = new Map<string, Run[]>(trees.map((t) => [t, []]));
  const commit = (t: string) => spawnSync("git", ["-C", t, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout.trim() + (spawnSync("git", ["-C", t, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).stdout.trim() ? "+changes" : "");
  const loads: string[] = [loadavg()[0]!.toFixed(1)];
  for (let i = 0; i < Number(values.runs); i++) {
    for (const t of i % 2 === 0 ? trees : [...trees].reverse()) {
      const r = runTree(t, importOnly);
      runs.get(t)!.push(r);
      console.log(`round ${i + 1} ${commit(t)}: ${r.cpuSeconds.toFixed(2)} s CPU, ${r.seconds.toFixed(1)} s wall, load ${loadavg()[0]!.toFixed(1)}`);
    }
    loads.push(loadavg()[0]!.toFixed(1));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n| checkout | ${importOnly ? "import devices" : "scan"} CPU (user+sys), median [all] | wall, median | peak RSS |`);
  console.log("|---|---|---|---|");
  for (const t of trees) {
    const rs = runs.get(t)!;
    console.log(`| ${commit(t)} | ${med(rs.map((r) => r.cpuSeconds)).toFixed(2)} s [${rs.map((r) => r.cpuSeconds.toFixed(2)).join(", ")}] | ${med(rs.map((r) => r.seconds)).toFixed(1)} s | ${Math.max(...rs.map((r) => r.maxRssMb)).toFixed(0)} MiB |`);
  }
  console.log(`\n${devices.toLocaleString("en-US")} devices, ${certs.toLocaleString("en-US")} certificates; machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, node ${process.version}; load (1 min) at each round's end: ${loads.join(", ")}`);
}
