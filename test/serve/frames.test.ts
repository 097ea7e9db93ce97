/** The journal's MQTT batch body: the same bytes as the encoding journals were written with, read back as it came. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFrames, encodeFrames, type FramedMessage } from "../../src/serve/pipeline/frames.ts";

/** The layout (frames.ts) written field by field from Buffers, as the first encoder did: journals on disk hold this. */
function reference(messages: readonly FramedMessage[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) {
    const topic = Buffer.from(m.topic);
    const field = Buffer.from(m.identifier?.field ?? "");
    const value = Buffer.from(m.identifier?.value ?? "");
    const n = (bytes: number, v: number) => {
      const b = Buffer.alloc(bytes);
      b.writeUIntLE(v, 0, bytes);
      return b;
    };
    parts.push(n(2, topic.length), topic, n(1, m.redelivered ? 1 : 0), n(1, field.length), field, n(2, value.length), value, n(4, m.payload.byteLength), Buffer.from(m.payload));
  }
  return Buffer.concat(parts);
}

test("an MQTT batch journals as the reference layout and reads back as it came", () => {
  const batch: FramedMessage[] = [
    { topic: "fleet/dev-1/records", payload: Buffer.from('{"ts":1}'), redelivered: false, identifier: { field: "device_id", value: "dev-1" } },
    { topic: "fleet/gerät-ü/records", payload: new Uint8Array(0), redelivered: true, identifier: { field: "device_id", value: "gerät-ü" } },
    { topic: "raw/x", payload: Buffer.alloc(70_000, 7), redelivered: false },
    { topic: "", payload: Buffer.from("[]"), redelivered: true },
    { topic: "t/".repeat(1000), payload: Buffer.from("{}"), redelivered: false, identifier: { field: "imei", value: "" } },
    // ASCII is written byte by byte, anything else by Buffer.write: a non-ASCII character last, DEL.
    { topic: "fleet/dev-2/recordsé", payload: Buffer.from("{}"), redelivered: false, identifier: { field: "device_id", value: "a\u007fb" } },
  ];
  for (const b of [batch, batch.slice(0, 1), []]) {
    const bytes = encodeFrames(b);
    assert.deepEqual(bytes, reference(b));
    const back = decodeFrames(bytes);
    assert.deepEqual(
      back.map((m) => [m.topic, Buffer.from(m.payload).toString("hex"), m.redelivered, m.identifier?.field ?? "", m.identifier?.value ?? ""]),
      b.map((m) => [m.topic, Buffer.from(m.payload).toString("hex"), m.redelivered, m.identifier?.field ?? "", m.identifier?.value ?? ""]),
    );
  }
  // A lone surrogate is written as Buffer.from writes it (U+FFFD), so it does not read back as it came, as before.
  const lone: FramedMessage[] = [{ topic: "t/\ud800", payload: Buffer.from("{}"), redelivered: false, identifier: { field: "device_id", value: "x\udc00y" } }];
  assert.deepEqual(encodeFrames(lone), reference(lone));
  assert.throws(() => encodeFrames([{ topic: "x".repeat(70_000), payload: new Uint8Array(0), redelivered: false }]), /too long to journal/);
});
