/**
 * Messages a committed checkpoint already covers, delivered again, are skipped (unit.ts `take`: by stream sequence).
 * The kill -9 and restart tests never reach that guard — a unit that takes a partition re-creates its consumer from
 * the message after its checkpoint — so here the broker is made to redeliver them to a running unit, on real
 * nats-server and PostgreSQL: while the unit's checkpoint waits on a lock the test holds in PostgreSQL (so the unit
 * is not pulling), its durable consumer is re-created to deliver from stream sequence 1, as a consumer whose
 * acknowledgements were lost, or one re-created by hand, would. Once the checkpoint commits, the unit is handed every
 * message of the stream again — all covered by that checkpoint — and must take none of them twice.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { ensureStream, manager, type StreamLayout } from "../../src/scale/nats.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { consumerName } from "../../src/scale/unit.ts";
import { ScaleWorker } from "../../src/scale/worker.ts";
import type { Store } from "../../src/store/store.ts";
import { sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { postgresAvailable } from "../helpers/postgres.ts";
import { metricRecords, scaleTestbed, until } from "../helpers/scale.ts";
import { tmpDir } from "../helpers/tmp.ts";

const skip = (await sharedNatsMissing()) || (await postgresAvailable());
const T0 = Date.parse("2026-11-20T00:00:00Z");
const DEVICES = Array.from({ length: 30 }, (_, i) => `redeliver-${i}`);

const metrics = (from: number, rounds: number) => metricRecords(DEVICES, from, rounds);

/** The partition's checkpoint covers the whole stream, with nothing held for ordering. */
async function caughtUp(store: Store, layout: StreamLayout, nc: NatsConnection): Promise<boolean> {
  const last = (await (await manager(nc)).streams.info(layout.stream)).state.last_seq;
  const cp = await store.scale.loadCheckpoint(layout.stream, 0);
  return !!cp && cp.seq >= last && (JSON.parse(cp.meta) as { held?: number }).held === 0;
}

test("a redelivery of messages a committed checkpoint covers is skipped: every record counted once", { skip }, async () => {
  const tmp = tmpDir();
  const names = testStream();
  const tb = await scaleTestbed("redeliver");
  const { store, nc, admin } = tb;
  const layout = await ensureStream(await manager(nc), { ...names, partitions: 1, window: 100 });
  // The first owner's consumer: epoch 1.
  const durable = consumerName(layout.stream, 0, 1);
  let messages = 0;
  const publish = async (name: string, from: number) => {
    const s = await publishFiles({ files: [tmp.write(name, metrics(from, 10))], nc, layout, batch: 20, clock: () => T0 + 86_400_000, onReject: (f, l, why) => assert.fail(`${f}:${l}: ${why}`) });
    messages += s.messages;
    return s.published;
  };
  const logs: string[] = [];
  // Renewals only every 20 s: the worker's own round never waits on the test's lock.
  const w = new ScaleWorker({ nc, store, layout, name: "r1", engine: { detectors: allDetectors.filter((d) => !d.split), reference: loadReference({}) }, leaseMs: 60_000, checkpointMs: 200, quietMs: 500, log: (l) => void logs.push(l) });
  try {
    let published = await publish("first.ndjson", T0);
    await w.start();
    await until("caught up with the first file", () => caughtUp(store, layout, nc));

    // Hold the lease row the unit's next checkpoint locks (SELECT … FOR UPDATE): that checkpoint waits, and the unit
    // pulls nothing meanwhile.
    await admin.query("BEGIN");
    await admin.query("SELECT 1 FROM redeliver.scale_leases WHERE stream = $1 AND part = 0 FOR UPDATE", [layout.stream]);
    published += await publish("second.ndjson", T0 + 3_600_000);
    const last = (await (await manager(nc)).streams.info(layout.stream)).state.last_seq;
    await until("the unit's checkpoint waits on the lock", async () => {
      // The unit's connection, waiting on the row lock (pg_stat_activity's query text may still be its last one).
      const r = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'longwatch' AND wait_event_type = 'Lock'");
      return (r.rows[0] as { n: number }).n > 0;
    });
    // The consumer goes back to the start of the stream (same name and settings, as unit.ts creates it).
    const jsm = await manager(nc);
    const config = (await jsm.consumers.info(layout.stream, durable)).config;
    await jsm.consumers.delete(layout.stream, durable);
    await jsm.consumers.add(layout.stream, { durable_name: durable, filter_subject: config.filter_subject!, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: config.ack_wait!, max_ack_pending: config.max_ack_pending!, inactive_threshold: config.inactive_threshold! });
    await admin.query("ROLLBACK");

    // The checkpoint commits, covering the whole stream; then every message of it comes again, and is acknowledged.
    await until("the checkpoint covering both files committed", async () => ((await store.scale.loadCheckpoint(layout.stream, 0))?.seq ?? 0) >= last);
    await until("every message delivered again and acknowledged", async () => {
      const info = await jsm.consumers.info(layout.stream, durable);
      return info.delivered.stream_seq >= last && info.num_ack_pending === 0 && info.num_pending === 0;
    });
    assert.ok((await jsm.consumers.info(layout.stream, durable)).delivered.consumer_seq >= last, "the re-created consumer delivered the whole stream");

    // New records after it: the next checkpoint counts each record of the three files once.
    published += await publish("third.ndjson", T0 + 7_200_000);
    await until("caught up with the third file", () => caughtUp(store, layout, nc));
    const cp = (await store.scale.loadCheckpoint(layout.stream, 0))!;
    assert.equal(cp.records, published, "every record taken in once");
    assert.equal((JSON.parse(cp.meta) as { messages: number }).messages, messages, "every message taken in once");
  } finally {
    await admin.query("ROLLBACK").catch(() => undefined);
    await w.stop();
    await tb.close();
  }
});
