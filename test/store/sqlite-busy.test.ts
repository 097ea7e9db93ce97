/**
 * Two connections to one SQLite file, as the service and its scan job's worker thread: while one holds the write
 * lock, the other's writes (single calls and transactions) wait for it without blocking the event loop, its reads go
 * on meanwhile, and the writes land once the lock is free; a lock held past the busy timeout still ends in
 * `store_unavailable`. (SQLite's own busy wait sleeps in the calling thread: the whole service froze for the scan.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { tmpDir } from "../helpers/tmp.ts";

const AT = "2026-03-01T10:00:00Z";

/** Starts a transaction on `store` that holds the write lock until `release` is called. */
async function holdWriteLock(store: ReturnType<typeof openSqliteStore>) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = store.transaction(async (tx) => {
    await tx.alerts.upsert([sampleAlert({ id: "al-scan" })], AT);
    locked();
    await held;
  });
  await isLocked;
  return { release, done };
}

describe("SQLite: waiting for another connection's write lock", () => {
  const t = tmpDir();
  const file = join(t.dir, "lw.db");
  const scan = openSqliteStore(file);
  const service = openSqliteStore(file, undefined, { busyTimeoutMs: 10_000 });
  after(async () => {
    await service.close();
    await scan.close();
  });

  it("waits on timers: the event loop stays free, reads go on, the writes land when the lock is released", async () => {
    const lock = await holdWriteLock(scan);
    let beat: NodeJS.Timeout | undefined;
    // An assertion failing before the lock is released would leave after() waiting on store.close() for ever.
    try {
      const gaps: number[] = [];
      let last = performance.now();
      beat = setInterval(() => {
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }, 10);
      const t0 = performance.now();
      const single = service.alerts.upsert([sampleAlert({ id: "al-api-1" })], AT).then(() => performance.now() - t0);
      const inTx = service.transaction((tx) => tx.alerts.upsert([sampleAlert({ id: "al-api-2" })], AT)).then(() => performance.now() - t0);
      const r0 = performance.now();
      const read = await service.alerts.list({ limit: 10 });
      const readMs = performance.now() - r0;
      assert.deepEqual(read.map((a) => a.id), [], "the other connection's uncommitted write is not seen");
      assert.ok(readMs < 500, `a read waited ${readMs.toFixed(0)} ms behind the waiting writes`);
      setTimeout(lock.release, 800);
      const [singleMs, txMs] = await Promise.all([single, inTx, lock.done]);
      clearInterval(beat);
      assert.ok(singleMs! >= 700 && txMs! >= 700, `the writes waited for the lock (${singleMs!.toFixed(0)} ms, ${txMs!.toFixed(0)} ms)`);
      const worst = Math.max(...gaps);
      assert.ok(worst < 400, `the event loop was blocked for ${worst.toFixed(0)} ms`);
      assert.deepEqual((await service.alerts.list({ limit: 10 })).map((a) => a.id).sort(), ["al-api-1", "al-api-2", "al-scan"]);
    } finally {
      clearInterval(beat);
      lock.release();
      await lock.done;
    }
  });

  it("gives up with store_unavailable when the lock is held past the busy timeout", async () => {
    const impatient = openSqliteStore(file, undefined, { busyTimeoutMs: 300 });
    after(() => impatient.close());
    const lock = await holdWriteLock(scan);
    try {
      await assert.rejects(impatient.alerts.upsert([sampleAlert({ id: "al-late" })], AT), (e: { code?: string; message: string }) => e.code === "store_unavailable" && /locked by another process/.test(e.message));
      await assert.rejects(impatient.transaction((tx) => tx.alerts.upsert([sampleAlert({ id: "al-late" })], AT)), { code: "store_unavailable" });
    } finally {
      lock.release();
      await lock.done;
    }
  });
});
