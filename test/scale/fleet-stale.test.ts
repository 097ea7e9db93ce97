/**
 * A fleet-stage checkpoint that does not fit the fleet stage it would be restored into is refused, not half-restored
 * (docs/scale.md, "What waits, and what remains"): one from before the two-stage design (the fleet-wide detectors
 * run over records, no queued facts: detect/live.ts), and one for another partition count (the stream re-created
 * while the store kept its checkpoints: fleet-merge.ts). The worker logs the refusal every round, leaves the stored
 * checkpoint as it is, lets the lease go (worker.ts) and carries on with the partitions; once the fleet stage's rows
 * are deleted, it takes the fleet stage afresh. Real nats-server and PostgreSQL.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type pg from "pg";
import type { NatsConnection } from "@nats-io/transport-node";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { startDetection } from "../../src/detect/live.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { ensureStream, manager, type StreamLayout } from "../../src/scale/nats.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { ScaleWorker } from "../../src/scale/worker.ts";
import { FLEET_UNIT } from "../../src/store/scale.ts";
import type { Store } from "../../src/store/store.ts";
import { sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { postgresAvailable } from "../helpers/postgres.ts";
import { metricRecords, scaleTestbed, until } from "../helpers/scale.ts";
import { tmpDir } from "../helpers/tmp.ts";

const skip = (await sharedNatsMissing()) || (await postgresAvailable());
const T0 = Date.parse("2026-11-20T00:00:00Z");
const DEVICES = Array.from({ length: 30 }, (_, i) => `stale-${i}`);
const reference = skip ? undefined : loadReference({});

async function publish(nc: NatsConnection, layout: StreamLayout, name: string): Promise<number> {
  const file = tmpDir().write(name, metricRecords(DEVICES, T0, 5));
  return (await publishFiles({ files: [file], nc, layout, batch: 20, clock: () => T0 + 86_400_000, onReject: (f, l, why) => assert.fail(`${f}:${l}: ${why}`) })).published;
}

function worker(nc: NatsConnection, store: Store, layout: StreamLayout, logs: string[]): ScaleWorker {
  // Rounds every 500 ms: the refusal is seen again at each.
  return new ScaleWorker({ nc, store, layout, name: "s1", engine: { detectors: allDetectors, reference: reference! }, leaseMs: 1500, checkpointMs: 200, quietMs: 500, settleMs: 0, log: (l) => void logs.push(l) });
}

/** The worker refuses the stored fleet checkpoint round after round and leaves it as it was; its partitions go on. */
async function assertRefused(store: Store, layout: StreamLayout, w: ScaleWorker, logs: string[], published: number, why: RegExp): Promise<void> {
  const stored = (await store.scale.loadCheckpoint(layout.stream, FLEET_UNIT))!;
  const refusals = () => logs.filter((l) => l.startsWith("s1 fleet: could not start:"));
  await until(`the fleet checkpoint refused in two rounds: ${logs.join("\n")}`, () => refusals().length >= 2, 30_000);
  assert.match(refusals()[0]!, why);
  assert.ok(!w.held().includes(FLEET_UNIT), `holds ${w.held().join(" ")}`);
  // Each round takes the lease, refuses and lets it go: wait for a moment between two rounds, not the instant after a log.
  await until("the fleet stage's lease let go", async () => {
    const lease = (await store.scale.leases(layout.stream)).find((l) => l.part === FLEET_UNIT);
    return !lease || lease.expires_at === 0 || lease.owner !== "s1";
  }, 10_000);
  await until("the partitions took every record", async () => (await store.scale.checkpoints(layout.stream)).filter((c) => c.part !== FLEET_UNIT).reduce((n, c) => n + c.records, 0) === published);
  const after = (await store.scale.loadCheckpoint(layout.stream, FLEET_UNIT))!;
  assert.deepEqual([after.seq, after.records, after.saved_at, after.bytes], [stored.seq, stored.records, stored.saved_at, stored.bytes], "the stored fleet checkpoint left as it was");
}

/** Deleting the fleet stage's rows (docs/scale.md) lets the worker start it afresh. */
async function assertStartsOver(admin: pg.Client, schema: string, layout: StreamLayout, w: ScaleWorker, logs: string[]): Promise<void> {
  await admin.query(`DELETE FROM ${schema}.scale_state_chunks WHERE stream = $1 AND part = -1`, [layout.stream]);
  await admin.query(`DELETE FROM ${schema}.scale_checkpoints WHERE stream = $1 AND part = -1`, [layout.stream]);
  await until(`the fleet stage taken afresh: ${logs.slice(-5).join("\n")}`, () => w.held().includes(FLEET_UNIT), 30_000);
  assert.ok(logs.some((l) => /^s1 fleet: taken \(epoch \d+\), from stream sequence 1$/.test(l)), logs.join("\n"));
}

test("a fleet checkpoint from before the two-stage design (records, no queued facts) is refused", { skip }, async () => {
  const s = await scaleTestbed("prefacts");
  const layout = await ensureStream(await manager(s.nc), { ...testStream(), partitions: 2, window: 200 });
  const logs: string[] = [];
  const w = worker(s.nc, s.store, layout, logs);
  try {
    const published = await publish(s.nc, layout, "a.ndjson");
    // The old fleet stage: the fleet-wide detectors whole, over records, its checkpoint without the merge's state.
    const old = await startDetection({ engine: { detectors: allDetectors.filter((d) => d.fleetWide), reference: reference! }, tickEveryMs: false, holdMs: Infinity, idleMs: Infinity });
    const cp = old.checkpoint();
    const lease = (await s.store.scale.acquire(layout.stream, FLEET_UNIT, "old", 60_000))!;
    await s.store.scale.saveCheckpoint(layout.stream, FLEET_UNIT, lease, { seq: 7, records: 7, at: 0, meta: "{}", chunks: cp.state() });
    await s.store.scale.release(layout.stream, FLEET_UNIT, "old", lease.epoch);
    old.close();
    await w.start();
    await assertRefused(s.store, layout, w, logs, published, /detection state: a checkpoint without the caller's own state/);
    await assertStartsOver(s.admin, "prefacts", layout, w, logs);
  } finally {
    await w.stop();
    await s.close();
  }
});

test("a fleet checkpoint for another partition count (stream re-created, store kept) is refused", { skip }, async () => {
  const s = await scaleTestbed("recount");
  const names = testStream();
  const logs: string[] = [];
  let layout = await ensureStream(await manager(s.nc), { ...names, partitions: 2, window: 200 });
  const first = worker(s.nc, s.store, layout, logs);
  try {
    const published = await publish(s.nc, layout, "a.ndjson");
    await first.start();
    await until("a fleet checkpoint over both partitions", async () => (await s.store.scale.loadCheckpoint(layout.stream, FLEET_UNIT))?.records === published);
  } finally {
    await first.stop();
  }
  // The stream goes and comes back with 4 partitions under the same name; the store still has the old checkpoints.
  await (await manager(s.nc)).streams.delete(names.stream);
  layout = await ensureStream(await manager(s.nc), { ...names, partitions: 4, window: 400 });
  logs.length = 0;
  const w = worker(s.nc, s.store, layout, logs);
  try {
    const published = await publish(s.nc, layout, "b.ndjson");
    await w.start();
    await assertRefused(s.store, layout, w, logs, published, /fleet stage checkpoint for 2 partitions, not 4/);
    await assertStartsOver(s.admin, "recount", layout, w, logs);
  } finally {
    await w.stop();
    await s.close();
  }
});
