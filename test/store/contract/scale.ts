import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { isLongwatchError } from "../../../src/core/errors.ts";
import { PIECE_BYTES, StatePieces } from "../../../src/scale/state-pieces.ts";
import { sampleAlert } from "../../helpers/alert.ts";
import type { ContractContext } from "./context.ts";

/** A lease given 0 ms is expired at once on every adapter's clock; one given a minute is not, for this test. */
const LONG = 60_000;

async function bytesOf(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

export function scaleContract(c: ContractContext): void {
  describe(`scale (${c.target.name})`, () => {
    it("gives a unit to one worker at a time; an expired lease changes hands with a new epoch that fences the old owner", async () => {
      const store = await c.fresh();
      const a = await store.scale.acquire("S", 3, "w-a", LONG);
      assert.equal(a?.owner, "w-a");
      assert.equal(a?.epoch, 1);
      assert.equal(await store.scale.acquire("S", 3, "w-b", LONG), undefined, "held by w-a");
      assert.equal((await store.scale.acquire("S", 3, "w-a", LONG))?.epoch, 1, "its own: extended, same epoch");
      assert.equal((await store.scale.acquire("S", 3, "w-a", 0))?.epoch, 1);
      const b = await store.scale.acquire("S", 3, "w-b", LONG);
      assert.equal(b?.epoch, 2, "expired: taken over under a new epoch");
      assert.deepEqual(await store.scale.renew("S", "w-a", [{ part: 3, epoch: 1 }], LONG), []);
      assert.deepEqual(await store.scale.renew("S", "w-b", [{ part: 3, epoch: 2 }, { part: 4, epoch: 1 }], LONG), [3]);
      const cp = { seq: 10, records: 100, at: 5, meta: "{}", chunks: [Buffer.from("state")] };
      await assert.rejects(store.scale.saveCheckpoint("S", 3, { owner: "w-a", epoch: 1 }, cp), (e) => isLongwatchError(e, "conflict"));
      await assert.rejects(store.scale.saveCheckpoint("S", 3, { owner: "w-b", epoch: 1 }, cp), (e) => isLongwatchError(e, "conflict"));
      await assert.rejects(store.scale.saveCheckpoint("S", 9, { owner: "w-b", epoch: 1 }, cp), (e) => isLongwatchError(e, "conflict"), "no lease at all");
      assert.equal(await store.scale.loadCheckpoint("S", 3), undefined);
      await store.scale.saveCheckpoint("S", 3, { owner: "w-b", epoch: 2 }, cp);
      assert.equal((await store.scale.loadCheckpoint("S", 3))?.seq, 10);
      // Released: anyone takes it at once.
      await store.scale.release("S", 3, "w-b", 2);
      assert.equal((await store.scale.acquire("S", 3, "w-c", LONG))?.epoch, 3);
      assert.deepEqual((await store.scale.leases("S")).map((l) => [l.part, l.owner, l.epoch]), [[3, "w-c", 3]]);
      assert.deepEqual(await store.scale.leases("other"), []);
    });

    it("keeps a checkpoint's state byte for byte, replaces it, and keeps streams apart", async () => {
      const store = await c.fresh();
      await store.scale.acquire("S", 0, "w", LONG);
      await store.scale.acquire("T", 0, "w", LONG);
      const big = randomBytes(3 * (1 << 20) + 17);
      const chunks = Array.from({ length: 40 }, (_, i) => big.subarray(Math.floor((i * big.length) / 40), Math.floor(((i + 1) * big.length) / 40)));
      const saved = await store.scale.saveCheckpoint("S", 0, { owner: "w", epoch: 1 }, { seq: 7, records: 70, at: 1.5, meta: '{"k":"ü ✓"}', chunks });
      assert.equal(saved.bytes, big.length);
      await store.scale.saveCheckpoint("T", 0, { owner: "w", epoch: 1 }, { seq: 1, records: 1, at: 0, meta: "{}", chunks: [Buffer.from("t")] });
      const got = (await store.scale.loadCheckpoint("S", 0))!;
      assert.deepEqual([got.part, got.seq, got.records, got.at, got.bytes, got.meta], [0, 7, 70, 1.5, big.length, '{"k":"ü ✓"}']);
      assert.ok(big.equals(await bytesOf(got.chunks())));
      await store.scale.saveCheckpoint("S", 0, { owner: "w", epoch: 1 }, { seq: 8, records: 80, at: 2, meta: "{}", chunks: [Buffer.from("small")] });
      assert.equal((await bytesOf((await store.scale.loadCheckpoint("S", 0))!.chunks())).toString(), "small");
      assert.equal((await bytesOf((await store.scale.loadCheckpoint("T", 0))!.chunks())).toString(), "t");
      assert.deepEqual((await store.scale.checkpoints("S")).map((x) => [x.part, x.seq, x.records]), [[0, 8, 80]]);
    });

    it("writes a state piece by piece: only the changed pieces go in, the unchanged are kept, those past the end dropped; restored as the same bytes", async () => {
      const store = await c.fresh();
      await store.scale.acquire("S", 0, "w", LONG);
      const pieces = new StatePieces();
      const column = randomBytes(5 * PIECE_BYTES + 100);
      const state = (col: Uint8Array) => [Buffer.from("head"), Buffer.from('{"h":1}'), col, Buffer.from("tail")];
      const save = async (col: Uint8Array, seq: number) => {
        const diff = pieces.diff(state(col));
        const r = await store.scale.saveCheckpoint("S", 0, { owner: "w", epoch: 1 }, { seq, records: seq, at: 0, meta: "{}", pieces: diff });
        diff.commit();
        return r;
      };
      const first = await save(column, 1);
      assert.equal(first.written, first.bytes, "nothing stored yet: every piece");
      const changed = Buffer.from(column);
      changed[2 * PIECE_BYTES + 7]! ^= 0xff;
      const second = await save(changed, 2);
      assert.equal(second.bytes, first.bytes);
      assert.equal(second.written, PIECE_BYTES, "one piece of the column changed: that piece only");
      const got = (await store.scale.loadCheckpoint("S", 0))!;
      assert.ok(Buffer.concat(state(changed)).equals(await bytesOf(got.chunks())));
      const shorter = changed.subarray(0, 2 * PIECE_BYTES + 10);
      await save(shorter, 3);
      assert.ok(Buffer.concat(state(shorter)).equals(await bytesOf((await store.scale.loadCheckpoint("S", 0))!.chunks())), "pieces past the end are dropped");
      // A restored unit learns the stored pieces from what it reads, and writes only what differs from them.
      const restored = new StatePieces();
      const read: Uint8Array[] = [];
      for await (const ch of restored.learn((await store.scale.loadCheckpoint("S", 0))!.chunks())) read.push(ch);
      const again = restored.diff(state(shorter));
      await store.scale.saveCheckpoint("S", 0, { owner: "w", epoch: 1 }, { seq: 4, records: 4, at: 0, meta: "{}", pieces: again });
      assert.equal(again.written, 0);
    });

    it("rolls back with the alerts of its transaction", async () => {
      const store = await c.fresh();
      await store.scale.acquire("S", 1, "w", LONG);
      await store.transaction(async (tx) => {
        await tx.alerts.upsert([sampleAlert({ id: "a1" })], "2026-11-25T12:00:00Z");
        await tx.scale.saveCheckpoint("S", 1, { owner: "w", epoch: 1 }, { seq: 5, records: 5, at: 0, meta: "{}", chunks: [Buffer.from("one")] });
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.alerts.upsert([sampleAlert({ id: "a2" })], "2026-11-25T12:00:00Z");
          await tx.scale.saveCheckpoint("S", 1, { owner: "w", epoch: 1 }, { seq: 9, records: 9, at: 0, meta: "{}", chunks: [Buffer.from("two")] });
          throw new Error("crash before commit");
        }),
        /crash before commit/,
      );
      assert.equal((await store.scale.loadCheckpoint("S", 1))?.seq, 5);
      assert.ok(await store.alerts.get("a1"));
      assert.equal(await store.alerts.get("a2"), undefined);
    });

    it("lists live workers; a clean leave lets its leases go at once", async () => {
      const store = await c.fresh();
      assert.deepEqual(await store.scale.heartbeat("S", "w-b", LONG), ["w-b"]);
      assert.deepEqual(await store.scale.heartbeat("S", "w-a", LONG), ["w-a", "w-b"]);
      assert.deepEqual(await store.scale.heartbeat("S", "w-c", 0), ["w-a", "w-b"], "a heartbeat that already ran out does not count");
      assert.deepEqual(await store.scale.heartbeat("T", "w-x", LONG), ["w-x"]);
      await store.scale.acquire("S", 0, "w-a", LONG);
      await store.scale.acquire("S", 1, "w-a", LONG);
      await store.scale.leave("S", "w-a");
      assert.deepEqual(await store.scale.heartbeat("S", "w-b", LONG), ["w-b"]);
      assert.equal((await store.scale.acquire("S", 0, "w-b", LONG))?.epoch, 2);
      assert.equal((await store.scale.acquire("S", 1, "w-b", LONG))?.epoch, 2);
    });
  });
}
