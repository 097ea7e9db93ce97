/**
 * Detection state and alerts are one unit (issue 18 items 1 and 6): a locked store never leads to a rerun that reports
 * success with the alerts lost; the state is one file, refused when cut or changed; it is written and read in chunks;
 * the memory estimate speaks up before the work when the fleet's state will not fit.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { createColors } from "picocolors";
import { summarizeRun } from "../../src/cli/detect-summary.ts";
import { LongwatchError } from "../../src/core/errors.ts";
import { readInventoryFiles } from "../../src/detect/inventory.ts";
import { memoryWarning } from "../../src/detect/memory.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { simulate } from "../../src/detect/simulate/index.ts";
import { loadSnapshot, STATE_FILE } from "../../src/detect/snapshot.ts";
import { detectWithStore } from "../../src/detect/stored-run.ts";
import { Engine } from "../../src/detect/engine.ts";
import { selectDetectors } from "../../src/detect/run.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { tmpDir } from "../helpers/tmp.ts";

const NOW = Date.UTC(2026, 10, 4);

async function fleet(dir: string) {
  const sim = simulate({ dir, devices: 30, hours: 30, scenarios: ["brute-force", "roaming"], seed: 3, format: "csv" });
  assert.ok(sim.truth.length > 0);
  const files = ["connectivity", "flows", "broker", "metrics"].map((f) => join(dir, "records", `${f}.csv`));
  const inventory = await readInventoryFiles(join(dir, "devices.csv"), join(dir, "models.yaml"), () => {});
  return { files, inventory };
}

describe("detection state and alerts commit together", () => {
  it("a locked store fails the run, and the rerun stores every alert of it (exit 0 only once they are in)", async () => {
    const tmp = tmpDir();
    const { files, inventory } = await fleet(join(tmp.dir, "sim"));
    const reference = loadReference({});
    const base = { files, inventory, now: NOW, reference, at: new Date(NOW).toISOString(), onReject: () => {} };
    // The same run on a fresh store, uninterrupted: what must end up in the store.
    const clean = openSqliteStore(join(tmp.dir, "clean.db"));
    const want = await detectWithStore({ ...base, store: clean, stateDir: join(tmp.dir, "state-clean") });
    await clean.close();
    assert.ok(want.alerts.length > 0, "the simulated attacks raise alerts");

    const file = join(tmp.dir, "locked.db");
    const store = openSqliteStore(file, undefined, { busyTimeoutMs: 100 });
    const state = join(tmp.dir, "state");
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE"); // another process holds the write lock through the whole run
    try {
      await assert.rejects(
        detectWithStore({ ...base, store, stateDir: state }),
        (e: unknown) => e instanceof LongwatchError && e.code === "store_unavailable" && /alerts of this run were not stored; they are kept with the state/.test(e.message),
      );
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    assert.equal((await store.alerts.list({ limit: 100_000 })).length, 0);
    assert.deepEqual(readdirSync(state).sort(), [STATE_FILE], "one file; no stored mark");

    // The rerun skips the records the state has seen, but stores the alerts the failed run could not.
    const again = await detectWithStore({ ...base, store, stateDir: state });
    assert.equal(again.replay.read > 0, true);
    assert.equal(again.carried, want.alerts.length);
    const summary = summarizeRun(again, files, new Map(), undefined, state, createColors(false));
    assert.match(summary, new RegExp(`Alerts: ${want.alerts.length}\\b`));
    assert.match(summary, new RegExp(`${want.alerts.length} of these alerts were raised by an earlier run that could not store them; they are stored now`));
    const stored = await store.alerts.list({ limit: 100_000 });
    assert.deepEqual(stored.map((a) => a.id).sort(), want.alerts.map((a) => a.id).sort());
    // Stored once: a third run carries nothing more.
    const third = await detectWithStore({ ...base, store, stateDir: state });
    assert.equal(third.carried, 0);
    assert.equal(third.alerts.length, 0);
    await store.close();
  });

  it("the state is one file refused when cut or changed, with the file and why; a leftover temporary file is ignored", async () => {
    const tmp = tmpDir();
    const { files, inventory } = await fleet(join(tmp.dir, "sim"));
    const state = join(tmp.dir, "state");
    const r = runDetection({ files, inventory, now: NOW, stateDir: state, onReject: () => {} });
    assert.ok(r.savedBytes! > 0);
    assert.equal(statSync(join(state, STATE_FILE)).size, r.savedBytes);
    assert.equal(statSync(join(state, STATE_FILE)).mode & 0o777, 0o600);
    const good = readFileSync(join(state, STATE_FILE));
    const fresh = () => new Engine({ detectors: selectDetectors(undefined), sink: () => {} });
    writeFileSync(join(state, `${STATE_FILE}.tmp`), good.subarray(0, 100)); // a crash mid-save
    assert.equal(loadSnapshot(fresh(), state), undefined);

    const flipped = Buffer.from(good);
    flipped[flipped.length - 20]! ^= 0x40; // inside the last part
    writeFileSync(join(state, STATE_FILE), flipped);
    assert.throws(() => loadSnapshot(fresh(), state), (e: unknown) => e instanceof LongwatchError && e.code === "state_invalid" && /state\.lwst: its checksum does not match/.test(e.message));
    writeFileSync(join(state, STATE_FILE), good.subarray(0, good.length - 10));
    assert.throws(() => loadSnapshot(fresh(), state), /state\.lwst: the stream ended early/);
    const other = Buffer.from(good);
    other.writeUInt32LE(99, 4);
    writeFileSync(join(state, STATE_FILE), other);
    assert.throws(() => loadSnapshot(fresh(), state), /version 99; this Longwatch reads version 3/);
  });

  it("streams the state: read back in small chunks, a run continued from it gives the uninterrupted run's alerts", async () => {
    const tmp = tmpDir();
    const { files, inventory } = await fleet(join(tmp.dir, "sim"));
    const reference = loadReference({});
    const whole = runDetection({ files, inventory, now: NOW, reference, onReject: () => {} });
    // First half, save, then the rest from the saved state.
    const cut = Date.UTC(2026, 10, 2, 20);
    const state = join(tmp.dir, "state");
    const first = runDetection({ files, inventory, now: NOW, reference, until: cut, stateDir: state, onReject: () => {} });
    const engine = new Engine({ detectors: selectDetectors(undefined), sink: () => {}, clock: () => NOW, reference });
    loadSnapshot(engine, state, { readChunk: 4093 }); // an odd size, so every part and the header straddle reads
    assert.equal(engine.devices(), first.engine.devices());
    assert.deepEqual(engine.columns.save(engine.devices()).map((c) => Buffer.from(c.bytes).toString("base64")), first.engine.columns.save(first.engine.devices()).map((c) => Buffer.from(c.bytes).toString("base64")));
    const second = runDetection({ files, inventory, now: NOW, reference, stateDir: state, onReject: () => {} });
    assert.ok(second.restored);
    const ids = new Set([...first.alerts, ...second.alerts].map((a) => a.id));
    assert.deepEqual([...ids].sort(), whole.alerts.map((a) => a.id).sort());
    assert.ok(!existsSync(join(state, "state.bin")));
  });

  it("says before the replay when the fleet's state will not fit in memory", async () => {
    assert.equal(memoryWarning(1000, 400, 8 * 2 ** 30), undefined);
    const m = memoryWarning(7_000_000, 400, 4 * 2 ** 30)!;
    assert.match(m, /detection state for 7,000,000 devices needs about 5\.2 GiB of memory \(400 bytes per device.*about 4\.0 GiB is available/);
    const tmp = tmpDir();
    const { files, inventory } = await fleet(join(tmp.dir, "sim"));
    const warnings: string[] = [];
    runDetection({ files, inventory, now: NOW, memoryAvailable: 1000, warn: (w) => warnings.push(w), onReject: () => {} });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /detection state for 30 devices needs about/);
  });
});
