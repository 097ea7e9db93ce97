/**
 * `publish`: every record reaches its device's partition whichever identifier it carries (resolved through the
 * inventory, IP addresses through the sessions that hold them), bad records are rejected with file and line and
 * not published, and publishing the same files again adds nothing (Nats-Msg-Id deduplication). Real nats-server.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { Device } from "../../src/core/fleet.ts";
import { Rec } from "../../src/detect/read/rec.ts";
import { BatchSource } from "../../src/scale/batch.ts";
import { connectNats, ensureStream, manager } from "../../src/scale/nats.ts";
import { partitionOf } from "../../src/scale/partition.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { main } from "../../src/cli/main.ts";
import { SHARED_NATS, sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { tmpDir } from "../helpers/tmp.ts";

const missing = await sharedNatsMissing();

/** Every message of a stream, in stream order. */
export async function readStreamMessages(url: string, stream: string): Promise<{ subject: string; seq: number; body: Uint8Array }[]> {
  const nc = await connect({ servers: new URL(url).host });
  const js = jetstream(nc);
  const info = await (await jetstreamManager(nc)).streams.info(stream);
  const out: { subject: string; seq: number; body: Uint8Array }[] = [];
  const c = await js.consumers.get(stream);
  while (out.length < info.state.messages) {
    const batch = await c.fetch({ max_messages: 500, expires: 2000 });
    for await (const m of batch) out.push({ subject: m.subject, seq: m.seq, body: m.data });
  }
  await nc.close();
  return out;
}

const devices: Device[] = Array.from({ length: 40 }, (_, i) => ({
  device_id: `meter-${i}`,
  imei: `35209900${String(176148 + i).padStart(7, "0")}`,
  iccid: `894450123456789${String(i).padStart(4, "0")}`,
  mqtt_client_id: `client-${i}`,
}) as Device);

function records(): string {
  const lines: string[] = [];
  const t0 = Date.parse("2026-11-20T00:00:00Z");
  for (let k = 0; k < 25; k++) {
    for (let i = 0; i < devices.length; i++) {
      const d = devices[i]!;
      const ts = new Date(t0 + (k * devices.length + i) * 1000).toISOString();
      const id = [`"device_id":"${d.device_id}"`, `"imei":"${d.imei}"`, `"iccid":"${d.iccid}"`, `"mqtt_client_id":"${d.mqtt_client_id}"`][k % 4];
      if (k === 0) lines.push(`{"ts":"${ts}","kind":"connectivity","event":"session_start",${id},"ip":"10.1.0.${i + 1}"}`);
      else if (k % 5 === 1) lines.push(`{"ts":"${ts}","kind":"flow","src_ip":"10.1.0.${i + 1}","dst_ip":"93.184.216.34","dst_port":443,"proto":"tcp","bytes_out":100,"conn_state":"SF"}`);
      else lines.push(`{"ts":"${ts}","kind":"connectivity","event":"session_update",${id},"bytes_up":${k}}`);
    }
  }
  lines.splice(7, 0, `{"ts":"not a time","kind":"connectivity","device_id":"meter-1"}`);
  return `${lines.join("\n")}\n`;
}

test("records reach their device's partition, bad ones are rejected, a re-run is deduplicated", { skip: missing }, async () => {
  const tmp = tmpDir();
  const file = tmp.write("records.ndjson", records());
  const { stream, prefix } = testStream();
  const nc = await connectNats(SHARED_NATS, "test");
  try {
    const layout = await ensureStream(await manager(nc), { stream, prefix, partitions: 4, window: 64 });
    const rejects: string[] = [];
    const o = { files: [file], nc, layout, batch: 16, inventory: { devices, models: [] }, clock: () => Date.parse("2026-12-01T00:00:00Z"), onReject: (f: string, line: number, why: string) => rejects.push(`${f}:${line}: ${why}`) };
    const first = await publishFiles(o);
    assert.equal(first.read, 1000);
    assert.equal(first.published, 1000);
    assert.equal(first.rejected, 1);
    assert.match(rejects[0]!, /records\.ndjson:8: .*ts/);
    assert.equal(first.duplicates, 0);
    assert.ok(first.messages > 1000 / 16, "many records per message, partitions flushed by window");

    const msgs = await readStreamMessages(SHARED_NATS, stream);
    assert.equal(msgs.length, first.messages);
    const rec = new Rec();
    let n = 0;
    const key = (r: Rec) => {
      for (const f of ["device_id", "imei", "iccid", "mqtt_client_id"] as const) {
        const v = r.fields()[f];
        if (v !== undefined) return devices.find((d) => d[f] === v)!.device_id;
      }
      const ip = r.fields().src_ip!;
      return `meter-${Number(ip.split(".")[3]) - 1}`;
    };
    for (const m of msgs) {
      const src = new BatchSource(m.subject, m.body);
      while (src.next(rec)) {
        n++;
        assert.equal(m.subject, `${prefix}.${partitionOf(key(rec), 4)}`, JSON.stringify(rec.fields()));
      }
    }
    assert.equal(n, 1000);

    const again = await publishFiles(o);
    assert.equal(again.messages, first.messages);
    assert.equal(again.duplicates, first.messages, "the same files give the same message ids");
    const info = await (await manager(nc)).streams.info(stream);
    assert.equal(info.state.messages, first.messages, "nothing stored twice");
  } finally {
    await nc.close();
  }
});

test("the CLI refuses a partition count that differs from the stream's", { skip: missing }, async () => {
  const tmp = tmpDir();
  const file = tmp.write("r.ndjson", `{"ts":"2026-11-20T00:00:00Z","kind":"connectivity","event":"attach","device_id":"x"}\n`);
  const { stream, prefix } = testStream();
  const run = async (...args: string[]) => {
    let out = "";
    let err = "";
    const io = { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) }, env: { NO_COLOR: "1" }, cwd: tmp.dir };
    const code = await main(["--data", tmp.dir, "publish", file, "--nats", SHARED_NATS, "--stream", stream, "--subject-prefix", prefix, ...args], io as never);
    return { code, out, err };
  };
  const ok = await run("--partitions", "3", "--format", "json");
  assert.equal(ok.code, 0, ok.err);
  assert.equal(JSON.parse(ok.out).published, 1);
  const bad = await run("--partitions", "5");
  assert.equal(bad.code, 1);
  assert.match(bad.err, /has 3 partitions, not 5/);
});

test("publish decodes UTF-16 and Windows-1252 record files (issue 18.12) and warns where a file is not UTF-8", { skip: missing }, async () => {
  const tmp = tmpDir();
  const text = `{"ts":"2026-11-20T00:00:00Z","kind":"connectivity","event":"attach","device_id":"Zähler"}\n{"ts":"2026-11-20T00:00:01Z","kind":"connectivity","event":"attach","device_id":"Zähler"}\n`;
  const u16 = tmp.write("u16.ndjson", "");
  writeFileSync(u16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
  const cp = tmp.write("cp.ndjson", "");
  writeFileSync(cp, Buffer.from(text, "latin1")); // ä is 0xE4 in both
  const { stream, prefix } = testStream();
  const nc = await connectNats(SHARED_NATS, "test");
  try {
    const layout = await ensureStream(await manager(nc), { stream, prefix, partitions: 2, window: 64 });
    const warnings: string[] = [];
    const stats = await publishFiles({ files: [u16, cp], nc, layout, clock: () => Date.parse("2026-12-01T00:00:00Z"), onWarning: (w) => warnings.push(w), onReject: (f, line, why) => assert.fail(`${f}:${line}: ${why}`) });
    assert.equal(stats.published, 4);
    assert.deepEqual(warnings, [`${cp}:1: not valid UTF-8 at byte 82: read as Windows-1252 from there (give --encoding utf-8|utf-16le|utf-16be|windows-1252|latin1 to choose)`]);
    const ids: string[] = [];
    const rec = new Rec();
    for (const m of await readStreamMessages(SHARED_NATS, stream)) for (const src = new BatchSource(m.subject, m.body); src.next(rec); ) ids.push(rec.fields().device_id!);
    assert.deepEqual(ids, ["Zähler", "Zähler", "Zähler", "Zähler"]);
  } finally {
    await nc.close();
  }
});
