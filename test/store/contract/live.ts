import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type NewDeadLetter, serializeDevice, type Store } from "../../../src/store/store.ts";
import { importRows } from "../../helpers/store.ts";
import type { ContractContext } from "./context.ts";

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(...p);
  return out;
}

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

const entry = (i: number, body = `{"n":${i},"t":"Grüße ✓"}\n`) => ({ source: i % 2 ? "mqtt" : "http", received_at: 1_764_000_000_000 + i + 0.5, body: Buffer.from(body), meta: JSON.stringify({ i }) });

const letter = (i: number, sink = "hook"): NewDeadLetter => ({ sink, sink_type: "webhook", alert_id: `a${i % 3}`, change: "open", reason: i % 2 ? "queue_full" : "retries_exhausted", ...(i % 2 ? {} : { error: "HTTP 503" }), attempts: i % 2 ? 0 : 5, at: `2026-11-25T12:00:0${i}Z`, alert: JSON.stringify({ id: `a${i % 3}`, summary: "Ünïcode 合格" }) });

export function liveContract(c: ContractContext): void {
  describe(`live (${c.target.name})`, () => {
    it("appends to the journal in order, pages it after a sequence number, and keeps pipelines apart", async () => {
      const store = await c.fresh();
      const a = await store.live.append("p1", [entry(0), entry(1), entry(2)]);
      const b = await store.live.append("p2", [entry(3)]);
      const d = await store.live.append("p1", [entry(4)], { "zeek:/x/conn.log": '{"offset":10}' });
      assert.ok(a[0]! < a[1]! && a[1]! < a[2]! && a[2]! < d[0]!);
      const j = await all(store.live.journal("p1", 0, 2));
      assert.deepEqual(j.map((e) => e.seq), [...a, ...d]);
      assert.deepEqual(j.map((e) => Buffer.from(e.body).toString()), [0, 1, 2, 4].map((i) => entry(i).body.toString()));
      assert.deepEqual(j[1], { seq: a[1], ...entry(1), body: j[1]!.body });
      assert.deepEqual((await all(store.live.journal("p1", a[1]!))).map((e) => e.seq), [a[2], d[0]]);
      assert.deepEqual((await all(store.live.journal("p2", 0))).map((e) => e.seq), b);
      assert.deepEqual(await store.live.positions("p1"), { "zeek:/x/conn.log": '{"offset":10}' });
      await store.live.append("p1", [], { "zeek:/x/conn.log": '{"offset":20}', mqtt: "{}" });
      assert.deepEqual(await store.live.positions("p1"), { mqtt: "{}", "zeek:/x/conn.log": '{"offset":20}' });
      assert.deepEqual(await store.live.positions("p2"), {});
    });

    it("saves a checkpoint as a stream, replaces the previous one and drops the journal it covers", async () => {
      const store = await c.fresh();
      assert.equal(await store.live.loadCheckpoint("p"), undefined);
      const seqs = await store.live.append("p", [entry(0), entry(1), entry(2)]);
      // A state of many small chunks and one larger than a piece: read back byte for byte.
      const big = Buffer.alloc(3 * (1 << 20) + 7, 0xab);
      const small = Array.from({ length: 1000 }, (_, i) => Buffer.from([i & 255, (i >> 8) & 255]));
      const saved = await store.live.saveCheckpoint("p", { seq: seqs[1]!, at: 1_764_000_000_123, meta: '{"d":["x"]}', chunks: [...small, new Uint8Array(0), big] });
      assert.equal(saved.bytes, 2000 + big.length);
      const cp = (await store.live.loadCheckpoint("p"))!;
      assert.deepEqual({ seq: cp.seq, at: cp.at, meta: cp.meta, bytes: cp.bytes, saved_at: cp.saved_at }, { seq: seqs[1], at: 1_764_000_000_123, meta: '{"d":["x"]}', bytes: saved.bytes, saved_at: "2026-11-25T12:00:00.000Z" });
      assert.ok((await bytesOf(cp.chunks())).equals(Buffer.concat([...small, big])));
      assert.deepEqual((await all(store.live.journal("p", 0))).map((e) => e.seq), [seqs[2]]);
      await store.live.saveCheckpoint("p", { seq: seqs[2]!, at: 5, meta: "{}", chunks: [Buffer.from("new")] });
      const again = (await store.live.loadCheckpoint("p"))!;
      assert.equal((await bytesOf(again.chunks())).toString(), "new");
      assert.equal(again.seq, seqs[2]);
      assert.deepEqual(await all(store.live.journal("p", 0)), []);
      assert.equal(await store.live.loadCheckpoint("other"), undefined);
      // A sequence number is never given again once the checkpoint deleted it: the next entry is after the checkpoint.
      const [next] = await store.live.append("p", [entry(9)]);
      assert.ok(next! > seqs[2]!);
      assert.deepEqual((await all(store.live.journal("p", again.seq))).map((e) => e.seq), [next]);
    });

    it("stages a state piece by piece, visible only once a checkpoint names it; leftovers are removed by the next staging", async () => {
      const store = await c.fresh();
      const seqs = await store.live.append("p", [entry(0), entry(1)]);
      const stage = async (text: string[], limit?: number) => {
        let prep = await store.live.prepareState("p", limit);
        let rounds = 1;
        while (!prep.cleared) {
          prep = await store.live.prepareState("p", limit);
          rounds++;
        }
        for (const [i, t] of text.entries()) await store.live.stageState("p", prep.first + i, Buffer.from(t));
        return { staged: { first: prep.first, pieces: text.length, bytes: text.join("").length }, rounds };
      };
      // Staged but never named (a crash before the commit): nothing to load, the journal is untouched.
      const crashed = await stage(["x", "y", "z"]);
      assert.equal(await store.live.loadCheckpoint("p"), undefined);
      // The next staging removes the leftovers, two at a time here.
      const a = await stage(["one-", "two-", "three"], 2);
      assert.equal(a.rounds, 2);
      assert.equal(a.staged.first, crashed.staged.first);
      assert.deepEqual(await store.live.saveCheckpoint("p", { seq: seqs[0]!, at: 1, meta: "{}", staged: a.staged }), { bytes: 13 });
      const cp = (await store.live.loadCheckpoint("p"))!;
      assert.equal((await bytesOf(cp.chunks())).toString(), "one-two-three");
      assert.equal(cp.bytes, 13);
      // The journal it covers is left for pruneJournal, a few entries at a time; nothing after the checkpoint goes.
      assert.deepEqual((await all(store.live.journal("p", 0))).map((e) => e.seq), seqs);
      assert.deepEqual((await all(store.live.journal("p", cp.seq))).map((e) => e.seq), [seqs[1]]);
      const more = await store.live.append("p", [entry(2), entry(3)]);
      assert.deepEqual(await store.live.pruneJournal("p", more[0]!, 1), { deleted: 1, done: false });
      assert.deepEqual(await store.live.pruneJournal("p", more[0]!, 5), { deleted: 2, done: true });
      assert.deepEqual(await store.live.pruneJournal("p", more[0]!), { deleted: 0, done: true });
      assert.deepEqual((await all(store.live.journal("p", 0))).map((e) => e.seq), [more[1]]);
      // The next state goes elsewhere: while it is staged the current one still loads whole.
      const b = await stage(["new"]);
      assert.notEqual(b.staged.first, a.staged.first);
      assert.equal((await bytesOf((await store.live.loadCheckpoint("p"))!.chunks())).toString(), "one-two-three");
      await store.live.saveCheckpoint("p", { seq: seqs[1]!, at: 2, meta: "{}", staged: b.staged });
      assert.equal((await bytesOf((await store.live.loadCheckpoint("p"))!.chunks())).toString(), "new");
      // And the one after goes back to the first place, once the replaced pieces are gone.
      const d = await stage(["again"], 1);
      assert.equal(d.staged.first, a.staged.first);
      assert.equal(d.rounds, 3);
      // A piece missing is refused, and the checkpoint stays as it was.
      await assert.rejects(store.live.saveCheckpoint("p", { seq: seqs[1]!, at: 3, meta: "{}", staged: { ...d.staged, pieces: 2 } }), (e) => (e as { code?: string }).code === "conflict");
      assert.equal((await bytesOf((await store.live.loadCheckpoint("p"))!.chunks())).toString(), "new");
      // A checkpoint written whole still replaces a staged one.
      await store.live.saveCheckpoint("p", { seq: seqs[1]!, at: 4, meta: "{}", chunks: [Buffer.from("whole")] });
      assert.equal((await bytesOf((await store.live.loadCheckpoint("p"))!.chunks())).toString(), "whole");
    });

    it("a checkpoint and the alerts it produced commit together, or not at all", async () => {
      const store = await c.fresh();
      const [seq] = await store.live.append("p", [entry(0)]);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.live.saveCheckpoint("p", { seq: seq!, at: 1, meta: "{}", chunks: [Buffer.from("state")] });
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(await store.live.loadCheckpoint("p"), undefined);
      assert.equal((await all(store.live.journal("p", 0))).length, 1);
      await store.transaction(async (tx) => {
        await tx.live.saveCheckpoint("p", { seq: seq!, at: 1, meta: "{}", chunks: [Buffer.from("state")] });
      });
      assert.equal((await store.live.loadCheckpoint("p"))!.seq, seq);
    });

    it("keeps dead letters newest first, filtered and paged, counts and deletes them", async () => {
      const store = await c.fresh();
      await store.live.addDeadLetters([0, 1, 2, 3].map((i) => letter(i)));
      await store.live.addDeadLetters([letter(4, "syslog")]);
      await store.live.addDeadLetters([]);
      const list = await store.live.deadLetters();
      assert.equal(list.length, 5);
      assert.deepEqual(list.map((l) => l.sink), ["syslog", "hook", "hook", "hook", "hook"]);
      assert.ok(list.every((l, i) => i === 0 || l.id < list[i - 1]!.id));
      const { id: _id, ...first } = list[4]!;
      assert.deepEqual(first, letter(0));
      assert.equal(list[3]!.error, undefined);
      assert.deepEqual((await store.live.deadLetters({ sink: "hook", limit: 2 })).map((l) => l.at), ["2026-11-25T12:00:03Z", "2026-11-25T12:00:02Z"]);
      const page2 = await store.live.deadLetters({ sink: "hook", limit: 2, before: list[2]!.id });
      assert.deepEqual(page2.map((l) => l.at), ["2026-11-25T12:00:01Z", "2026-11-25T12:00:00Z"]);
      assert.deepEqual((await store.live.deadLetters({ alert_id: "a0" })).map((l) => l.at), ["2026-11-25T12:00:03Z", "2026-11-25T12:00:00Z"]);
      assert.equal(await store.live.countDeadLetters(), 5);
      assert.equal(await store.live.countDeadLetters({ sink: "hook" }), 4);
      assert.equal(await store.live.deleteDeadLetters([list[0]!.id, list[1]!.id, 999_999]), 2);
      assert.equal(await store.live.countDeadLetters(), 3);
      assert.equal(await store.live.deleteDeadLetters([]), 0);
    });

    it("the inventory stamp moves with every import and model change", async () => {
      const store: Store = await c.fresh();
      const s0 = await store.live.inventoryStamp();
      assert.equal(await store.live.inventoryStamp(), s0);
      await importRows(store, [serializeDevice({ device_id: "d1" })]);
      const s1 = await store.live.inventoryStamp();
      assert.notEqual(s1, s0);
      await importRows(store, [serializeDevice({ device_id: "d1", firmware_version: "2" })]);
      const s2 = await store.live.inventoryStamp();
      assert.notEqual(s2, s1);
      await store.fleet.upsertModels([{ model_id: "m1" }]);
      const s3 = await store.live.inventoryStamp();
      assert.notEqual(s3, s2);
      await store.fleet.upsertModels([{ model_id: "m1", name: "Meter" }]);
      assert.notEqual(await store.live.inventoryStamp(), s3);
    });
  });
}
