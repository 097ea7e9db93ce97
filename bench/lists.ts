/**
 * bench:lists — how long the lists the service and dashboard show take on a large store (issue 12 item 2, issue 13
 * item 3: first page ≤ 1 s on 1,000,000 devices). Fills a store through the port (devices with model, firmware,
 * country, groups and provider; a scan with device findings and model-wide group findings; alerts), then times the
 * first page (50 rows, with its bounded total) of each list, a deep page, and the overview and coverage counts.
 *
 *   npm run bench:lists                                   # 1,000,000 devices, SQLite
 *   npm run bench:lists -- --devices 200000
 *   npm run bench:lists -- --store postgres://postgres@127.0.0.1:5432/postgres   # also PostgreSQL, same run
 *
 * Each query runs 3 times; the median is reported. The PostgreSQL store is a fresh schema, dropped afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { openStore } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { fillListFleet } from "./list-fleet.ts";

const { values } = parseArgs({ options: { devices: { type: "string", default: "1000000" }, store: { type: "string" } } });
const N = Number(values.devices);
const fill = (store: Store) => fillListFleet(store, N);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
async function time(label: string, fn: () => Promise<unknown>): Promise<[string, number]> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    await fn();
    runs.push(ms(t));
  }
  return [label, runs.sort((a, b) => a - b)[1]!];
}

async function measure(store: Store): Promise<[string, number][]> {
  const l = store.lists;
  const deep = async () => {
    let page = await l.devices({ page_size: 1000, total_cap: 0 });
    for (let i = 0; i < 20 && page.next_page_token; i++) page = await l.devices({ page_size: 1000, total_cap: 0, page_token: page.next_page_token });
    return l.devices({ ...(page.next_page_token ? { page_token: page.next_page_token } : {}), page_size: 1000, total_cap: 0 });
  };
  return [
    await time("devices, first page + total", () => l.devices()),
    await time("devices model=model-0 (common)", () => l.devices({ model_id: "model-0" })),
    await time("devices model=model-11 (rare) + firmware", () => l.devices({ model_id: "model-11", firmware_version: "2.0" })),
    await time("devices country=SE sort country", () => l.devices({ country: "SE", sort: "country" })),
    await time("devices group=site-7 (0.2 %)", () => l.devices({ group: "site-7" })),
    await time("devices provider=KORE", () => l.devices({ provider: "KORE" })),
    await time("devices missing=certificate", () => l.devices({ missing: "certificate" })),
    await time("devices page 22 (keyset, 1000/page)", deep),
    await time("findings, first page (severity) + total", () => l.findings()),
    await time("findings rule=cert-expiring", () => l.findings({ rule: "cert-expiring" })),
    await time("findings device=dev-0000042", () => l.findings({ device_id: "dev-0000042" })),
    await time("findings country=PL (join devices)", () => l.findings({ country: "PL" })),
    await time("findings by rule (scan counts)", () => l.findingGroups()),
    await time("findings by rule, status=new (counted now)", () => l.findingGroups({ status: "new" })),
    await time("alerts, first page + total", () => l.alerts()),
    await time("alerts detector=sim-swap state=open", () => l.alerts({ detector: "sim-swap", state: "open" })),
    await time("alerts severity≥high, last 7 days", () => l.alerts({ severity: "high", since: "2026-11-25T00:00:00Z" })),
    await time("overview counts", () => l.overview()),
    await time("coverage counts", () => l.coverage()),
  ];
}

const results = new Map<string, [string, number][]>();
const fills = new Map<string, number>();
const dir = mkdtempSync(join(tmpdir(), "lw-bench-lists-"));
try {
  const sqlite = await openStore(`sqlite:${join(dir, "longwatch.db")}`);
  fills.set("SQLite", await fill(sqlite));
  results.set("SQLite", await measure(sqlite));
  await sqlite.close();
  if (values.store) {
    const schema = `bench_lists_${process.pid}`;
    const store = await openStore(`${values.store}?schema=${schema}`);
    try {
      fills.set("PostgreSQL", await fill(store));
      const c = new pg.Client({ connectionString: values.store });
      await c.connect();
      for (const t of ["devices", "findings", "alerts", "credentials"]) await c.query(`ANALYZE ${schema}.${t}`);
      await c.end();
      results.set("PostgreSQL", await measure(store));
    } finally {
      await store.close();
      const c = new pg.Client({ connectionString: values.store });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const names = [...results.keys()];
console.log(`\n${N.toLocaleString("en-US")} devices; fill ${names.map((n) => `${n} ${fills.get(n)!.toFixed(0)} s`).join(", ")}; ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log(`| query (median of 3) | ${names.join(" ms | ")} ms |`);
console.log(`|---|${names.map(() => "---:").join("|")}|`);
for (let i = 0; i < results.get(names[0]!)!.length; i++) console.log(`| ${results.get(names[0]!)![i]![0]} | ${names.map((n) => results.get(n)![i]![1].toFixed(1)).join(" | ")} |`);
