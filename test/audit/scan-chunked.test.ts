/**
 * A scan job on SQLite writes its findings in short transactions (audit/scan-chunked.ts), so live ingest's commits
 * do not wait for a large scan (issue 12; bench/RESULTS.md "The event loop during a scan job": alerts p99 17.7 s
 * late while a 100,000-device job held the write lock). Before, the job was one transaction: a checkpoint's write
 * waited for all of it. Readers never see the unfinished scan, and a scan killed mid-way leaves the previous one
 * as the latest until the next scan removes its rows.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { allRules } from "../../src/audit/rules/index.ts";
import { runScan } from "../../src/audit/scan.ts";
import type { Finding } from "../../src/core/finding.ts";
import { keyedDigester, loadSecretKey } from "../../src/inventory/secrets.ts";
import { ScanJobs } from "../../src/serve/jobs/scans.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { readScanCounts } from "../../src/store/list-sql.ts";
import { sqliteListDialect, sqliteRun } from "../../src/store/sqlite/lists.ts";
import { alert } from "../store/contract/alerts.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { writeFleet } from "../helpers/scan-fleet.ts";

const DEVICES = 6000;
const NOW = Date.parse("2026-11-25T12:00:00Z");
const TSX = import.meta.resolve("tsx");
const CHILD = join(import.meta.dirname, "../helpers/scan-child.ts");

async function currentFindings(store: Store): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const page of store.findings.current()) out.push(...page);
  return out;
}

describe("a scan job on SQLite writes in short transactions", () => {
  const t = tmpDir();
  const file = join(t.dir, "longwatch.db");
  const url = `sqlite:${file}`;
  let store: Store;
  let raw: Database.Database;
  let first: { id: number; findings: number };
  /** Rows of scans that have not finished, as stored (what no reader of the store may see). */
  const unfinishedRows = () => raw.prepare("SELECT COUNT(*) FROM findings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)").pluck().get() as number;

  before(async () => {
    store = await openStore(url);
    // The CLI's scan with files: the import and the first scan in one transaction.
    await runScan({ store, rules: allRules, now: NOW, keyedDigest: keyedDigester(loadSecretKey(t.dir)), onIssue: () => undefined, ...writeFleet(t.dir, DEVICES) });
    const latest = (await store.findings.latestScan())!;
    first = { id: latest.id, findings: (await currentFindings(store)).length };
    assert.ok(first.findings > 10_000, `the fleet gives many findings (${first.findings})`);
    raw = new Database(file, { readonly: true });
  });
  after(async () => {
    raw?.close();
    await store?.close();
  });

  it("alert writes commit while the job runs, and readers see only the finished scan", async () => {
    const jobs = new ScanJobs(url, t.dir, () => NOW);
    const job = jobs.start("test", undefined);
    const latencies: number[] = [];
    let sawUnfinished = 0;
    // The scan's part of the job: from its start (the worker's start-up included) to the what-if ranking after it.
    const scanStart = performance.now();
    let scanEnd: number | undefined;
    for (let i = 0; job.state === "running"; i++) {
      if (job.phase === "rank") scanEnd ??= performance.now();
      if (unfinishedRows() > 0) {
        sawUnfinished++;
        // The half-written scan is invisible to every reader.
        assert.equal((await store.findings.latestScan())!.id, first.id);
        assert.equal((await store.lists.scans({ page_size: 10 })).items[0]!.id, first.id);
        if (sawUnfinished % 10 === 1) assert.equal((await currentFindings(store)).length, first.findings);
      }
      // A live checkpoint's kind of write: alerts in a transaction of their own.
      const t0 = performance.now();
      const during = scanEnd === undefined;
      await store.transaction((tx) => tx.alerts.upsert([alert(`a-${i}`)], new Date(NOW).toISOString()));
      if (during) latencies.push(performance.now() - t0);
      await sleep(5);
    }
    await jobs.close();
    assert.equal(job.state, "succeeded", JSON.stringify(job.error));
    const scanMs = (scanEnd ?? performance.now()) - scanStart;
    const worst = Math.max(...latencies);
    assert.ok(worst < scanMs / 3, `the slowest alert write started during the scan took ${worst.toFixed(0)} ms of its ${scanMs.toFixed(0)} ms`);
    assert.ok(latencies.length >= 5, `alert writes while the job scanned: ${latencies.length}`);
    assert.ok(sawUnfinished > 0, "the scan's batches were committed before it finished");
    const latest = (await store.findings.latestScan())!;
    assert.equal(latest.id, job.result!.scan_id);
    assert.equal(unfinishedRows(), 0);
    const now = await currentFindings(store);
    assert.equal(now.length, first.findings);
    assert.ok(now.every((f) => f.status === "unchanged" || f.status === "suppressed"), "the same fleet: every finding seen again");
  });

  it("kill -9 mid-scan leaves the previous scan the latest, and the next scan removes the rows", async () => {
    const before = (await store.findings.latestScan())!;
    const beforeFindings = (await currentFindings(store)).map((f) => f.fingerprint).sort();
    const child = spawn(process.execPath, ["--import", TSX, CHILD, url, t.dir], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, "exit");
    const deadline = Date.now() + 60_000;
    while (unfinishedRows() === 0) {
      assert.ok(child.exitCode === null, `the child ended before it was killed: ${stderr}`);
      assert.ok(Date.now() < deadline, "the child's scan never wrote a batch");
      await sleep(2);
    }
    child.kill("SIGKILL");
    await exited;
    assert.ok(unfinishedRows() > 0, "the killed scan left rows behind");
    assert.equal((await store.findings.latestScan())!.id, before.id);
    assert.deepEqual((await currentFindings(store)).map((f) => f.fingerprint).sort(), beforeFindings);
    // The next scan takes over the dead process's turn at once (not after its lease's minute) and cleans up.
    const t0 = Date.now();
    const outcome = await runScan({ store, rules: allRules, now: NOW, keyedDigest: keyedDigester(loadSecretKey(t.dir)), onIssue: () => undefined, chunked: true });
    assert.ok(Date.now() - t0 < 30_000, `the next scan waited ${Date.now() - t0} ms`);
    assert.ok(!outcome.stopped);
    assert.equal(unfinishedRows(), 0);
    assert.equal(raw.prepare("SELECT COUNT(*) FROM scans WHERE finished_at IS NULL").pluck().get(), 0);
    assert.equal((await store.findings.latestScan())!.id, outcome.audit.scanId);
    assert.deepEqual((await currentFindings(store)).map((f) => f.fingerprint).sort(), beforeFindings);
  });
});

describe("the finish of a large scan on SQLite holds the write lock briefly", () => {
  const LARGE = 50_000;
  const t = tmpDir();
  const file = join(t.dir, "longwatch.db");
  const url = `sqlite:${file}`;
  let store: Store;
  let raw: Database.Database;

  before(async () => {
    store = await openStore(url);
    await runScan({ store, rules: allRules, now: NOW, keyedDigest: keyedDigester(loadSecretKey(t.dir)), onIssue: () => undefined, ...writeFleet(t.dir, LARGE) });
    raw = new Database(file, { readonly: true });
  });
  after(async () => {
    raw?.close();
    await store?.close();
  });

  it("an alert write during a 50,000-device scan waits far less than the finish's counting takes", async () => {
    const before = (await store.findings.latestScan())!;
    // The service's kind of scan in another process, as a scan job's worker thread runs it beside the service.
    const child = spawn(process.execPath, ["--import", TSX, CHILD, url, t.dir], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, "exit");
    const waits: number[] = [];
    for (let i = 0; child.exitCode === null; i++) {
      const t0 = performance.now();
      await store.transaction((tx) => tx.alerts.upsert([alert(`big-${i}`)], new Date(NOW).toISOString()));
      if (child.exitCode === null) waits.push(performance.now() - t0);
      await sleep(5);
    }
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, stderr);
    const latest = (await store.findings.latestScan())!;
    assert.ok(latest.id > before.id, "the scan finished");
    // What the finish used to do while holding the write lock: count the scan's findings for the lists
    // (scan_rules, scan_rule_counts, scan_totals). Timed here as a read on the finished scan's rows, with no
    // writer about, on the same machine at the same time as the waits.
    const c0 = performance.now();
    const counts = await readScanCounts(sqliteListDialect, sqliteRun(raw), { id: latest.id, rules: latest.rules, openBySeverity: {} });
    const countMs = performance.now() - c0;
    assert.ok(counts.rules.length > 0 && counts.cells.length > 0);
    const worst = Math.max(...waits);
    assert.ok(waits.length >= 20, `alert writes during the scan: ${waits.length}`);
    assert.ok(worst < countMs / 2, `the slowest of ${waits.length} alert writes during the scan waited ${worst.toFixed(0)} ms; counting the scan's findings takes ${countMs.toFixed(0)} ms`);
  });
});
