/**
 * bench:dashboard — first render of every dashboard page on a store of 1,000,000 devices (issue 13 item 3: ≤ 1 s).
 * Fills a SQLite (or PostgreSQL) store with bench/list-fleet.ts (the bench:lists store), starts the real service on it (production
 * settings: no response validation), and opens each page in Debian's Chromium: first render is the time from
 * navigation to the page's heading with no loading indicator left in it; each API request the page made is timed by
 * the browser (Resource Timing). Each page is opened 3 times; the median is reported.
 *
 *   npm run bench:dashboard                       # 1,000,000 devices
 *   npm run bench:dashboard -- --devices 100000
 *   npm run bench:dashboard -- --keep /tmp/lw-1m.db   # fill once, reuse the file on the next run
 *   npm run bench:dashboard -- --store postgres://postgres@127.0.0.1:5432/postgres [--keep SCHEMA]
 *
 * On PostgreSQL the store is a schema of its own (bench_dashboard_PID, dropped afterwards; --keep names one that is
 * kept and reused), VACUUM ANALYZEd after the fill as docs/operations.md says to after a bulk load.
 *
 * The store gets what a scan and `whatif --all` leave behind — the forecast the audit tallies and the stored what-if
 * ranking — computed once here (timed), since the list fill records findings without running the audit. Then, in the
 * same run as the pages, each endpoint that used to compute over the fleet is timed against the stored read that
 * replaced it (wall and the service's CPU time, alternating): a ratio that the machine's load cancels out of.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { CHROMIUM_ARGS, findChromium } from "../src/report/pdf.ts";
import { createToken } from "../src/serve/auth/tokens.ts";
import { serveConfig } from "../src/serve/config.ts";
import { silentLogger } from "../src/serve/log.ts";
import { startService } from "../src/serve/service.ts";
import { openStore } from "../src/store/open.ts";
import { computeForecast, SCAN_FORECAST_YEARS } from "../src/lifecycle/forecast.ts";
import { loadCryptoPolicy } from "../src/lifecycle/policy.ts";
import { rankAndStore } from "../src/whatif/stored.ts";
import { fillListFleet } from "./list-fleet.ts";

const { values } = parseArgs({ options: { devices: { type: "string", default: "1000000" }, keep: { type: "string" }, runs: { type: "string", default: "3" }, store: { type: "string" } } });
const N = Number(values.devices);
const RUNS = Number(values.runs);
const chromiumPath = findChromium();
if (!chromiumPath) throw new Error("Chromium is not installed (apt-get install chromium)");

const dir = mkdtempSync(join(tmpdir(), "lw-bench-dashboard-"));
const postgres = values.store?.startsWith("postgres") === true;
if (values.store !== undefined && !postgres) throw new Error(`--store ${values.store}: give a postgres:// URL (SQLite is the default)`);
const schema = values.keep ?? `bench_dashboard_${process.pid}`;
const reuseFile = !postgres && values.keep !== undefined && existsSync(values.keep);
const storeUrl = postgres ? `${values.store!}${values.store!.includes("?") ? "&" : "?"}schema=${schema}` : `sqlite:${values.keep ?? join(dir, "longwatch.db")}`;
const engine = postgres ? `PostgreSQL (schema ${schema})` : "SQLite";
const store = await openStore(storeUrl);
const reuse = postgres ? values.keep !== undefined && (await store.fleet.counts()).devices === N : reuseFile;
/** A SQL client on the PostgreSQL server, for what the Store port does not do (VACUUM, dropping the schema). */
async function onServer<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: values.store! });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
let fillSeconds: number | undefined;
if (!reuse) {
  fillSeconds = await fillListFleet(store, N);
  if (postgres) {
    const t0 = Date.now();
    await onServer(async (c) => {
      for (const { table_name } of (await c.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", [schema])).rows) await c.query(`VACUUM ANALYZE ${schema}."${table_name}"`);
    });
    console.error(`VACUUM ANALYZE after the fill: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}
// What a scan and whatif --all store, made here once (the fill records findings without running the audit).
const prepared: string[] = [];
// (A store kept from before the per-model rows were stored gets them too.)
if (!((await store.findings.latestForecast())?.doc as { by_model?: unknown } | undefined)?.by_model) {
  const t0 = Date.now();
  const scan = (await store.findings.latestScan())!;
  const forecast = await computeForecast(store, { now: Date.now(), until: new Date().getUTCFullYear() + SCAN_FORECAST_YEARS, policy: loadCryptoPolicy(), byModel: true });
  await store.transaction((tx) => tx.findings.saveForecast(scan.id, new Date().toISOString(), forecast));
  prepared.push(`forecast tallied and stored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
if ((await store.graph.rankingKinds()).length === 0) {
  const t0 = Date.now();
  await rankAndStore(store, { now: Date.now, source: "whatif" });
  prepared.push(`whatif --all ranked and stored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const service = await startService({ store, storeUrl, config: serveConfig({ listen: "127.0.0.1:0" }).http, dataDir: dir, log: silentLogger, version: "bench" });
const { token } = await createToken(store, { name: `bench-${process.pid}`, role: "admin", by: "bench", now: Date.now() });

const { chromium } = await import("playwright-core");
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
interface Row { path: string; render: number; requests: [string, number][] }
const rows: Row[] = [];
const ab: { name: string; computed: string; stored: string; wall: [number, number]; cpu: [number, number] }[] = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${service.url}/`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor({ timeout: 120_000 });
  const firstAlert = (await store.lists.alerts({ page_size: 1, total_cap: 0 })).items[0]!;
  const PAGES = ["/", "/alerts", "/findings", "/devices", `/devices/${firstAlert.device_id}`, `/alerts/${firstAlert.id}`, "/forecast", "/certify", "/audit", "/settings/tokens"];
  for (const path of PAGES) {
    const runs: Row[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto("about:blank");
      const start = Date.now();
      await page.goto(`${service.url}${path}`);
      await page.locator("main h1").first().waitFor({ timeout: 120_000 });
      // Rendered: nothing in main still says it is loading.
      await page.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector("main .state-msg"), undefined, { timeout: 120_000, polling: 20 });
      const render = Date.now() - start;
      const requests = (await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType(t: string): { name: string; duration: number }[] } }).performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/v1/")).map((e) => [new URL(e.name).pathname + new URL(e.name).search, e.duration] as [string, number]))) as [string, number][];
      runs.push({ path, render, requests });
    }
    runs.sort((a, b) => a.render - b.render);
    rows.push(runs[Math.floor(runs.length / 2)]!);
    console.error(`${path}: ${runs.map((r) => r.render).join(", ")} ms`);
  }
  await context.close();
  // The same run: each endpoint that computed over the fleet on every request against the stored read replacing it.
  const year = new Date().getUTCFullYear();
  const pairs: [string, string, string][] = [
    ["forecast", `/api/v1/forecast?until=${year + SCAN_FORECAST_YEARS + 1}`, `/api/v1/forecast?until=${year + 15}`],
    ["what-if ranking", "/api/v1/whatif/ranking?limit=6", "/api/v1/whatif/ranking/stored?limit=6"],
  ];
  for (const [name, computed, stored] of pairs) {
    const times: Record<"computed" | "stored", { wall: number; cpu: number }[]> = { computed: [], stored: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const [kind, path] of [["computed", computed], ["stored", stored]] as const) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
        const body = (await r.json()) as { from_scan?: unknown; computed_at?: unknown };
        if (kind === "stored" && name === "forecast" && !body.from_scan) throw new Error(`${path} did not answer from the stored forecast`);
        const cpu = process.cpuUsage(cpu0);
        times[kind].push({ wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 });
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    ab.push({ name, computed, stored, wall: [med(times.computed.map((x) => x.wall)), med(times.stored.map((x) => x.wall))], cpu: [med(times.computed.map((x) => x.cpu)), med(times.stored.map((x) => x.cpu))] });
  }
} finally {
  await browser.close();
  await service.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  if (postgres && values.keep === undefined) await onServer((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

console.log(`\n${N.toLocaleString("en-US")} devices, ${engine}${fillSeconds !== undefined ? `; fill ${fillSeconds.toFixed(0)} s` : " (reused store)"}; ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log("| page | first render (median of " + RUNS + ") ms | its API requests (ms) |");
console.log("|---|---:|---|");
const short = (u: string) => u.replace("/api/v1", "").replace(/page_size=\d+&?/, "").replace(/[?&]$/, "");
for (const r of rows) console.log(`| ${r.path.replace(/\/(dev|al)-[\w-]+$/, "/{id}")} | ${r.render} | ${r.requests.map(([u, d]) => `${short(u)} ${d.toFixed(0)}`).join("; ")} |`);
if (prepared.length) console.log(`\nPrepared: ${prepared.join("; ")}.`);
console.log("\n| endpoint | computed on the request (wall / CPU ms, median) | stored read (wall / CPU ms) | CPU ratio stored ÷ computed |");
console.log("|---|---:|---:|---:|");
for (const x of ab) console.log(`| ${x.name}: \`${x.computed.replace("/api/v1", "")}\` vs \`${x.stored.replace("/api/v1", "")}\` | ${x.wall[0].toFixed(0)} / ${x.cpu[0].toFixed(0)} | ${x.wall[1].toFixed(0)} / ${x.cpu[1].toFixed(0)} | ${(x.cpu[1] / x.cpu[0]).toFixed(4)} |`);
