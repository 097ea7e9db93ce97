/**
 * Decoded records of one input packed into a few typed arrays, so a reader thread can hand them to the detection
 * thread by transferring buffers instead of structured-cloning objects (which would cost as much as parsing). The
 * input's rejects sit in place between its records, so the receiving side reports them in exactly the order an
 * in-thread reader would.
 */
import { AUX, type Rec } from "./rec.ts";

/** `kind` of an entry that is a reject, not a record. */
const REJECT = -1;

export interface RecBatch {
  count: number;
  line: Int32Array;
  kind: Int8Array;
  event: Int8Array;
  ts: Float64Array;
  /** Entry k's fields are field[fieldFrom[k], fieldFrom[k + 1]), in the order the reader set them. */
  fieldFrom: Int32Array;
  field: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  num: Float64Array;
  hash: Int32Array;
  /** The fields' bytes: each record's cells as one slice of its line, plus cells the reader made from text. */
  bytes: Uint8Array;
  /** Reason and text of each reject entry, in order. */
  rejects: string[];
}

/** Collects records and rejects into a batch; `take` hands it over and starts a fresh one. */
export class BatchWriter {
  count = 0;
  private b!: RecBatch;
  private nFields = 0;
  private nBytes = 0;

  /** `reuse` gives back a batch the consumer is done with, so its buffers are filled again instead of allocated. */
  constructor(
    private readonly reuse: () => RecBatch | undefined = () => undefined,
    private readonly records = 8192,
    private readonly byteBudget = 1 << 20,
  ) {
    this.fresh();
  }

  /** Whether the batch should be handed over now (it still takes entries: a reader may reject many lines at once). */
  full(): boolean {
    return this.count >= this.records || this.nBytes >= this.byteBudget;
  }

  add(rec: Rec): void {
    const b = this.b;
    const k = this.begin(rec.line);
    b.kind[k] = rec.kind;
    b.event[k] = rec.event;
    b.ts[k] = rec.ts;
    const n = rec.fieldCount;
    this.ensureFields(this.nFields + n);
    // Cells in the reader's buffer lie within the record's line: copy that span once. Cells the reader made from
    // text (quoted CSV, JSON escapes, mapped values) are in the record's scratch buffer and are copied one by one.
    const starts = rec.start;
    const ends = rec.end;
    let lo = 0x7fffffff;
    let hi = 0;
    let extra = 0;
    for (let i = 0; i < n; i++) {
      const f = rec.fieldAt(i);
      const s = starts[f]!;
      if (s < AUX) {
        if (s < lo) lo = s;
        if (ends[f]! > hi) hi = ends[f]!;
      } else extra += ends[f]! - s;
    }
    const span = hi > lo ? hi - lo : 0;
    this.ensureBytes(this.nBytes + span + extra);
    const bytes = b.bytes;
    const base = this.nBytes;
    const line = rec.buf;
    if (span > 0) bytes.set(line.subarray(lo, hi), base);
    let aux = base + span;
    const field = b.field;
    const start = b.start;
    const end = b.end;
    const num = b.num;
    const hash = b.hash;
    let j = this.nFields;
    for (let i = 0; i < n; i++, j++) {
      const f = rec.fieldAt(i);
      const s = starts[f]!;
      let at: number;
      if (s < AUX) at = base + s - lo;
      else {
        at = aux;
        bytes.set(rec.fieldBuf(f).subarray(s - AUX, ends[f]! - AUX), aux);
        aux += ends[f]! - s;
      }
      field[j] = f;
      start[j] = at;
      end[j] = at + ends[f]! - s;
      num[j] = rec.num[f]!;
      hash[j] = rec.hash[f]!;
    }
    this.nFields = j;
    this.nBytes = aux;
    b.fieldFrom[k + 1] = j;
  }

  reject(line: number, reason: string, text: string): void {
    const k = this.begin(line);
    this.b.kind[k] = REJECT;
    this.b.fieldFrom[k + 1] = this.nFields;
    this.b.rejects.push(reason, text);
  }

  /** The batch so far and the buffers to transfer with it; the writer starts a new batch. */
  take(): { batch: RecBatch; transfer: ArrayBuffer[] } {
    const batch = this.b;
    batch.count = this.count;
    this.fresh();
    return { batch, transfer: batchBuffers(batch) };
  }

  private fresh(): void {
    this.count = 0;
    this.nFields = 0;
    this.nBytes = 0;
    const used = this.reuse();
    if (used !== undefined) {
      used.count = 0;
      used.rejects = [];
      this.b = used;
      return;
    }
    const r = this.records;
    const fields = r * 16;
    this.b = {
      count: 0,
      line: new Int32Array(r),
      kind: new Int8Array(r),
      event: new Int8Array(r),
      ts: new Float64Array(r),
      fieldFrom: new Int32Array(r + 1),
      field: new Uint8Array(fields),
      start: new Int32Array(fields),
      end: new Int32Array(fields),
      num: new Float64Array(fields),
      hash: new Int32Array(fields),
      bytes: new Uint8Array(this.byteBudget + (64 << 10)),
      rejects: [],
    };
  }

  private begin(line: number): number {
    const k = this.count++;
    if (k >= this.b.line.length) this.growRecords();
    this.b.line[k] = line;
    return k;
  }

  private growRecords(): void {
    const b = this.b;
    const n = b.line.length * 2;
    b.line = grown(b.line, new Int32Array(n));
    b.kind = grown(b.kind, new Int8Array(n));
    b.event = grown(b.event, new Int8Array(n));
    b.ts = grown(b.ts, new Float64Array(n));
    b.fieldFrom = grown(b.fieldFrom, new Int32Array(n + 1));
  }

  private ensureFields(need: number): void {
    const b = this.b;
    if (need <= b.field.length) return;
    const n = Math.max(need, b.field.length * 2);
    b.field = grown(b.field, new Uint8Array(n));
    b.start = grown(b.start, new Int32Array(n));
    b.end = grown(b.end, new Int32Array(n));
    b.num = grown(b.num, new Float64Array(n));
    b.hash = grown(b.hash, new Int32Array(n));
  }

  private ensureBytes(need: number): void {
    if (need <= this.b.bytes.length) return;
    this.b.bytes = grown(this.b.bytes, new Uint8Array(Math.max(need, this.b.bytes.length * 2)));
  }
}

function grown<T extends Int32Array | Int8Array | Uint8Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/** The buffers to transfer with a batch. */
export function batchBuffers(b: RecBatch): ArrayBuffer[] {
  return [b.line, b.kind, b.event, b.ts, b.fieldFrom, b.field, b.start, b.end, b.num, b.hash, b.bytes].map((a) => a.buffer as ArrayBuffer);
}

/** Whether entry k of a batch is a reject (its reason and text are the next pair in `rejects`). */
export function isReject(batch: RecBatch, k: number): boolean {
  return batch.kind[k] === REJECT;
}

/** Fills `rec` with record k of a batch, decoded as the reader thread left it. */
export function loadRec(batch: RecBatch, k: number, rec: Rec): void {
  rec.reset(batch.bytes);
  rec.line = batch.line[k]!;
  rec.kind = batch.kind[k]!;
  rec.event = batch.event[k]!;
  rec.ts = batch.ts[k]!;
  const to = batch.fieldFrom[k + 1]!;
  for (let j = batch.fieldFrom[k]!; j < to; j++) rec.setDecoded(batch.field[j]!, batch.start[j]!, batch.end[j]!, batch.num[j]!, batch.hash[j]!);
}
