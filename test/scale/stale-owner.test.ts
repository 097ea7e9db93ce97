/**
 * A stale owner that wakes up cannot disturb the new owner's consumer (issue 14: 4,001 of 400,008 records lost at
 * load 9 with 6 s leases). Owner A took a partition's messages in without a checkpoint and then stalled — here, cut
 * off the broker by a TCP proxy, so the moment it wakes is the test's to choose — past its lease; B took the partition
 * under the next epoch, from the last checkpoint, and is part way through (its first checkpoint held on a PostgreSQL
 * row lock, so it cannot run ahead). A wakes: a unit re-creates its consumer from its own position after a reconnect.
 * Before the fix both used the one durable consumer `<stream>_p0`, so A's re-creation moved B's consumer past the
 * messages B had not taken yet, and B skipped them. Now A's consumer is its epoch's own and A checks its lease first
 * and gives the unit up: B takes every record exactly once. Real nats-server and PostgreSQL.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AckPolicy, type ConsumerInfo, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { connectNats, ensureStream, manager, type StreamLayout } from "../../src/scale/nats.ts";
import { partitionSubject } from "../../src/scale/partition.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { consumerName, INACTIVE_MS, Unit } from "../../src/scale/unit.ts";
import type { Lease } from "../../src/store/scale.ts";
import type { Store } from "../../src/store/store.ts";
import { SHARED_NATS, sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { postgresAvailable } from "../helpers/postgres.ts";
import { metricRecords, scaleTestbed, until } from "../helpers/scale.ts";
import { tcpProxy } from "../helpers/tcp-proxy.ts";
import { tmpDir } from "../helpers/tmp.ts";

const skip = (await sharedNatsMissing()) || (await postgresAvailable());
const T0 = Date.parse("2026-11-20T00:00:00Z");
const DEVICES = Array.from({ length: 10 }, (_, i) => `stale-owner-${i}`);
const engine = skip ? undefined : { detectors: allDetectors.filter((d) => !d.split), reference: loadReference({}) };

async function consumers(nc: NatsConnection, stream: string): Promise<ConsumerInfo[]> {
  return (await manager(nc)).consumers.list(stream).next();
}

function unit(nc: NatsConnection, jsm: Awaited<ReturnType<typeof manager>>, store: Store, layout: StreamLayout, lease: Lease, o: { checkpointMs: number; quietMs: number }, logs: string[]): Unit {
  const log = (l: string) => void logs.push(`${lease.owner} ${l}`);
  return new Unit({ nc, jsm, store, layout, lease, engine: engine!, clock: Date.now, holdMs: 2000, idleMs: Infinity, ...o, log });
}

test("a stale owner that wakes after the partition changed hands leaves the new owner's consumer alone: every record once", { skip }, async () => {
  const tmp = tmpDir();
  const tb = await scaleTestbed("stale");
  const { store, nc, admin } = tb;
  const layout = await ensureStream(await manager(nc), { ...testStream(), partitions: 1, window: 100 });
  const upstream = new URL(SHARED_NATS);
  const proxy = await tcpProxy(upstream.hostname, Number(upstream.port || 4222));
  const ncA = await connectNats(`nats://${proxy.address}`, "test stale A");
  let published = 0;
  let messages = 0;
  const publish = async (name: string, from: number) => {
    // Two records a message: more messages than one pull takes (64), so B is part way when A wakes.
    const s = await publishFiles({ files: [tmp.write(name, metricRecords(DEVICES, from, 20))], nc, layout, batch: 2, clock: () => T0 + 86_400_000, onReject: (f, l, why) => assert.fail(`${f}:${l}: ${why}`) });
    published += s.published;
    messages += s.messages;
  };
  const logs: string[] = [];
  let a: Unit | undefined;
  let b: Unit | undefined;
  try {
    await publish("first.ndjson", T0);
    const first = (await (await manager(nc)).streams.info(layout.stream)).state.last_seq;
    assert.ok(first > 64, `${first} messages`);

    // A takes every message in and never checkpoints (as if it stalled just before its checkpoint came due).
    const leaseA = (await store.scale.acquire(layout.stream, 0, "a", 60_000))!;
    a = unit(ncA, await manager(ncA), store, layout, leaseA, { checkpointMs: 3_600_000, quietMs: Infinity }, logs);
    await a.start();
    await until("A took every message in", async () => (await consumers(nc, layout.stream)).some((c) => c.delivered.stream_seq >= first && c.num_pending === 0));

    // A stalls past its lease; B takes the partition under the next epoch, from the (absent) checkpoint.
    proxy.cut();
    await admin.query("UPDATE stale.scale_leases SET expires_at = 0 WHERE stream = $1 AND part = 0", [layout.stream]);
    const leaseB = (await store.scale.acquire(layout.stream, 0, "b", 60_000))!;
    assert.equal(leaseB.epoch, leaseA.epoch + 1);
    // B's first checkpoint (after its first pull) waits on the lease row the test holds: B is part way through.
    await admin.query("BEGIN");
    await admin.query("SELECT 1 FROM stale.scale_leases WHERE stream = $1 AND part = 0 FOR UPDATE", [layout.stream]);
    b = unit(nc, await manager(nc), store, layout, leaseB, { checkpointMs: 0, quietMs: 300 }, logs);
    await b.start();
    await until("B's first checkpoint waits on the lock", async () => {
      const r = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'longwatch' AND wait_event_type = 'Lock'");
      return (r.rows[0] as { n: number }).n > 0;
    });

    // A wakes: back on the broker, it re-creates its consumer from its own position (after every message) — or,
    // knowing its lease is gone, gives the unit up.
    proxy.restore();
    await until(`A woke and either gave the unit up or re-created a consumer from stream sequence ${first + 1}: ${logs.join("\n")}`, async () => a!.isLost || (await consumers(nc, layout.stream)).some((c) => c.config.opt_start_seq === first + 1), 30_000);
    const gaveUp = a.isLost;
    await a.stop(false);
    a = undefined;
    await ncA.close();
    await admin.query("ROLLBACK");

    // More records after it; B, the owner now, takes each record of both files once.
    await publish("second.ndjson", T0 + 3_600_000);
    const last = (await (await manager(nc)).streams.info(layout.stream)).state.last_seq;
    await until(`B through the stream: ${logs.join("\n")}`, async () => {
      const cp = await store.scale.loadCheckpoint(layout.stream, 0);
      return !!cp && cp.seq >= last && (JSON.parse(cp.meta) as { held?: number }).held === 0;
    });
    const cp = (await store.scale.loadCheckpoint(layout.stream, 0))!;
    assert.equal((JSON.parse(cp.meta) as { messages: number }).messages, messages, "every message taken in once");
    assert.equal(cp.records, published, "every record taken in once");
    assert.ok(gaveUp, `the stale owner found out it no longer held the unit: ${logs.join("\n")}`);
    assert.ok(!b.isLost, "the new owner kept it");
  } finally {
    await admin.query("ROLLBACK").catch(() => undefined);
    await a?.stop(false);
    await b?.stop(false);
    await ncA.close().catch(() => undefined);
    await proxy.close();
    await tb.close();
  }
});

test("taking a unit deletes its former owners' consumers (and the shared name from before); a stale owner still pulling gives the unit up", { skip }, async () => {
  const tb = await scaleTestbed("former");
  const { store, nc, admin } = tb;
  const layout = await ensureStream(await manager(nc), { ...testStream(), partitions: 2, window: 200 });
  const jsm = await manager(nc);
  // Another partition's consumer, which stays.
  const base = { ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All };
  await jsm.consumers.add(layout.stream, { ...base, durable_name: consumerName(layout.stream, 1, 1), filter_subject: partitionSubject(layout.prefix, 1) });
  const logs: string[] = [];
  let a: Unit | undefined;
  let b: Unit | undefined;
  try {
    const leaseA = (await store.scale.acquire(layout.stream, 0, "a", 60_000))!;
    a = unit(nc, jsm, store, layout, leaseA, { checkpointMs: 200, quietMs: 300 }, logs);
    await a.start();
    const names = async () => (await consumers(nc, layout.stream)).map((c) => c.name).sort();
    assert.deepEqual(await names(), [consumerName(layout.stream, 0, 1), consumerName(layout.stream, 1, 1)]);
    // And one a worker from before per-epoch consumers left, under the name every epoch shared.
    await jsm.consumers.add(layout.stream, { ...base, durable_name: `${layout.stream}_p0`, filter_subject: partitionSubject(layout.prefix, 0) });

    // A's lease runs out between two of its renewals while it keeps pulling; B takes the partition.
    await admin.query("UPDATE former.scale_leases SET expires_at = 0 WHERE stream = $1 AND part = 0", [layout.stream]);
    const leaseB = (await store.scale.acquire(layout.stream, 0, "b", 60_000))!;
    b = unit(nc, jsm, store, layout, leaseB, { checkpointMs: 200, quietMs: 300 }, logs);
    await b.start();
    const mine = consumerName(layout.stream, 0, leaseB.epoch);
    assert.deepEqual(await names(), [mine, consumerName(layout.stream, 1, 1)].sort());
    assert.equal((await jsm.consumers.info(layout.stream, mine)).config.inactive_threshold, INACTIVE_MS * 1e6, "a leftover is reaped by the broker");
    assert.ok(logs.some((l) => l === `b p0: deleted consumer ${layout.stream}_p0 of a former owner`), logs.join("\n"));

    // A's consumer is gone under it: it finds its lease is not its own and gives up, re-creating nothing.
    await until(`A gave the unit up: ${logs.join("\n")}`, () => a!.isLost, 30_000);
    assert.ok(logs.some((l) => l.startsWith("a p0: the lease of a (epoch 1) is no longer current (b holds epoch 2)")), logs.join("\n"));
    assert.deepEqual(await names(), [mine, consumerName(layout.stream, 1, 1)].sort());
    assert.ok(!b.isLost);
  } finally {
    await a?.stop(false);
    await b?.stop(false);
    await tb.close();
  }
});
