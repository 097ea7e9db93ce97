/**
 * A scan job of a real `longwatch serve` killed with SIGKILL mid-way, on SQLite and on PostgreSQL, at 50,000 devices:
 * its committed batches are seen by no reader (the previous scan stays the latest, the API lists and serves it), and
 * after a restart the next scan job takes the dead process's turn at once and removes them.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import pg from "pg";
import { allRules } from "../../src/audit/rules/index.ts";
import { runScan } from "../../src/audit/scan.ts";
import type { Finding } from "../../src/core/finding.ts";
import { keyedDigester, loadSecretKey } from "../../src/inventory/secrets.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { writeFleet } from "../helpers/scan-fleet.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { startServe, until } from "./support/serve-child.ts";

const DEVICES = 50_000;
const NOW = Date.parse("2026-11-25T12:00:00Z");
const pgMissing = await postgresAvailable();

async function fingerprints(store: Store): Promise<string[]> {
  const out: Finding[] = [];
  for await (const page of store.findings.current()) out.push(...page);
  return out.map((f) => `${f.fingerprint} ${f.status === "new" || f.status === "unchanged" ? "open" : f.status}`).sort();
}

interface Raw {
  unfinishedRows(): Promise<number>;
  unfinishedScans(): Promise<number>;
  close(): Promise<void>;
}

const UNFINISHED_ROWS = "SELECT COUNT(*) AS n FROM findings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)";
const UNFINISHED_SCANS = "SELECT COUNT(*) AS n FROM scans WHERE finished_at IS NULL";

function sqliteRaw(file: string): Raw {
  const db = new Database(file, { readonly: true });
  return {
    unfinishedRows: () => Promise.resolve(db.prepare(UNFINISHED_ROWS).pluck().get() as number),
    unfinishedScans: () => Promise.resolve(db.prepare(UNFINISHED_SCANS).pluck().get() as number),
    close: () => Promise.resolve(void db.close()),
  };
}

async function pgRaw(url: string): Promise<Raw> {
  const c = new pg.Client({ connectionString: url });
  // The database is dropped (its connections ended by force) after the file.
  c.on("error", () => undefined);
  await c.connect();
  const count = async (sql: string) => Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
  return { unfinishedRows: () => count(UNFINISHED_ROWS), unfinishedScans: () => count(UNFINISHED_SCANS), close: () => c.end() };
}

async function killedMidScan(t: { diagnostic(m: string): void }, url: string, raw: () => Promise<Raw>, dir: string) {
  const fleet = writeFleet(dir, DEVICES);
  const key = keyedDigester(loadSecretKey(dir));
  let store = await openStore(url);
  let t0 = performance.now();
  // The CLI's kind of first scan: the import and the scan in one transaction.
  await runScan({ store, rules: allRules, now: NOW, keyedDigest: key, onIssue: () => undefined, ...fleet });
  const first = (await store.findings.latestScan())!;
  const before = await fingerprints(store);
  await store.close();
  t.diagnostic(`first scan of ${DEVICES} devices ${(performance.now() - t0).toFixed(0)} ms, ${before.length} findings`);
  const r = await raw();

  const config = join(dir, "longwatch.yaml");
  writeFileSync(config, "audit:\n  every_minutes: 0\n  on_inventory_change: false\n");
  let svc = await startServe(dir, url, ["--config", config]);
  after(() => svc.kill9());
  const token = svc.adminToken!;
  const api = (s: { url: string }, path: string, init: RequestInit = {}) => fetch(`${s.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });
  const startJob = async () => {
    const res = await api(svc, "/api/v1/scans", { method: "POST", body: "{}" });
    const text = await res.text();
    assert.ok(res.status === 202 || res.status === 200, text);
    return (JSON.parse(text) as { id: string }).id;
  };

  // A job, killed once its batches are committed and before it finishes.
  t0 = performance.now();
  const id = await startJob();
  const deadline = Date.now() + 120_000;
  let job: { state: string; phase?: string; done: number } = { state: "running", done: 0 };
  while ((await r.unfinishedRows()) < 10_000) {
    job = (await (await api(svc, `/api/v1/scan-jobs/${id}`)).json()) as typeof job;
    assert.equal(job.state, "running", `the job ended before it was killed: ${JSON.stringify(job)}`);
    assert.ok(Date.now() < deadline, "the job never committed a batch");
    await sleep(20);
  }
  await svc.kill9();
  const left = await r.unfinishedRows();
  t.diagnostic(`killed ${(performance.now() - t0).toFixed(0)} ms into the job (${job.phase} ${job.done}), ${left} rows of it committed`);
  assert.ok(left > 0);
  store = await openStore(url);
  assert.equal((await store.findings.latestScan())!.id, first.id, "the killed scan is not the latest");
  assert.deepEqual(await fingerprints(store), before, "readers see the previous scan's findings, none of the killed one's");
  await store.close();

  // Restarted, the service serves the previous scan; its next job removes the killed one's rows and finishes.
  svc = await startServe(dir, url, ["--config", config]);
  const latest = (await (await api(svc, "/api/v1/scans/latest")).json()) as { id: number };
  assert.equal(latest.id, first.id);
  t0 = performance.now();
  const again = await startJob();
  let done: { state: string; result?: { scan_id: number }; error?: unknown } = { state: "running" };
  await until(async () => {
    done = (await (await api(svc, `/api/v1/scan-jobs/${again}`)).json()) as typeof done;
    return done.state !== "running";
  }, 180_000, "the next scan job finished");
  assert.equal(done.state, "succeeded", JSON.stringify(done.error));
  t.diagnostic(`the next job ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(await r.unfinishedRows(), 0, "the killed scan's rows were removed");
  assert.equal(await r.unfinishedScans(), 0);
  assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
  store = await openStore(url);
  assert.equal((await store.findings.latestScan())!.id, done.result!.scan_id);
  assert.deepEqual(await fingerprints(store), before, "the same fleet: the same findings, none new or fixed");
  await store.close();
  await r.close();
}

describe("a scan job killed mid-way by kill -9 of the service", () => {
  it("SQLite: nothing of it is seen, and the next job cleans up", async (t) => {
    const tmp = tmpDir();
    const file = join(tmp.dir, "longwatch.db");
    await killedMidScan(t, `sqlite:${file}`, () => Promise.resolve(sqliteRaw(file)), tmp.dir);
  });

  it("PostgreSQL: nothing of it is seen, and the next job cleans up", { skip: pgMissing }, async (t) => {
    const tmp = tmpDir();
    const url = await throwawayDatabase();
    await killedMidScan(t, url, () => pgRaw(url), tmp.dir);
  });
});
