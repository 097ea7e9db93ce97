/**
 * Live ingest in the encodings senders use (issue 18 item 12): an HTTP body's charset says how to read it, UTF-16 is
 * read by its byte order mark, and a body (or a followed log) that is not UTF-8 is read as Windows-1252 from its
 * first invalid byte, with that line in the answer (or the log) — never a silent U+FFFD. The journal keeps the
 * charset, so a restart reads a body as it was read when taken.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LongwatchError } from "../../src/core/errors.ts";
import { charsetOf } from "../../src/serve/pipeline/media-types.ts";
import { createPipeline, pipelineConfig } from "../../src/serve/pipeline/index.ts";
import { openStore } from "../../src/store/open.ts";
import { tmpDir } from "../helpers/tmp.ts";

const T0 = Date.parse("2026-11-24T10:00:00Z");
const CSV = "ts,device_id,kind,metric,value\n2026-11-24T10:00:00Z,Zähler,metric,temp,21\n2026-11-24T10:00:01Z,Zähler,metric,temp,22\n";
const cp1252 = Buffer.from(CSV, "latin1"); // ä is 0xE4 in both
const config = (extra: Record<string, unknown> = {}) => pipelineConfig({ detection: { idle_ms: 1e15 }, checkpoint: { interval_s: 3600 }, audit: { every_minutes: 0, on_inventory_change: false }, ...extra });

describe("live ingest: text encodings", () => {
  it("charsetOf reads the Content-Type's charset by the WHATWG labels, and refuses one it does not know", () => {
    assert.equal(charsetOf("text/csv"), undefined);
    assert.equal(charsetOf("text/csv; charset=UTF-8"), "utf-8");
    assert.equal(charsetOf('text/csv;charset="utf-16"'), "utf-16le");
    assert.equal(charsetOf("text/csv; charset=ISO-8859-1"), "windows-1252");
    assert.equal(charsetOf("application/x-ndjson; charset=windows-1252"), "windows-1252");
    for (const label of ["constructor", "__proto__", "toString"]) assert.throws(() => charsetOf(`text/csv; charset=${label}`), { code: "unsupported_media_type" }, label);
    assert.throws(() => charsetOf("text/csv; charset=ebcdic"), (e: unknown) => e instanceof LongwatchError && e.code === "unsupported_media_type" && /charset ebcdic is not one Longwatch reads/.test(e.message));
  });

  it("reads a body by its charset or BOM, answers where one is not UTF-8, and replays the journal the same way", async () => {
    const tmp = tmpDir();
    const url = `sqlite:${join(tmp.dir, "s.db")}`;
    const store = await openStore(url);
    const clock = () => T0 + 60_000;
    const p = createPipeline({ store, config: config(), clock });
    await p.start();
    const told = await p.ingest(cp1252, "csv", { encoding: "windows-1252" });
    assert.deepEqual([told.accepted, told.rejected, told.warnings], [2, 0, undefined]);
    const guessed = await p.ingest(cp1252, "csv");
    assert.equal(guessed.accepted, 2);
    assert.deepEqual(guessed.warnings, [{ line: 2, reason: "not valid UTF-8 at byte 53: read as Windows-1252 from there (send a charset to choose: utf-8, utf-16le, utf-16be, windows-1252)", offset: 53 }]);
    const u16 = await p.ingest(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(CSV, "utf16le").swap16()]), "auto");
    assert.deepEqual([u16.accepted, u16.rejected, u16.warnings], [2, 0, undefined]);
    const ok = await p.ingest(CSV, "csv");
    assert.equal(ok.warnings, undefined);
    // Stopped without a checkpoint of these bodies: the next start replays them from the journal, charset and all.
    const m = p.metrics();
    assert.equal(m.records_in.http, 8);
    await store.close();
    const again = await openStore(url);
    const q = createPipeline({ store: again, config: config(), clock });
    await q.start();
    assert.equal(q.metrics().journal.replayed_on_start, 4);
    await q.stop();
    const devices = new Set((await again.alerts.list({ limit: 1000 })).map((a) => a.device_id));
    assert.ok(![...devices].some((d) => d?.includes("\uFFFD")), [...devices].join(","));
    await again.close();
  });

  it("a followed log that is not UTF-8 is warned about once, with its line; its `encoding` reads it without a word", async () => {
    const tmp = tmpDir();
    const log = join(tmp.dir, "conn.log");
    const header = "#separator \\x09\n#fields\tts\tdevice_id\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\n";
    const line = (i: number) => Buffer.concat([Buffer.from(`${(T0 + i * 1000) / 1000}\tZ`), Buffer.from([0xe4]), Buffer.from(`hler\t10.0.0.1\t5000\t52.1.1.1\t443\ttcp\t${i}\n`)]);
    const run = async (follow: Record<string, unknown>) => {
      writeFileSync(log, Buffer.concat([Buffer.from(header), Buffer.from(`${T0 / 1000}\tplain\t10.0.0.1\t5000\t52.1.1.1\t443\ttcp\t1\n`)]));
      const store = await openStore(`sqlite:${join(tmp.dir, `f-${Math.random()}.db`)}`);
      const logs: string[] = [];
      const p = createPipeline({ store, config: config({ follow: [{ path: log, ...follow }] }), clock: () => T0 + 60_000, log: (level, message) => logs.push(`${level} ${message}`) });
      await p.start();
      const lines = async (n: number) => {
        for (let i = 0; i < 200 && (p.metrics().sources?.zeek[0]?.lines ?? 0) < n; i++) await new Promise((r) => setTimeout(r, 25));
      };
      // The bad bytes come in later chunks, which are decoded apart (a header, then their lines): the warning still
      // names the line and byte in the file, once.
      await lines(1);
      appendFileSync(log, line(1));
      await lines(2);
      appendFileSync(log, line(2));
      await lines(3);
      await p.stop();
      await store.close();
      return logs.filter((l) => /UTF|Windows-1252/.test(l));
    };
    const first = await run({});
    const at = readFileSync(log).indexOf(0xe4);
    assert.deepEqual(first, [`warn ${log}:5: not valid UTF-8 at byte ${at}: read as Windows-1252 from there (give the followed log's encoding to choose)`]);
    assert.deepEqual(await run({ encoding: "windows-1252" }), []);
  });

  it("an MQTT payload that is not UTF-8 is logged once per topic, with its line", async () => {
    const tmp = tmpDir();
    const store = await openStore(`sqlite:${join(tmp.dir, "m.db")}`);
    const logs: string[] = [];
    const p = createPipeline({ store, config: config(), clock: () => T0 + 60_000, log: (level, message) => logs.push(`${level} ${message}`) });
    await p.start();
    // What the MQTT source hands over (its subscriber is tested on a real broker elsewhere).
    const msg = (topic: string, payload: Buffer) => ({ topic, payload, template: "t", qos: 1 as const, redelivered: false, receivedAt: T0, origin: `mqtt://broker/${topic}` });
    const ingestMqtt = (p as unknown as { ingestMqtt(b: unknown[]): Promise<{ accepted: number }> }).ingestMqtt.bind(p);
    const r = await ingestMqtt([msg("fleet/a", cp1252), msg("fleet/a", cp1252), msg("fleet/b", Buffer.from(CSV))]);
    assert.equal(r.accepted, 6);
    await p.stop();
    await store.close();
    assert.deepEqual(logs.filter((l) => /UTF/.test(l)), ["warn mqtt://broker/fleet/a:2: not valid UTF-8 at byte 53: read as Windows-1252 from there (an MQTT payload has no charset: publish UTF-8)"]);
  });
});
