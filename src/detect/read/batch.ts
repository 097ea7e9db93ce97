/**
 * Record batches in shared memory, for reading on a worker thread (threaded.ts). A batch slot holds up to ROWS decoded
 * records as rows of typed arrays — cell ranges, numbers and hashes per field, timestamp, kind, event, line — and the
 * bytes their cells point into. The worker's readers fill records as usual and `Rec.writeRow` copies each into a row;
 * the replay thread shows a row to the engine with `Rec.showRow`, which only re-points the record's arrays at it, so
 * nothing is decoded twice. The input's bytes are copied in bulk, not per record (see read-worker.ts).
 */
import { FIELD_COUNT } from "./fields.ts";

export const ROWS = 2048;
/** A slot's bytes: the input's bytes its records span, then the bytes of cells set from strings (quoted CSV, JSON). */
export const LINE_BYTES = 1 << 20;
export const SCRATCH_BYTES = 1 << 18;
const SLOT_BYTES = LINE_BYTES + SCRATCH_BYTES;

export interface Slot {
  readonly sab: SharedArrayBuffer;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly num: Float64Array;
  readonly hash: Int32Array;
  readonly ts: Float64Array;
  readonly line: Float64Array;
  readonly kind: Int8Array;
  readonly event: Int8Array;
  readonly bytes: Uint8Array;
}

const FC = FIELD_COUNT;
// Byte offsets of the arrays in a slot's buffer (8-byte aligned).
const NUM = 0;
const TS = NUM + ROWS * FC * 8;
const LINE = TS + ROWS * 8;
const START = LINE + ROWS * 8;
const END = START + ROWS * FC * 4;
const HASH = END + ROWS * FC * 4;
const KIND = HASH + ROWS * FC * 4;
const EVENT = KIND + ROWS;
const BYTES = EVENT + ROWS;
const TOTAL = BYTES + SLOT_BYTES;

export function newSlotBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(TOTAL);
}

export function slotOf(sab: SharedArrayBuffer): Slot {
  return {
    sab,
    num: new Float64Array(sab, NUM, ROWS * FC),
    ts: new Float64Array(sab, TS, ROWS),
    line: new Float64Array(sab, LINE, ROWS),
    start: new Int32Array(sab, START, ROWS * FC),
    end: new Int32Array(sab, END, ROWS * FC),
    hash: new Int32Array(sab, HASH, ROWS * FC),
    kind: new Int8Array(sab, KIND, ROWS),
    event: new Int8Array(sab, EVENT, ROWS),
    bytes: new Uint8Array(sab, BYTES, SLOT_BYTES),
  };
}

/** Makes every row of a slot an empty record (no cells, no numbers, no hashes), ready for `Rec.writeRow`. */
export function clearSlot(slot: Slot): void {
  slot.start.fill(-1);
  slot.num.fill(NaN);
  slot.hash.fill(0);
}

/** Per-row views of a slot, made once, so showing a row allocates nothing. */
export interface RowViews {
  readonly slot: Slot;
  readonly start: Int32Array[];
  readonly end: Int32Array[];
  readonly num: Float64Array[];
  readonly hash: Int32Array[];
}

export function rowViews(slot: Slot): RowViews {
  const rows = (a: Int32Array) => Array.from({ length: ROWS }, (_, k) => a.subarray(k * FC, (k + 1) * FC));
  return { slot, start: rows(slot.start), end: rows(slot.end), hash: rows(slot.hash), num: Array.from({ length: ROWS }, (_, k) => slot.num.subarray(k * FC, (k + 1) * FC)) };
}
