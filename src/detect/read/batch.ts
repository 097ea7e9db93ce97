/**
 * Record batches in shared memory, for reading on a worker thread (threaded.ts). A batch slot holds up to ROWS decoded
 * records as rows of typed arrays — cell ranges, numbers and hashes per field, timestamp, kind, event, line — and the
 * bytes their cells point into. The worker's record is bound to a row (`Rec.bindRow`), so its readers write straight
 * into it, and `Rec.finishRow` only moves the cell ranges to where the bytes will be; the replay thread shows a row to
 * the engine with `Rec.showRow`, which re-points the record's arrays at it, so nothing is copied or decoded twice.
 * The input's bytes are copied in bulk, not per record (see read-worker.ts).
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
  /** Each row's `Rec.start` (a flow's start when its event time is its end). */
  readonly began: Float64Array;
  readonly line: Float64Array;
  readonly kind: Int8Array;
  readonly event: Int8Array;
  /** Per row, the fields set (a list of field numbers) and how many: what clearing the row for reuse must undo. */
  readonly list: Uint8Array;
  readonly count: Uint8Array;
  readonly bytes: Uint8Array;
}

const FC = FIELD_COUNT;
// Byte offsets of the arrays in a slot's buffer (8-byte aligned).
const NUM = 0;
const TS = NUM + ROWS * FC * 8;
const START_TS = TS + ROWS * 8;
const LINE = START_TS + ROWS * 8;
const START = LINE + ROWS * 8;
const END = START + ROWS * FC * 4;
const HASH = END + ROWS * FC * 4;
const KIND = HASH + ROWS * FC * 4;
const EVENT = KIND + ROWS;
const LIST = EVENT + ROWS;
const COUNT = LIST + ROWS * FC;
const BYTES = COUNT + ROWS;
const TOTAL = BYTES + SLOT_BYTES;

/** A slot whose rows are all empty records (no cells, no numbers, no hashes). */
export function newSlotBuffer(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(TOTAL);
  const slot = slotOf(sab);
  slot.start.fill(-1);
  slot.num.fill(NaN);
  return sab;
}

export function slotOf(sab: SharedArrayBuffer): Slot {
  return {
    sab,
    num: new Float64Array(sab, NUM, ROWS * FC),
    ts: new Float64Array(sab, TS, ROWS),
    began: new Float64Array(sab, START_TS, ROWS),
    line: new Float64Array(sab, LINE, ROWS),
    start: new Int32Array(sab, START, ROWS * FC),
    end: new Int32Array(sab, END, ROWS * FC),
    hash: new Int32Array(sab, HASH, ROWS * FC),
    kind: new Int8Array(sab, KIND, ROWS),
    event: new Int8Array(sab, EVENT, ROWS),
    list: new Uint8Array(sab, LIST, ROWS * FC),
    count: new Uint8Array(sab, COUNT, ROWS),
    bytes: new Uint8Array(sab, BYTES, SLOT_BYTES),
  };
}

/** Per-row views of a slot, made once, so showing a row allocates nothing. */
export interface RowViews {
  readonly slot: Slot;
  readonly start: Int32Array[];
  readonly end: Int32Array[];
  readonly num: Float64Array[];
  readonly hash: Int32Array[];
  readonly list: Uint8Array[];
}

export function rowViews(slot: Slot): RowViews {
  const rows = <A extends Int32Array | Float64Array | Uint8Array>(a: A) => Array.from({ length: ROWS }, (_, k) => a.subarray(k * FC, (k + 1) * FC) as A);
  return { slot, start: rows(slot.start), end: rows(slot.end), num: rows(slot.num), hash: rows(slot.hash), list: rows(slot.list) };
}
