/**
 * `serve --nats` reads a body's text as the in-process pipeline does (issue 18 item 12): by its charset, UTF-16 by its
 * BOM, Windows-1252 from the first byte that is not UTF-8 with that line in the answer; what reaches JetStream is
 * UTF-8, and the charset is part of the body's message id. Real nats-server (the shared one), a SQLite store.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Rec } from "../../src/detect/read/rec.ts";
import { BatchSource } from "../../src/scale/batch.ts";
import { connectNats, manager } from "../../src/scale/nats.ts";
import { pipelineConfig } from "../../src/serve/pipeline/index.ts";
import { NatsIngest } from "../../src/serve/pipeline/nats-ingest.ts";
import { openStore } from "../../src/store/open.ts";
import { SHARED_NATS, sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { tmpDir } from "../helpers/tmp.ts";

/** Every message of a stream, in order (not imported from publish.test.ts: that would run its tests too). */
async function readStreamMessages(stream: string): Promise<{ subject: string; body: Uint8Array }[]> {
  const nc = await connectNats(SHARED_NATS, "test read");
  try {
    const jsm = await manager(nc);
    const info = await jsm.streams.info(stream);
    const out: { subject: string; body: Uint8Array }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = (await jsm.streams.getMessage(stream, { seq }))!;
      out.push({ subject: m.subject, body: m.data });
    }
    return out;
  } finally {
    await nc.close();
  }
}

const missing = await sharedNatsMissing();
const CSV = "ts,device_id,kind,metric,value\n2026-11-24T10:00:00Z,Zähler,metric,temp,21\n";

test("serve --nats decodes bodies by charset or BOM, answers where one is not UTF-8, publishes UTF-8", { skip: missing }, async () => {
  const tmp = tmpDir();
  const store = await openStore(`sqlite:${join(tmp.dir, "s.db")}`);
  const { stream, prefix } = testStream();
  const ingest = new NatsIngest({ store, config: pipelineConfig({ audit: { every_minutes: 0, on_inventory_change: false } }), nats: { url: SHARED_NATS, stream, prefix, partitions: 2 }, clock: () => Date.parse("2026-11-25T00:00:00Z"), sources: false });
  await ingest.start();
  try {
    const cp = Buffer.from(CSV, "latin1");
    const told = await ingest.ingest(cp, "csv", { encoding: "windows-1252" });
    assert.deepEqual([told.accepted, told.warnings], [1, undefined]);
    const guessed = await ingest.ingest(cp, "csv");
    assert.equal(guessed.accepted, 1);
    assert.deepEqual(guessed.warnings, [{ line: 2, offset: 53, reason: "not valid UTF-8 at byte 53: read as Windows-1252 from there (send a charset to choose: utf-8, utf-16le, utf-16be, windows-1252)" }]);
    const u16 = await ingest.ingest(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CSV, "utf16le")]), "auto");
    assert.deepEqual([u16.accepted, u16.rejected, u16.warnings], [1, 0, undefined]);
    const ids: string[] = [];
    const rec = new Rec();
    const msgs = await readStreamMessages(stream);
    for (const m of msgs) for (const src = new BatchSource(m.subject, m.body); src.next(rec); ) ids.push(rec.fields().device_id!);
    // Three messages: the same bytes with and without a charset are two bodies (their ids differ), not one deduplicated.
    assert.deepEqual(ids, ["Zähler", "Zähler", "Zähler"]);
  } finally {
    await ingest.stop();
    await store.close();
  }
});
