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

/**
 * UTF-8 length of a string; an ASCII one (topics, identifier fields and values mostly are) counted in a loop — a
 * native Buffer.byteLength and Buffer.write per string were a third of encoding a batch of one-record messages.
 */
function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return n;
}

/** Writes `s` as UTF-8 at `at` (its utf8Length bytes; ASCII byte by byte, anything else by Buffer.write). */
function putString(out: Buffer, s: string, at: number, bytes: number): void {
  if (bytes !== s.length) {
    out.write(s, at);
    return;
  }
  for (let i = 0; i < bytes; i++) out[at + i] = s.charCodeAt(i);
}

/** One journal body for a batch. Strings are written straight into it (no Buffer per topic, field and value). */
export function encodeFrames(messages: readonly FramedMessage[]): Buffer {
  let size = 0;
  for (const m of messages) {
    const tl = utf8Length(m.topic);
    const fl = m.identifier ? utf8Length(m.identifier.field) : 0;
    const vl = m.identifier ? utf8Length(m.identifier.value) : 0;
    if (tl > 0xffff || fl > 0xff || vl > 0xffff) throw new LongwatchError("invalid_input", `MQTT topic ${m.topic.slice(0, 80)}: too long to journal`);
    size += 2 + tl + 1 + 1 + fl + 2 + vl + 4 + m.payload.byteLength;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of messages) {
    const tl = utf8Length(m.topic);
    out.writeUInt16LE(tl, at);
    putString(out, m.topic, at + 2, tl);
    at += 2 + tl;
    out[at++] = m.redelivered ? 1 : 0;
    const fl = m.identifier ? utf8Length(m.identifier.field) : 0;
    out[at] = fl;
    if (m.identifier) putString(out, m.identifier.field, at + 1, fl);
    at += 1 + fl;
    const vl = m.identifier ? utf8Length(m.identifier.value) : 0;
    out.writeUInt16LE(vl, at);
    if (m.identifier) putString(out, m.identifier.value, at + 2, vl);
    at += 2 + vl;
    at = out.writeUInt32LE(m.payload.byteLength, at);
    out.set(m.payload, at);
    at += m.payload.byteLength;
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
