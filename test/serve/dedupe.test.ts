import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { RecentDigests } from "../../src/serve/pipeline/dedupe.ts";

// Checkpoints keep the digests: a restart recognises a redelivery only if the digest of the same message is the same.
const reference = (topic: string, payload: Uint8Array) => createHash("sha256").update(topic).update("\0").update(payload).digest("base64").slice(0, 22);
/** The digest the window keeps for a message, as a checkpoint saves it. */
function kept(topic: string, payload: Uint8Array): string {
  const w = new RecentDigests(1);
  w.taken(topic, payload, false);
  return w.toJSON()[0]!;
}

test("a message's digest is SHA-256 of topic, NUL and payload, whatever its size and text", () => {
  const cases: [string, Uint8Array][] = [
    ["fleet/dev-1/records", Buffer.from('{"ts":"2026-12-03T15:00:00Z","kind":"metric","device_id":"dev-1","metric":"x","value":1}')],
    ["fleet/gerät-ü/records", Buffer.from("[]")],
    ["", new Uint8Array(0)],
    ["t/large", Buffer.alloc(200_000, 7)],
    ["t/".repeat(20_000), Buffer.from("{}")],
  ];
  for (const [topic, payload] of cases) assert.equal(kept(topic, payload), reference(topic, payload), topic.slice(0, 40));
  // Two messages differing only in where topic ends and payload begins are told apart.
  assert.notEqual(kept("a/b", Buffer.from("c")), kept("a/", Buffer.from("bc")));
});

/** The window as it was kept before the byte index: a ring of strings and a count per string. */
class ReferenceWindow {
  private readonly ring: (string | undefined)[];
  private readonly count = new Map<string, number>();
  private next = 0;
  constructor(private readonly size: number) {
    this.ring = new Array<string | undefined>(size);
  }
  has(d: string) {
    return this.count.has(d);
  }
  add(d: string) {
    if (this.size === 0) return;
    const old = this.ring[this.next];
    if (old !== undefined) {
      const n = this.count.get(old)! - 1;
      if (n === 0) this.count.delete(old);
      else this.count.set(old, n);
    }
    this.ring[this.next] = d;
    this.count.set(d, (this.count.get(d) ?? 0) + 1);
    this.next = (this.next + 1) % this.size;
  }
  toJSON() {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) {
      const d = this.ring[(this.next + i) % this.size];
      if (d !== undefined) out.push(d);
    }
    return out;
  }
}

test("the window drops exactly the redeliveries the string window dropped, and saves and loads the same digests", () => {
  let s = 7;
  const rnd = (n: number) => ((s = (Math.imul(s ^ (s >>> 13), 0x5bd1e995) + 0x9e3779b9) >>> 0), s % n);
  for (const size of [0, 1, 2, 3, 8, 64, 1000]) {
    const win = new RecentDigests(size);
    const ref = new ReferenceWindow(size);
    // Few distinct messages, so the same digest is often kept more than once and then only some copies leave.
    const distinct = Math.max(2, Math.round(size * 1.5));
    const messages = new Map<string, [string, Buffer]>();
    for (let k = 0; k < 20_000; k++) {
      const topic = `fleet/dev-${rnd(distinct)}/records`;
      const payload = Buffer.from(`{"n":${rnd(3)}}`);
      const dup = rnd(2) === 0;
      const d = reference(topic, payload);
      messages.set(d, [topic, payload]);
      const refDrops = dup && ref.has(d);
      if (!refDrops) ref.add(d);
      assert.equal(win.taken(topic, payload, dup), refDrops, `size ${size}, message ${k}`);
      if (k % 997 === 0) {
        assert.deepEqual(win.toJSON(), ref.toJSON(), `size ${size}: saved digests at ${k}`);
        // A restart loads what was saved: the same answers from there.
        const loaded = new RecentDigests(size);
        loaded.load(win.toJSON());
        assert.deepEqual(loaded.toJSON(), ref.toJSON());
        // Each loaded digest is known: its message redelivered is dropped (and, dropped, not kept again).
        for (const x of ref.toJSON().slice(0, 50)) assert.equal(loaded.taken(...messages.get(x)!, true), true);
        assert.deepEqual(loaded.toJSON(), ref.toJSON());
      }
    }
    assert.deepEqual(win.toJSON(), ref.toJSON());
  }
  // A digest from a checkpoint (text) and the same message taken now (bytes) are the same digest.
  const w = new RecentDigests(10);
  w.load([reference("t/1", Buffer.from("a"))]);
  assert.equal(w.taken("t/1", Buffer.from("a"), true), true);
  assert.equal(w.taken("t/1", Buffer.from("b"), true), false);
  assert.equal(w.taken("t/1", Buffer.from("b"), true), true, "a message not dropped is kept");
});
