/**
 * bench:forecast-tally — what tallying the lifecycle forecast during a scan's audit costs the scan (issue 13: the
 * dashboard reads the forecast the scan stored instead of computing it over every device per request). The demo
 * fleet is imported once; then the real audit (every rule) runs over the stored fleet, alternating with the tally as
 * shipped and with ForecastTally.add replaced by a no-op, in the same process. CPU time (process.cpuUsage) of each
 * audit, so the machine's load cancels; the median of each side and their ratio are reported, beside the CPU time of
 * computeForecast over the same store (what each /forecast request used to cost).
 *
 *   npm run bench:forecast-tally                  # 50,000 devices, 3 rounds
 *   npm run bench:forecast-tally -- --devices 20000 --rounds 5
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runAudit } from "../src/audit/engine.ts";
import { allRules } from "../src/audit/rules/index.ts";
import { runScan } from "../src/audit/scan.ts";
import { generateDemoFleet } from "../src/demo/fleet.ts";
import { computeForecast, ForecastTally } from "../src/lifecycle/forecast.ts";
import { loadCryptoPolicy } from "../src/lifecycle/policy.ts";
import { openStore } from "../src/store/open.ts";

const { values } = parseArgs({ options: { devices: { type: "string", default: "50000" }, rounds: { type: "string", default: "3" } } });
const N = Number(values.devices);
const ROUNDS = Number(values.rounds);
const NOW = Date.UTC(2026, 11, 1);
const dir = mkdtempSync(join(tmpdir(), "lw-bench-tally-"));
const digest = (p: string) => `bench$${p.length}`;
const cpuMs = (f: () => Promise<unknown>) => async () => {
  const c0 = process.cpuUsage();
  await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

try {
  const files = generateDemoFleet({ dir: join(dir, "fleet"), devices: N, seed: 11, now: NOW });
  const store = await openStore(`sqlite:${join(dir, "longwatch.db")}`);
  const first = await runScan({ store, rules: allRules, now: NOW, keyedDigest: digest, inventory: files.devices, models: files.models, credentials: files.credentials, onIssue: () => undefined });
  if (first.stopped) throw new Error(`import stopped: ${first.stopped.reason}`);
  const audit = cpuMs(() => runAudit({ store, rules: allRules, now: NOW, keyedDigest: digest }));
  const realAdd = ForecastTally.prototype.add;
  const withTally: number[] = [];
  const without: number[] = [];
  await audit(); // warm-up: JIT, page cache
  for (let i = 0; i < ROUNDS; i++) {
    ForecastTally.prototype.add = realAdd;
    withTally.push(await audit());
    ForecastTally.prototype.add = () => undefined;
    without.push(await audit());
  }
  ForecastTally.prototype.add = realAdd;
  const computed: number[] = [];
  for (let i = 0; i < ROUNDS; i++) computed.push(await cpuMs(() => computeForecast(store, { now: NOW, until: 2046, policy: loadCryptoPolicy() }))());
  await store.close();
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`${N.toLocaleString("en-US")} demo devices, SQLite, every rule; ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  console.log(`audit CPU with the tally:    ${withTally.map((x) => x.toFixed(0)).join(", ")} ms (median ${med(withTally).toFixed(0)})`);
  console.log(`audit CPU without it:        ${without.map((x) => x.toFixed(0)).join(", ")} ms (median ${med(without).toFixed(0)})`);
  console.log(`ratio with ÷ without:        ${(med(withTally) / med(without)).toFixed(3)}`);
  console.log(`computeForecast over the store (one /forecast request before): ${computed.map((x) => x.toFixed(0)).join(", ")} ms CPU`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
