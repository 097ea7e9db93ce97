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
import type { Finding } from "../src/core/finding.ts";
import type { Alert } from "../src/core/record.ts";
import { rng } from "../src/core/random.ts";
import { openStore } from "../src/store/open.ts";
import { serializeDevice, type Store } from "../src/store/store.ts";

const { values } = parseArgs({ options: { devices: { type: "string", default: "1000000" }, store: { type: "string" } } });
const N = Number(values.devices);
const MODELS = Array.from({ length: 12 }, (_, i) => `model-${i}`);
const COUNTRIES = ["DE", "FR", "NL", "PL", "ES", "IT", "SE", "AT", "GB", "US"];
const PROVIDERS = ["1NCE", "emnify", "KORE", "Twilio"];

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

async function fill(store: Store): Promise<number> {
  const t = Date.now();
  const r = rng(1);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  await store.transaction(async (tx) => {
    const run = await tx.fleet.startImport("bench");
    let batch = [];
    for (let i = 0; i < N; i++) {
      const model = MODELS[Math.min(MODELS.length - 1, Math.floor(-Math.log(1 - r() * 0.999) * 3))]!;
      batch.push(serializeDevice({ device_id: `dev-${String(i).padStart(7, "0")}`, model_id: model, firmware_version: `${1 + Math.floor(r() * 4)}.0`, country: pick(COUNTRIES), groups: [`site-${Math.floor(r() * 500)}`], sim_provider: pick(PROVIDERS), ...(i % 10 === 0 ? { cert_fingerprint: `fp-${i}` } : {}) }, i + 2));
      if (batch.length === 5000) {
        await tx.fleet.upsertDevices(run, batch);
        batch = [];
      }
    }
    if (batch.length) await tx.fleet.upsertDevices(run, batch);
    await tx.fleet.finishImport(run);
  });
  // About 0.6 findings per device, as the 1,000,000-device scan bench produces, plus one group finding per model.
  await store.transaction(async (tx) => {
    const rules = ["default-password", "sim-no-imei-lock", "insecure-service", "cert-expiring", "stale-firmware", "support-ended"];
    const scan = await tx.findings.beginScan("2026-12-01T00:00:00Z", rules);
    const sev = ["critical", "high", "medium", "low", "info"] as const;
    let batch: Finding[] = [];
    for (let i = 0; i < N; i++) {
      if (r() > 0.6) continue;
      const rule = rules[Math.floor(r() * 4)]!;
      const id = `dev-${String(i).padStart(7, "0")}`;
      batch.push({ rule, severity: sev[rules.indexOf(rule)]!, device_id: id, title: `${rule} on ${id}`, evidence: { n: i }, standards: ["ETSI-EN-303-645:5.1-1"], fingerprint: `${rule}:${id}`, status: "new" });
      if (batch.length === 5000) {
        await tx.findings.record(scan, batch);
        batch = [];
      }
    }
    await tx.findings.record(scan, batch);
    // Model-wide findings list their devices (like stale-firmware and support-ended do).
    for (const m of MODELS.slice(8)) {
      const devices = (await tx.lists.devices({ model_id: m, page_size: 1000, total_cap: 0 })).items.map((d) => d.device_id);
      await tx.findings.record(scan, [{ rule: "support-ended", severity: "high", model_id: m, devices, title: `${m} support ended`, evidence: {}, standards: [], fingerprint: `se:${m}`, status: "new" }]);
    }
    await tx.findings.finishScan(scan, "2026-12-01T00:10:00Z", {});
  });
  const alerts: Alert[] = Array.from({ length: 100_000 }, (_, i) => ({
    id: `al-${i}`, detector: (["beaconing", "volume-anomaly", "new-destination", "sim-swap"] as const)[i % 4]!, device_id: `dev-${String(Math.floor(r() * N)).padStart(7, "0")}`, key: "k",
    severity: (["critical", "high", "medium", "low"] as const)[i % 4]!, confidence: 0.9, first_seen: new Date(Date.UTC(2026, 10, 1) + i * 20_000).toISOString(), last_seen: new Date(Date.UTC(2026, 10, 1) + i * 25_000).toISOString(),
    count: 1, summary: "s", action: "a", evidence: {}, state: i % 3 ? "open" : "acknowledged", verification: "unknown",
  }));
  for (let i = 0; i < alerts.length; i += 5000) await store.alerts.upsert(alerts.slice(i, i + 5000), "2026-12-01T00:00:00Z");
  return (Date.now() - t) / 1000;
}

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
