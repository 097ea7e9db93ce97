import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { RecentDigests } from "../../src/serve/pipeline/dedupe.ts";

// Checkpoints keep the digests: a restart recognises a redelivery only if the digest of the same message is the same.
const reference = (topic: string, payload: Uint8Array) => createHash("sha256").update(topic).update("\0").update(payload).digest("base64").slice(0, 22);

test("a message's digest is SHA-256 of topic, NUL and payload, whatever its size and text", () => {
  const cases: [string, Uint8Array][] = [
    ["fleet/dev-1/records", Buffer.from('{"ts":"2026-12-03T15:00:00Z","kind":"metric","device_id":"dev-1","metric":"x","value":1}')],
    ["fleet/gerät-ü/records", Buffer.from("[]")],
    ["", new Uint8Array(0)],
    ["t/large", Buffer.alloc(200_000, 7)],
    ["t/".repeat(20_000), Buffer.from("{}")],
  ];
  for (const [topic, payload] of cases) assert.equal(RecentDigests.digest(topic, payload), reference(topic, payload), topic.slice(0, 40));
  // Two messages differing only in where topic ends and payload begins are told apart.
  assert.notEqual(RecentDigests.digest("a/b", Buffer.from("c")), RecentDigests.digest("a/", Buffer.from("bc")));
});
