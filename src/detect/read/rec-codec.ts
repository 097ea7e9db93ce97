/**
 * A decoded record as bytes, and back: what sorting (sort.ts) and live ingest's reorder buffer keep of a record while
 * it waits for its turn. Each cell keeps its text, number and hash, so a record read back is exactly the record that
 * was written — it is not decoded again.
 *
 * Layout (little-endian): u32 total length, u8 kind, i8 event, u8 field count, u8 Zeek flag, u32 source, u32 zero,
 * f64 ts, f64 began, f64 line (a float: files of more than 2^32 lines exist); then per cell u8 field, three zero
 * bytes, u32 text length, i32 hash, f64 number, and the text's bytes.
 */
import { FIELD_COUNT } from "./fields.ts";
import type { Rec } from "./rec.ts";

const HEAD = 40;
const CELL = 20;
/** Cells up to this many bytes are copied byte by byte. */
const SHORT_CELL = 64;

/** Bytes `rec` takes encoded. */
export function encodedSize(rec: Rec): number {
  let n = HEAD;
  for (let f = 0; f < FIELD_COUNT; f++) if (rec.has(f)) n += CELL + rec.fieldEnd(f) - rec.fieldStart(f);
  return n;
}

/** Writes `rec` at `at` (encodedSize bytes must fit); returns the offset after it. */
export function encodeRec(rec: Rec, out: Uint8Array, view: DataView, at: number): number {
  let p = at + HEAD;
  let cells = 0;
  for (let f = 0; f < FIELD_COUNT; f++) {
    if (!rec.has(f)) continue;
    const b = rec.fieldBuf(f);
    const s = rec.fieldStart(f);
    const len = rec.fieldEnd(f) - s;
    view.setUint32(p, f, true);
    view.setUint32(p + 4, len, true);
    view.setInt32(p + 8, rec.hash[f]!, true);
    view.setFloat64(p + 12, rec.num[f]!, true);
    // Cells are short: a loop copies them without the view `subarray` makes (half of encoding's time otherwise).
    const to = p + CELL;
    if (len <= SHORT_CELL) for (let k = 0; k < len; k++) out[to + k] = b[s + k]!;
    else out.set(b.subarray(s, s + len), to);
    p += CELL + len;
    cells++;
  }
  view.setUint32(at, p - at, true);
  view.setUint8(at + 4, rec.kind);
  view.setInt8(at + 5, rec.event);
  view.setUint8(at + 6, cells);
  view.setUint8(at + 7, rec.zeekTime ? 1 : 0);
  view.setUint32(at + 8, rec.source, true);
  view.setUint32(at + 12, 0, true);
  view.setFloat64(at + 16, rec.ts, true);
  view.setFloat64(at + 24, rec.began, true);
  view.setFloat64(at + 32, rec.line, true);
  return p;
}

/** The event time of the record encoded at `at`, without decoding it. */
export function encodedTs(view: DataView, at: number): number {
  return view.getFloat64(at + 16, true);
}

/** Length in bytes of the record encoded at `at`. */
export function encodedLength(view: DataView, at: number): number {
  return view.getUint32(at, true);
}

/** Fills `rec` from the record encoded at `at` in `buf`; its cells point into `buf`, so keep `buf` while it is used. */
export function decodeRec(rec: Rec, buf: Uint8Array, view: DataView, at: number): void {
  rec.reset(buf);
  const cells = view.getUint8(at + 6);
  let p = at + HEAD;
  for (let i = 0; i < cells; i++) {
    const f = view.getUint8(p);
    const len = view.getUint32(p + 4, true);
    rec.setDecoded(f, p + CELL, p + CELL + len, view.getFloat64(p + 12, true), view.getInt32(p + 8, true));
    p += CELL + len;
  }
  rec.kind = view.getUint8(at + 4);
  rec.event = view.getInt8(at + 5);
  rec.zeekTime = view.getUint8(at + 7) === 1;
  rec.source = view.getUint32(at + 8, true);
  rec.ts = view.getFloat64(at + 16, true);
  rec.began = view.getFloat64(at + 24, true);
  rec.line = view.getFloat64(at + 32, true);
}
