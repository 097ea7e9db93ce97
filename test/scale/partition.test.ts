/**
 * The partition function: FNV-1a 32 against published test vectors, and against nats-server's own `partition()`
 * subject mapping on a server of the test's own (the hash a broker-side mapping would use must be ours).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { fnv1a32String, partitionOf } from "../../src/scale/partition.ts";
import { natsServerMissing, ownNats } from "../helpers/nats.ts";
import { int, rng } from "../../src/core/random.ts";

test("FNV-1a 32 matches the reference vectors", () => {
  // From the FNV reference test suite (Fowler/Noll/Vo, test_fnv.c: fnv1a_32 of "", "a", "foobar").
  assert.equal(fnv1a32String(""), 0x811c9dc5);
  assert.equal(fnv1a32String("a"), 0xe40c292c);
  assert.equal(fnv1a32String("foobar"), 0xbf9cf968);
  // UTF-8 bytes, not UTF-16 code units.
  assert.equal(fnv1a32String("é"), fnv1a32String("\u00e9"));
  assert.notEqual(fnv1a32String("é"), fnv1a32String("\u00c3\u00a9"));
});

test("partitions agree with nats-server's partition() mapping", { skip: natsServerMissing }, async () => {
  const n = 16;
  const server = await ownNats(`mappings { "dev.*": "part.{{partition(${n},1)}}" }`);
  const nc = await connect({ servers: `127.0.0.1:${server.port}` });
  const r = rng(14);
  const keys = ["a", "foobar", "meter-000001", "8944501234567890123", "352099001761481"];
  for (let i = 0; i < 300; i++) keys.push(`dev-${int(r, 0, 1e9)}-${String.fromCharCode(97 + int(r, 0, 25))}`);
  const got = new Map<string, string>();
  const sub = nc.subscribe("part.*", { callback: (_e, m) => void got.set(m.string(), m.subject) });
  for (const k of keys) nc.publish(`dev.${k}`, k);
  await nc.flush();
  const end = Date.now() + 5000;
  while (got.size < keys.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  sub.unsubscribe();
  await nc.close();
  assert.equal(got.size, keys.length);
  const spread = new Set<string>();
  for (const k of keys) {
    assert.equal(got.get(k), `part.${partitionOf(k, n)}`, k);
    spread.add(got.get(k)!);
  }
  assert.equal(spread.size, n, "every partition is used");
});
