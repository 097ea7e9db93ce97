/**
 * The pipeline's checkpoint is written in steps (serve/pipeline/checkpoint-writer.ts): a state of several MiB goes to
 * the store piece by piece with journal appends and the event loop's other work between the pieces, and only the
 * last step commits it together with its alerts. A failure between the pieces leaves the previous checkpoint whole.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createPipeline, pipelineConfig, type Pipeline } from "../../src/serve/pipeline/index.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { tmpDir } from "../helpers/tmp.ts";

const DEVICES = 10_000;

/** NDJSON of `n` records over DEVICES devices (metrics and connectivity), dated `ts`. */
function body(n: number, ts: number, from = 0): string {
  const t = new Date(ts).toISOString();
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) {
    const d = i % DEVICES;
    lines.push(
      i % 2
        ? `{"ts":"${t}","kind":"metric","device_id":"dev-${d}","metric":"bytes_out","value":${(i % 977) + 100}}`
        : `{"ts":"${t}","kind":"connectivity","device_id":"dev-${d}","event":"session_start","iccid":"894900${String(1e12 + d)}","imei":"3569${String(1e10 + d)}"}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The store, with `live.stageState` failing on the calls `fails` picks (a disk filling up mid-checkpoint). */
function failingStage(store: Store, fails: (call: number) => boolean): Store {
  let calls = 0;
  const live = new Proxy(store.live, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "stageState") return (...args: unknown[]) => (fails(++calls) ? Promise.reject(new Error("disk full")) : (v as (...a: unknown[]) => Promise<void>).apply(target, args));
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "live") return live;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("staged checkpoints", () => {
  const tmp = tmpDir();
  let n = 0;
  const config = () => pipelineConfig({ detection: { hold_ms: 0 }, checkpoint: { interval_s: 3600 }, audit: { every_minutes: 0, on_inventory_change: false } });
  const url = () => `sqlite:${join(tmp.dir, `store-${++n}.db`)}`;

  async function filled(store: Store): Promise<{ p: Pipeline; records: number }> {
    const p = createPipeline({ store, config: config(), sources: false });
    await p.start();
    const now = Date.now() - 60_000;
    let records = 0;
    for (let b = 0; b < 4; b++) records += (await p.ingest(body(10_000, now + b * 1000, b * 10_000), "ndjson")).accepted;
    assert.equal(records, 40_000);
    return { p, records };
  }

  it("writes a state of several MiB in pieces while bodies keep being journaled and timers keep firing", async () => {
    const where = url();
    const store = await openStore(where);
    const { p, records } = await filled(store);
    const order: string[] = [];
    const cp = p.checkpoint().then(() => order.push("checkpoint"));
    const late = p.ingest(body(10, Date.now() - 1000, 50_000), "ndjson").then(() => order.push("body"));
    const timer = new Promise<void>((r) => setTimeout(r, 0)).then(() => order.push("timer"));
    await Promise.all([cp, late, timer]);
    const m = p.metrics();
    assert.ok(m.checkpoint.bytes > 3 * 2 ** 20, `the state is ${m.checkpoint.bytes} bytes: too small to need pieces`);
    // Written whole in one step, the checkpoint would finish before the body behind it and before the timer.
    assert.deepEqual(order.slice(0, 2).sort(), ["body", "timer"], order.join(" → "));
    assert.equal(order[2], "checkpoint");
    await p.stop();
    await store.close();

    // The committed state restores: detection carries on with every record, nothing replayed twice.
    const again = await openStore(where);
    const q = createPipeline({ store: again, config: config(), sources: false });
    await q.start();
    assert.equal(q.metrics().journal.replayed_on_start, 0);
    assert.equal(q.metrics().detection_records, records + 10);
    await q.stop();
    await again.close();
  });

  it("a checkpoint that fails between its pieces leaves the last one whole; the next one succeeds", async () => {
    const where = url();
    const real = await openStore(where);
    let seen = 0;
    let failAt = -1;
    const store = failingStage(real, (call) => (seen = call) === failAt);
    const { p, records } = await filled(store);
    await p.checkpoint();
    const first = (await real.live.loadCheckpoint("default"))!;
    await p.ingest(body(100, Date.now() - 1000, 60_000), "ndjson");
    // The second piece of the next checkpoint fails: its first piece is staged already.
    failAt = seen + 2;
    await assert.rejects(p.checkpoint(), /disk full/);
    assert.equal(seen, failAt);
    assert.equal(p.metrics().checkpoint.errors, 1);
    const still = (await real.live.loadCheckpoint("default"))!;
    assert.equal(still.seq, first.seq);
    assert.equal(still.saved_at, first.saved_at);
    // The journal after it is still there for a restart.
    let journaled = 0;
    for await (const page of real.live.journal("default", first.seq)) journaled += page.length;
    assert.equal(journaled, 1);
    // The next checkpoint clears what the failed one staged and commits.
    await p.checkpoint();
    assert.equal(p.metrics().checkpoint.errors, 1);
    assert.ok((await real.live.loadCheckpoint("default"))!.seq > first.seq);
    await p.stop();
    // After the commit, the journal it covers is pruned in steps: none is left once the writer is done.
    let left = 0;
    for await (const page of real.live.journal("default", 0)) left += page.length;
    assert.equal(left, 0);
    await real.close();
    const again = await openStore(where);
    const q = createPipeline({ store: again, config: config(), sources: false });
    await q.start();
    assert.equal(q.metrics().detection_records, records + 100);
    await q.stop();
    await again.close();
  });
});
