/**
 * Two workers never process one partition at once (issue 14.4), at the worker, not only at the store: a worker whose
 * lease was taken over between two of its renewals keeps pulling records for a moment, but its next checkpoint is
 * refused under the new epoch — nothing of it is committed, none of its messages are acknowledged — and the new
 * owner processes the same records from the last checkpoint the old one did commit. Real nats-server and PostgreSQL.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { ensureStream, manager, type StreamLayout } from "../../src/scale/nats.ts";
import { partitionOf, partitionSubject } from "../../src/scale/partition.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { consumerName } from "../../src/scale/unit.ts";
import { ScaleWorker } from "../../src/scale/worker.ts";
import type { Store } from "../../src/store/store.ts";
import { sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { postgresAvailable } from "../helpers/postgres.ts";
import { metricRecords, scaleTestbed, until } from "../helpers/scale.ts";
import { tmpDir } from "../helpers/tmp.ts";

const skip = (await sharedNatsMissing()) || (await postgresAvailable());
const P = 4;
const T0 = Date.parse("2026-11-20T00:00:00Z");
const DEVICES = Array.from({ length: 40 }, (_, i) => `fence-${i}`);

const metrics = (from: number, rounds: number) => metricRecords(DEVICES, from, rounds);

/** Every partition's checkpoint is through the last message on its subject, with the records held for ordering
 * processed (the partition went quiet): nothing more is checkpointed until new records come. */
async function caughtUp(store: Store, layout: StreamLayout, nc: NatsConnection): Promise<boolean> {
  const jsm = await manager(nc);
  const cps = new Map((await store.scale.checkpoints(layout.stream)).map((c) => [c.part, c]));
  for (let p = 0; p < P; p++) {
    const last = (await jsm.streams.getMessage(layout.stream, { last_by_subj: partitionSubject(layout.prefix, p) }))!.seq;
    const cp = cps.get(p);
    if (!cp || cp.seq < last || (JSON.parse(cp.meta) as { held?: number }).held !== 0) return false;
  }
  return true;
}

test("a worker whose lease was taken over cannot commit a checkpoint; the new owner carries on from the last one", { skip }, async () => {
  const tmp = tmpDir();
  const names = testStream();
  const tb = await scaleTestbed("fence");
  const { store, nc, admin } = tb;
  const layout = await ensureStream(await manager(nc), { ...names, partitions: P, window: P * 100 });
  const publish = async (file: string) =>
    (await publishFiles({ files: [file], nc, layout, batch: 20, clock: () => T0 + 86_400_000, onReject: (f, l, why) => assert.fail(`${f}:${l}: ${why}`) })).published;
  const engine = { detectors: allDetectors.filter((d) => !d.split), reference: loadReference({}) };
  const logs: string[] = [];
  // Rounds (renewals) only every 20 s: the lease is lost well before w1 would notice at a renewal, so only the
  // checkpoint's own check under the lease's epoch stands between it and the new owner's partition.
  const options = (name: string) => ({ nc, store, layout, name, engine, leaseMs: 60_000, checkpointMs: 200, quietMs: 500, log: (l: string) => void logs.push(l) });
  const w1 = new ScaleWorker(options("w1"));
  let thief: ScaleWorker | undefined;
  try {
    let published = await publish(tmp.write("first.ndjson", metrics(T0, 10)));
    await w1.start();
    assert.equal(w1.held().length, P);
    await until("w1 caught up with the first file", () => caughtUp(store, layout, nc));
    const before = (await store.scale.loadCheckpoint(layout.stream, 0))!;

    // p0's lease runs out (w1 paused or cut off past it) and another worker takes it, under a new epoch.
    await admin.query("UPDATE fence.scale_leases SET expires_at = 0 WHERE stream = $1 AND part = 0", [layout.stream]);
    const taken = await store.scale.acquire(layout.stream, 0, "thief", 60_000);
    assert.equal(taken?.epoch, 2);

    published += await publish(tmp.write("second.ndjson", metrics(T0 + 3_600_000, 10)));
    const p0Records = DEVICES.filter((d) => partitionOf(d, P) === 0).length * 20;
    await until("w1's p0 checkpoint refused", () => logs.some((l) => l.startsWith("w1 p0:") && l.includes("no longer current")));
    const refused = (await store.scale.loadCheckpoint(layout.stream, 0))!;
    assert.deepEqual([refused.seq, refused.records], [before.seq, before.records], "nothing of w1's p0 committed after it lost the lease");
    assert.ok((await (await manager(nc)).consumers.info(layout.stream, consumerName(layout.stream, 0, 1))).num_ack_pending > 0, "w1 acknowledged none of what it could not commit");
    // Its other partitions, still its own, went on.
    await until("w1's other partitions through the second file", async () => {
      const cps = await store.scale.checkpoints(layout.stream);
      return cps.filter((c) => c.part > 0).reduce((n, c) => n + c.records, 0) === published - p0Records;
    });

    // The new owner starts p0 from the last checkpoint w1 did commit and takes every record of p0 once.
    thief = new ScaleWorker({ ...options("thief"), settleMs: 0 });
    await thief.start();
    assert.ok(thief.held().includes(0), `thief holds ${thief.held().join(" ")}`);
    assert.ok(logs.some((l) => l.startsWith("thief p0: taken (epoch 2)")), logs.join("\n"));
    await until("the new owner caught up", () => caughtUp(store, layout, nc));
    const cps = await store.scale.checkpoints(layout.stream);
    assert.equal(cps.find((c) => c.part === 0)!.records, p0Records);
    assert.equal(cps.reduce((n, c) => n + c.records, 0), published, "every record taken in once");
  } finally {
    await thief?.stop();
    await w1.stop();
    await tb.close();
  }
});
