/**
 * What a partition tells the fleet stage (docs/scale.md "The fleet stage"): the records its split detectors' device
 * parts answered a fact for (detector.ts DetectorSplit), each with the device as the partition named it, that
 * device's first-seen time and its order key, and the partition's watermark. One message per partition checkpoint,
 * on `<prefix>.fleet.<partition>`.
 *
 * Layout (little-endian): "LWF1", u32 partition, f64 first fact index, f64 index after the last, f64 watermark (the
 * event time through which the partition has processed its records; +Infinity once it went quiet and processed
 * everything it held), f64 records the partition had taken in, u8 detector count and per detector u8 length + its id
 * (UTF-8), u32 fact count; then per fact: u32 length, f64 order key, f64 first-seen (ms), u16 device length + the
 * device (UTF-8), i32 fact per detector (-1: none), and the record (rec-codec).
 *
 * The index numbers the partition's facts from its first record on; it is checkpointed with the partition, which
 * processes its records in the same order after any crash and so numbers the same facts the same way: the fleet
 * stage takes each index once, whatever messages a crashed owner left behind.
 */
import { LongwatchError } from "../core/errors.ts";
import { decodeRec, encodedSize, encodeRec } from "../detect/read/rec-codec.ts";
import type { Rec } from "../detect/read/rec.ts";

const MAGIC = [0x4c, 0x57, 0x46, 0x31]; // "LWF1"
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export interface FactsHeader {
  partition: number;
  /** Facts [from, to) of the partition. */
  from: number;
  to: number;
  watermark: number;
  /** Records the partition had taken in (accepted and rejected) when it wrote this. */
  records: number;
  /** The detectors the facts are for, in their order in each fact. */
  detectors: readonly string[];
}

/** Collects a partition's facts until its next checkpoint writes them out. */
export class FactWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private at = 0;
  /** Where each fact starts. */
  private starts: number[] = [];
  count = 0;

  /** One fact: its record, order key, device name (UTF-8 bytes, copied here), the device's first-seen time and facts. */
  add(rec: Rec, key: number, device: Uint8Array | string, firstSeen: number, facts: ArrayLike<number>, encoded?: { buf: Uint8Array | undefined; at: number; len: number }): void {
    const name = typeof device === "string" ? encoder.encode(device) : device;
    if (name.length > 0xffff) throw new LongwatchError("invalid_input", `device name of ${name.length} bytes: too long for a fleet fact`);
    // The record's rec-codec bytes when the caller has them (live.ts `ingesting`): copied, not encoded again.
    const bytes = encoded?.buf;
    const size = 4 + 16 + 2 + name.length + 4 * facts.length + (bytes ? encoded!.len : encodedSize(rec));
    this.room(size);
    const v = this.view;
    let p = this.at;
    this.starts.push(p);
    v.setUint32(p, size, true);
    v.setFloat64(p + 4, key, true);
    v.setFloat64(p + 12, firstSeen, true);
    v.setUint16(p + 20, name.length, true);
    this.buf.set(name, p + 22);
    p += 22 + name.length;
    for (let i = 0; i < facts.length; i++, p += 4) v.setInt32(p, facts[i]!, true);
    if (bytes) {
      this.buf.set(bytes.subarray(encoded!.at, encoded!.at + encoded!.len), p);
      this.at = p + encoded!.len;
    } else this.at = encodeRec(rec, this.buf, v, p);
    this.count++;
  }

  /**
   * The message bodies with the facts so far (they stay until `clear`: a failed checkpoint sends them again), each
   * at most about `maxBytes` (a broker refuses messages over its max_payload, 1 MiB by default). A body that is not
   * the last says, as its watermark, the key of the next body's first fact — what the partition has said through.
   */
  bodies(h: Omit<FactsHeader, "to">, maxBytes = 512 << 10): Uint8Array[] {
    if (this.count === 0) return [this.body(h, 0, 0, h.watermark)];
    const out: Uint8Array[] = [];
    for (let first = 0; first < this.count; ) {
      let last = first + 1;
      while (last < this.count && this.end(last) - this.starts[first]! <= maxBytes) last++;
      const watermark = last < this.count ? this.view.getFloat64(this.starts[last]! + 4, true) : h.watermark;
      out.push(this.body(h, first, last, watermark));
      first = last;
    }
    return out;
  }

  /** Where fact i ends. */
  private end(i: number): number {
    return i + 1 < this.count ? this.starts[i + 1]! : this.at;
  }

  private body(h: Omit<FactsHeader, "to">, first: number, last: number, watermark: number): Uint8Array {
    const ids = h.detectors.map((d) => encoder.encode(d));
    const headLen = 4 + 4 + 32 + 1 + ids.reduce((n, b) => n + 1 + b.length, 0) + 4;
    const s = last > first ? this.starts[first]! : 0;
    const e = last > first ? this.end(last - 1) : 0;
    const out = new Uint8Array(headLen + e - s);
    const v = new DataView(out.buffer);
    out.set(MAGIC, 0);
    v.setUint32(4, h.partition, true);
    v.setFloat64(8, h.from + first, true);
    v.setFloat64(16, h.from + last, true);
    v.setFloat64(24, watermark, true);
    v.setFloat64(32, h.records, true);
    let p = 40;
    v.setUint8(p++, ids.length);
    for (const b of ids) {
      v.setUint8(p++, b.length);
      out.set(b, p);
      p += b.length;
    }
    v.setUint32(p, last - first, true);
    out.set(this.buf.subarray(s, e), headLen);
    return out;
  }

  clear(): void {
    this.at = 0;
    this.count = 0;
    this.starts = [];
  }

  private room(size: number): void {
    if (this.at + size <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + size));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

/** The partition and the records it had taken in, from a facts message's header alone (progress, for bench:scale). */
export function factsProgress(body: Uint8Array): { partition: number; records: number } {
  if (body.length < 45 || MAGIC.some((m, i) => body[i] !== m)) throw new LongwatchError("invalid_input", "fleet facts message: no LWF1 header");
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return { partition: v.getUint32(4, true), records: v.getFloat64(32, true) };
}

/** One fact as read: where it is in its message body. */
export interface FactAt {
  key: number;
  body: Uint8Array;
  view: DataView;
  /** Offset of the fact (its length field). */
  at: number;
}

/** A message body's header and facts; a foreign or cut body is `invalid_input`, naming what is wrong. */
export function readFacts(body: Uint8Array): { header: FactsHeader; facts: FactAt[] } {
  const bad = (why: string) => new LongwatchError("invalid_input", `fleet facts message: ${why}`);
  if (body.length < 45 || MAGIC.some((m, i) => body[i] !== m)) throw bad("no LWF1 header");
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const detectors: string[] = [];
  let p = 40;
  const n = v.getUint8(p++);
  for (let i = 0; i < n; i++) {
    const len = p < body.length ? v.getUint8(p) : Infinity;
    if (p + 1 + len > body.length) throw bad("cut short in its detector ids");
    detectors.push(decoder.decode(body.subarray(p + 1, p + 1 + len)));
    p += 1 + len;
  }
  if (p + 4 > body.length) throw bad("cut short before its fact count");
  const count = v.getUint32(p, true);
  p += 4;
  const header: FactsHeader = { partition: v.getUint32(4, true), from: v.getFloat64(8, true), to: v.getFloat64(16, true), watermark: v.getFloat64(24, true), records: v.getFloat64(32, true), detectors };
  if (header.to - header.from !== count) throw bad(`says facts ${header.from}-${header.to} but holds ${count}`);
  const facts: FactAt[] = [];
  for (let i = 0; i < count; i++) {
    const len = p + 4 <= body.length ? v.getUint32(p, true) : 0;
    if (len < 22 + 4 * n + 40 || p + len > body.length) throw bad(`fact ${header.from + i} cut short`);
    facts.push({ key: v.getFloat64(p + 4, true), body, view: v, at: p });
    p += len;
  }
  return { header, facts };
}

/** Fills `rec` from a fact and answers its device (its UTF-8 bytes, a view of the body), first-seen time and facts
 * (into `out`, by `order`: the reader's detector → index in the message, -1 when the message has no fact for it). */
export function decodeFact(f: FactAt, detectors: number, order: readonly number[], rec: Rec, out: Int32Array): { device: Uint8Array; firstSeen: number } {
  const v = f.view;
  const firstSeen = v.getFloat64(f.at + 12, true);
  const nameLen = v.getUint16(f.at + 20, true);
  const device = f.body.subarray(f.at + 22, f.at + 22 + nameLen);
  const factsAt = f.at + 22 + nameLen;
  for (let i = 0; i < order.length; i++) out[i] = order[i]! < 0 ? -1 : v.getInt32(factsAt + 4 * order[i]!, true);
  decodeRec(rec, f.body, v, factsAt + 4 * detectors);
  return { device, firstSeen };
}

/** Bytes of one fact, for keeping it past its message. */
export function factLength(f: FactAt): number {
  return f.view.getUint32(f.at, true);
}
