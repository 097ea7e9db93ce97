/** The reorder buffer's held records come out in (event time, arrival) order whatever order they were pushed in. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Held, HeldRecords } from "../../src/detect/held.ts";

/** The reference of the earliest held record by (ts, seq), or undefined: what the buffer pops next, found the slow way. */
function earliest<R>(held: HeldRecords<R>): R | undefined {
  let best: { ref: R; ts: number; seq: number } | undefined;
  held.forEach((ref, _at, _len, ts, seq) => {
    if (best === undefined || ts < best.ts || (ts === best.ts && seq < best.seq)) best = { ref, ts, seq };
  });
  return best?.ref;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("HeldRecords", () => {
  it("pops in (ts, seq) order: mostly in-order pushes, stragglers, equal times, interleaved pops", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const held = new HeldRecords<Held>();
      const all: Held[] = [];
      const out: Held[] = [];
      let seq = 0;
      let t = 1000;
      for (let i = 0; i < 3000; i++) {
        const x = r();
        t += x < 0.7 ? Math.floor(r() * 3) : 0;
        const ts = x > 0.9 ? t - Math.floor(r() * 50) : t;
        const h: Held = { ts, seq: seq++ };
        all.push(h);
        held.push(h.ts, h.seq, h);
        // Release up to a point now and then, as the live buffer does.
        if (r() < 0.2) {
          const upTo = t - Math.floor(r() * 20);
          for (let p = held.peekTs(); p !== undefined && p <= upTo; p = held.peekTs()) out.push(held.pop());
        }
      }
      assert.equal(held.size, all.length - out.length);
      while (held.size > 0) out.push(held.pop());
      // Every record once.
      assert.deepEqual(out.map((h) => h.seq).sort((a, b) => a - b), all.map((h) => h.seq));
    }
  });

  it("gives exactly a single priority queue's order", () => {
    const r = rng(7);
    const held = new HeldRecords<Held>();
    const ref: Held[] = [];
    let seq = 0;
    for (let i = 0; i < 5000; i++) {
      const h: Held = { ts: 100 + Math.floor(i / 3) - (r() < 0.15 ? Math.floor(r() * 40) : 0), seq: seq++ };
      held.push(h.ts, h.seq, h, h.seq % 1000, h.seq % 7);
      ref.push(h);
      if (r() < 0.1) {
        ref.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
        const upTo = h.ts - 5;
        while (ref.length && ref[0]!.ts <= upTo) {
          const want = ref.shift()!;
          assert.equal(held.pop(), want);
          // What was taken out besides its reference, as it was pushed.
          assert.deepEqual([held.poppedTs, held.poppedSeq, held.poppedAt, held.poppedLen], [want.ts, want.seq, want.seq % 1000, want.seq % 7]);
        }
        assert.equal(earliest(held), ref[0]);
        assert.equal(held.peekTs(), ref[0]?.ts);
      }
    }
    ref.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    for (const h of ref) assert.equal(held.pop(), h);
    assert.equal(held.size, 0);
    assert.equal(earliest(held), undefined);
    assert.equal(held.peekTs(), undefined);
  });

  it("restored records (any order) merge with new ones", () => {
    const held = new HeldRecords<Held>();
    for (const [ts, seq] of [[5, 3], [1, 1], [5, 2], [3, 0]] as const) held.restore(ts, seq, { ts, seq });
    held.push(4, 10, { ts: 4, seq: 10 });
    held.push(6, 11, { ts: 6, seq: 11 });
    let all = 0;
    held.forEach(() => all++);
    assert.equal(all, 6);
    const got: string[] = [];
    while (held.size) {
      const h = held.pop();
      got.push(`${h.ts}/${h.seq}`);
    }
    assert.deepEqual(got, ["1/1", "3/0", "4/10", "5/2", "5/3", "6/11"]);
  });
});
