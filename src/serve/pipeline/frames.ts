/**
 * How an MQTT batch is kept in the journal: one body holding every message (topic, payload, the identifier its topic
 * named, whether the broker marked it a redelivery), so a batch costs one journal row, and a restart reads the
 * messages back exactly as they arrived. Layout per message: u16 topic length, topic, u8 flags (1: redelivered),
 * u8 identifier-field length, field, u16 value length, value, u32 payload length, payload. Little-endian.
 */
import { LongwatchError } from "../../core/errors.ts";

export interface FramedMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly redelivered: boolean;
  readonly identifier?: { readonly field: string; readonly value: string };
}

export function encodeFrames(messages: readonly FramedMessage[]): Buffer {
  const parts = messages.map((m) => ({ m, topic: Buffer.from(m.topic), field: Buffer.from(m.identifier?.field ?? ""), value: Buffer.from(m.identifier?.value ?? "") }));
  const size = parts.reduce((n, p) => n + 2 + p.topic.length + 1 + 1 + p.field.length + 2 + p.value.length + 4 + p.m.payload.byteLength, 0);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) {
    if (p.topic.length > 0xffff || p.field.length > 0xff || p.value.length > 0xffff) throw new LongwatchError("invalid_input", `MQTT topic ${p.m.topic.slice(0, 80)}: too long to journal`);
    at = out.writeUInt16LE(p.topic.length, at);
    at += p.topic.copy(out, at);
    at = out.writeUInt8(p.m.redelivered ? 1 : 0, at);
    at = out.writeUInt8(p.field.length, at);
    at += p.field.copy(out, at);
    at = out.writeUInt16LE(p.value.length, at);
    at += p.value.copy(out, at);
    at = out.writeUInt32LE(p.m.payload.byteLength, at);
    out.set(p.m.payload, at);
    at += p.m.payload.byteLength;
  }
  return out;
}

export function decodeFrames(body: Uint8Array): FramedMessage[] {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: FramedMessage[] = [];
  const need = (at: number, n: number) => {
    if (at + n > b.length) throw new LongwatchError("state_invalid", "journal: an MQTT batch is cut short");
  };
  for (let at = 0; at < b.length; ) {
    need(at, 2);
    const tl = b.readUInt16LE(at);
    at += 2;
    need(at, tl + 2);
    const topic = b.toString("utf8", at, at + tl);
    at += tl;
    const redelivered = b[at++] === 1;
    const fl = b[at++]!;
    need(at, fl + 2);
    const field = b.toString("utf8", at, at + fl);
    at += fl;
    const vl = b.readUInt16LE(at);
    at += 2;
    need(at, vl + 4);
    const value = b.toString("utf8", at, at + vl);
    at += vl;
    const pl = b.readUInt32LE(at);
    at += 4;
    need(at, pl);
    const payload = b.subarray(at, at + pl);
    at += pl;
    out.push({ topic, payload, redelivered, ...(fl > 0 ? { identifier: { field, value } } : {}) });
  }
  return out;
}
