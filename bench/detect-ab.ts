/**
 * `npm run bench:detect-ab`: this tree's detection against another checkout's (BENCH_BASELINE, e.g. a worktree of
 * main before a change), in one process, on the same files, rounds alternating which goes first — so a shared,
 * loaded machine slows both alike. Measured in CPU time (process.cpuUsage), which waiting for a core does not inflate.
 *
 * Two figures per round: reading alone (every record of every file through openSource, as the replay reads them) and
 * `runDetection` end to end (all detectors). Written for the input decoding of issue 18.12, whose cost is all in
 * reading; any change to the readers or the engine can use it.
 *
 * Environment: BENCH_BASELINE (required), BENCH_DEVICES (default 20,000), BENCH_HOURS (8), BENCH_ROUNDS (5),
 * BENCH_FORMATS (csv,ndjson).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as OpenModule from "../src/detect/read/open.ts";
import type * as RecModule from "../src/detect/read/rec.ts";
import type * as RunModule from "../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../src/detect/simulate/index.ts";

type Run = typeof RunModule;
type Open = typeof OpenModule;
type RecMod = typeof RecModule;

const baseline = process.env.BENCH_BASELINE;
if (!baseline) throw new Error("BENCH_BASELINE: the checkout to compare against (its src/ is imported)");
const devices = Number(process.env.BENCH_DEVICES ?? 20_000);
const hours = Number(process.env.BENCH_HOURS ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const formats = (process.env.BENCH_FORMATS ?? "csv,ndjson").split(",") as ("csv" | "ndjson")[];
const out = join(import.meta.dirname, "out", `detect-ab-${devices}-${hours}`);

interface Tree {
  name: string;
  run: Run;
  open: Open;
  rec: RecMod;
}

async function tree(name: string, root: string): Promise<Tree> {
  const at = (p: string) => pathToFileURL(join(root, p)).href;
  return { name, run: (await import(at("src/detect/run.ts"))) as Run, open: (await import(at("src/detect/read/open.ts"))) as Open, rec: (await import(at("src/detect/read/rec.ts"))) as RecMod };
}

function workload(format: "csv" | "ndjson"): { files: string[]; records: number; bytes: number } {
  const dir = join(out, format);
  const manifest = join(dir, "manifest.json");
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, "utf8")) as { files: string[]; records: number; bytes: number };
  mkdirSync(dir, { recursive: true });
  const sim = simulate({ dir, devices, hours, scenarios: SCENARIO_NAMES, seed: 2026, format, intervalFactor: 8, deviceIds: true, inventory: false, scenarioAtHour: hours * 0.75 });
  const w = { files: sim.files, records: Object.values(sim.records).reduce((a, b) => a + b, 0), bytes: sim.files.reduce((a, f) => a + statSync(f).size, 0) };
  writeFileSync(manifest, JSON.stringify(w));
  return w;
}

function cpuOf(fn: () => number): { cpu: number; n: number } {
  const c0 = process.cpuUsage();
  const n = fn();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, n };
}

function readOnly(t: Tree, files: string[]): number {
  let n = 0;
  const rec = new t.rec.Rec();
  for (const f of files) {
    const { source } = t.open.openSource(f, { onReject: () => undefined });
    while (source.next(rec)) n++;
    source.close();
  }
  return n;
}

function detect(t: Tree, files: string[]): number {
  return t.run.runDetection({ files, initialCapacity: devices, readThread: false, now: Date.parse("2026-12-01T00:00:00Z"), onReject: () => undefined }).alerts.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const trees = [await tree("this tree", resolve(import.meta.dirname, "..")), await tree(`baseline ${baseline}`, resolve(baseline))];
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}; ${rounds} rounds, order alternating`);
for (const format of formats) {
  const w = workload(format);
  console.log(`\n${format}: ${w.records.toLocaleString("en-US")} records, ${(w.bytes / 2 ** 20).toFixed(0)} MiB in ${w.files.length} files (${devices.toLocaleString("en-US")} devices, ${hours} h)`);
  for (const [what, fn] of [["read", readOnly], ["detect", detect]] as const) {
    const cpu: number[][] = [[], []];
    const counts = new Set<string>();
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const m = cpuOf(() => fn(trees[i]!, w.files));
        cpu[i]!.push(m.cpu);
        counts.add(`${i}:${m.n}`);
      }
    }
    const ratios = cpu[0]!.map((c, r) => c / cpu[1]![r]!);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const same = new Set([...counts].map((c) => c.split(":")[1])).size === 1;
    console.log(`  ${what.padEnd(6)} CPU s this tree ${cpu[0]!.map((c) => c.toFixed(2)).join(" ")} | baseline ${cpu[1]!.map((c) => c.toFixed(2)).join(" ")} | ratio per round ${ratios.map((x) => x.toFixed(3)).join(" ")}, median ${median(ratios).toFixed(3)}, of the totals ${(sum(cpu[0]!) / sum(cpu[1]!)).toFixed(3)}${same ? "" : `  (outputs differ: ${[...counts].join(", ")})`}`);
  }
}
