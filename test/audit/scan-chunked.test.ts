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

/** A statement one of the store's write transactions (BEGIN IMMEDIATE … COMMIT on its connection) ran, the rows it changed and those it returned. */
type TxStatement = { sql: string; changes: number; rows: number };

/**
 * Records, in this process, every statement each write transaction runs on any better-sqlite3 connection: it wraps
 * the real Statement and Database methods (the statements still run, on the real store), so a test can tell what the
 * scan's transactions did while they held SQLite's write lock.
 */
function recordWriteTransactions(): { transactions: TxStatement[][]; stop: () => void } {
  const transactions: TxStatement[][] = [];
  const open = new WeakMap<Database.Database, TxStatement[]>();
  const probe = new Database(":memory:");
  const statement = Object.getPrototypeOf(probe.prepare("SELECT 1")) as Record<string, unknown>;
  probe.close();
  const database = Database.prototype as unknown as Record<string, unknown>;
  const saved: [Record<string, unknown>, string, unknown][] = [];
  const wrap = (proto: Record<string, unknown>, name: string, around: (self: never, args: unknown[], call: () => unknown) => unknown) => {
    const original = proto[name] as (...a: unknown[]) => unknown;
    saved.push([proto, name, original]);
    proto[name] = function (this: never, ...args: unknown[]) {
      return around(this, args, () => original.apply(this, args));
    };
  };
  for (const name of ["run", "get", "all", "iterate"]) {
    wrap(statement, name, (self: { source: string; database: Database.Database }, _args, call) => {
      const out = call();
      const changes = name === "run" ? (out as Database.RunResult).changes : 0;
      open.get(self.database)?.push({ sql: self.source, changes, rows: name === "all" ? (out as unknown[]).length : name === "get" && out !== undefined ? 1 : 0 });
      return out;
    });
  }
  wrap(database, "exec", (self: Database.Database, [sql], call) => {
    const text = String(sql).trim().toUpperCase();
    if (text === "BEGIN IMMEDIATE") {
      const tx: TxStatement[] = [];
      transactions.push(tx);
      open.set(self, tx);
    } else if (text === "COMMIT" || text === "ROLLBACK") open.delete(self);
    return call();
  });
  return { transactions, stop: () => saved.reverse().forEach(([proto, name, original]) => (proto[name] = original)) };
}

/** A statement that reads or writes findings rows. */
const touchesFindings = (sql: string) => /\b(FROM|INTO|UPDATE)\s+findings\b/i.test(sql);
/** Rows per transaction of a chunked scan (ROWS in audit/scan-chunked.ts). */
const BATCH = 2000;

describe("the transactions of a scan on SQLite write a batch each and count nothing", () => {
  const SMALL = 3000;
  const t = tmpDir();
  const file = join(t.dir, "longwatch.db");
  const url = `sqlite:${file}`;
  let store: Store;

  before(async () => {
    store = await openStore(url);
    await runScan({ store, rules: allRules, now: NOW, keyedDigest: keyedDigester(loadSecretKey(t.dir)), onIssue: () => undefined, ...writeFleet(t.dir, SMALL) });
  });
  after(async () => {
    await store?.close();
  });

  it("begin and finish read no findings under the write lock, the fixed step reads only what it fixes, and no transaction writes more than a batch", async () => {
    const before = (await store.findings.latestScan())!;
    // The scan leaves out the rule with the most findings, so its findings are carried forward (more than a batch: one per device).
    const raw = new Database(file, { readonly: true });
    const [skip, carried] = raw.prepare("SELECT rule, COUNT(*) FROM findings WHERE scan_id = ? GROUP BY rule ORDER BY 2 DESC LIMIT 1").raw().get(before.id) as [string, number];
    assert.ok(carried > BATCH + 500, `findings to carry forward: ${carried}`);
    // Each transaction of the service's kind of scan, statement by statement. Nothing else writes meanwhile.
    const trace = recordWriteTransactions();
    let outcome: Awaited<ReturnType<typeof runScan>>;
    try {
      const rules = allRules.filter((r) => r.id !== skip);
      outcome = await runScan({ store, rules, now: NOW, keyedDigest: keyedDigester(loadSecretKey(t.dir)), onIssue: () => undefined, chunked: true });
    } finally {
      trace.stop();
    }
    assert.ok(!outcome.stopped);
    const latest = (await store.findings.latestScan())!;
    assert.equal(latest.id, outcome.audit.scanId);
    assert.ok(latest.id > before.id);
    assert.equal(raw.prepare("SELECT COUNT(*) FROM findings WHERE scan_id = ? AND rule = ?").pluck().get(latest.id, skip), carried, "the left-out rule's findings were carried forward");
    const fixed = raw.prepare("SELECT COUNT(*) FROM findings WHERE scan_id = ? AND status = 'fixed'").pluck().get(latest.id) as number;
    raw.close();
    const txs = trace.transactions;
    const sum = (tx: TxStatement[]) => tx.reduce((n, s) => n + s.changes, 0);
    const show = (tx: TxStatement[]) => tx.filter((s) => touchesFindings(s.sql)).map((s) => s.sql.replace(/\s+/g, " ").slice(0, 100));
    const begins = txs.filter((tx) => tx.some((s) => /^\s*INSERT INTO scans\b/i.test(s.sql)));
    const finishes = txs.filter((tx) => tx.some((s) => /UPDATE scans SET finished_at/i.test(s.sql)));
    assert.equal(begins.length, 1, "one transaction begins the scan");
    assert.equal(finishes.length, 1, "one transaction finishes the scan");
    // The previous scan's open findings are read from the snapshot: the begin touches findings only to remove a
    // crashed scan's rows (by scan, none here) and to read the next row id.
    const beginReads = begins[0]!.filter((s) => touchesFindings(s.sql) && !/^\s*DELETE FROM findings WHERE scan_id IN/i.test(s.sql) && !/SELECT MAX\(id\) AS m FROM findings/i.test(s.sql));
    assert.deepEqual(show(beginReads), [], "the begin reads the previous scan's findings under the write lock");
    // The finish writes the counts read ahead, the scan's row and the forecast, and touches no findings row: the old
    // finish counted them there (INSERT INTO scan_rules … SELECT … FROM findings) and wrote the fixed and carried rows.
    assert.deepEqual(show(finishes[0]!), [], "the finish touches findings under the write lock");
    // The finish reads the rows of the leftover findings it fixes, not those of the left-out rule (carried forward).
    const fixedRead = txs.flat().filter((s) => /^\s*SELECT \* FROM findings WHERE id IN/i.test(s.sql));
    assert.equal(fixedRead.reduce((n, s) => n + s.rows, 0), fixed, `findings rows read to be fixed (${fixed} fixed)`);
    // Every transaction of the scan changes at most a batch (ROWS in scan-chunked.ts) and a few rows more.
    const most = Math.max(...txs.map(sum));
    assert.ok(most <= BATCH + 100, `the largest of the scan's ${txs.length} transactions changed ${most} rows`);
  });
});
