/**
 * The worker side of threaded reading (threaded.ts): runs the ordinary record sources over the input files and writes
 * their decoded records into shared batch slots, round-robin over the inputs, as long as each has a free slot.
 *
 * A batch's records are consecutive lines of one input, so the bytes they point into are one range of the file: it
 * is copied into the slot in bulk — when the batch is sent, or earlier, piecewise, when the line reader is about to
 * drop bytes to make room — never record by record.
 */
import { type MessagePort, workerData } from "node:worker_threads";
import { LINE_BYTES, ROWS, rowViews, type RowViews, SCRATCH_BYTES, type Slot, slotOf } from "./batch.ts";
import type { LineReader } from "./chunks.ts";
import { openSource } from "./open.ts";
import { Rec } from "./rec.ts";
import type { RecordSource } from "./source.ts";
import { type BatchMessage, CTRL, type ReadWorkerData } from "./threaded.ts";

const data = workerData as ReadWorkerData;
const port = data.port as MessagePort;
const ctrl = new Int32Array(data.ctrl);

class Input {
  source!: RecordSource;
  lines: LineReader | undefined;
  readonly rec = new Rec();
  /** The record read last did not fit into the previous batch: it opens the next one. */
  held = false;
  done = false;
  produced = 0;
  rejects: BatchMessage["rejects"] = [];
  warnings: BatchMessage["warnings"] = [];
  row = 0;
  slot: Slot | undefined;
  rows: RowViews | undefined;
  /** File range the batch's records span, and how much of it is already in the slot. */
  lo = -1;
  hi = -1;
  copiedTo = -1;
  scratch = 0;
  /** Records larger than a slot, with their own bytes (they travel with the batch message). */
  big: [number, Uint8Array][] = [];

  private readonly views: RowViews[];

  constructor(readonly index: number, readonly slots: Slot[]) {
    this.views = slots.map(rowViews);
  }

  /** Copies the batch's bytes in [copiedTo, min(to, hi)) from the reader's buffer (file offset `at` at buf[0]). */
  copyUpTo(buf: Uint8Array, at: number, to: number): void {
    if (this.lo < 0) return;
    const end = Math.min(to, this.hi);
    if (end > this.copiedTo) this.slot!.bytes.set(buf.subarray(this.copiedTo - at, end - at), this.copiedTo - this.lo);
    if (to > this.copiedTo) this.copiedTo = to;
  }

  /** Completes the record read into the current row; false when the batch has no room left for its bytes. */
  pack(): boolean {
    const rec = this.rec;
    rec.measure();
    const scratch = rec.scratchBytes;
    const slot = this.slot!;
    let shift = 0;
    if (rec.spanHi >= 0) {
      const at = this.lines?.fileBase ?? 0;
      const lo = at + rec.spanLo;
      const hi = at + rec.spanHi;
      if (hi - (this.lo < 0 ? lo : this.lo) > LINE_BYTES || scratch > SCRATCH_BYTES) return this.row > 0 ? false : this.packAlone();
      if (this.lo < 0) this.lo = this.copiedTo = lo;
      if (hi > this.hi) this.hi = hi;
      shift = at - this.lo;
    }
    if (this.scratch + scratch > SCRATCH_BYTES) return this.row > 0 ? false : this.packAlone();
    rec.finishRow(slot, shift, slot.bytes, LINE_BYTES + this.scratch);
    this.scratch += scratch;
    return true;
  }

  private packAlone(): boolean {
    const rec = this.rec;
    const span = rec.spanHi >= 0 ? rec.spanHi - rec.spanLo : 0;
    const own = new Uint8Array(span + rec.scratchBytes);
    if (span > 0) own.set(rec.buf.subarray(rec.spanLo, rec.spanHi));
    rec.finishRow(this.slot!, -rec.spanLo, own, span);
    this.big.push([this.row, own]);
    return true;
  }

  fill(): void {
    const j = this.produced % this.slots.length;
    this.slot = this.slots[j]!;
    this.rows = this.views[j]!;
    this.rejects = [];
    this.warnings = [];
    this.big = [];
    this.row = 0;
    this.lo = this.hi = this.copiedTo = -1;
    this.scratch = 0;
    if (this.held) this.rec.moveToRow(this.rows, 0);
    while (this.row < ROWS) {
      if (!this.held) {
        // The record is read straight into the row; what the row held before is cleared by the reader's reset.
        this.rec.bindRow(this.rows, this.row);
        const more = this.source.next(this.rec);
        this.rec.leaveRow();
        if (!more) {
          this.done = true;
          break;
        }
      }
      this.held = false;
      if (!this.pack()) {
        this.held = true;
        break;
      }
      this.row++;
    }
    if (this.lines && this.lo >= 0) this.copyUpTo(this.lines.buf, this.lines.fileBase, this.hi);
    const msg: BatchMessage = { input: this.index, rows: this.row, rejects: this.rejects, big: this.big, warnings: this.warnings, done: this.done };
    port.postMessage(msg);
    this.produced++;
    Atomics.store(ctrl, CTRL.produced(this.index), this.produced);
    Atomics.notify(ctrl, CTRL.produced(this.index));
  }
}

try {
  const inputs = data.files.map((file, i) => {
    const input = new Input(i, data.slots[i]!.map(slotOf));
    input.source = openSource(file, {
      ...data.open,
      onReject: (line, reason, text) => input.rejects.push([input.row, line, reason, text]),
      onWarning: (message, at) => input.warnings.push([message, at]),
      onLineReader: (lines) => {
        input.lines = lines;
        lines.onDiscard = (buf, at, count) => input.copyUpTo(buf, at, at + count);
      },
    }).source;
    return input;
  });
  for (;;) {
    const seen = Atomics.load(ctrl, CTRL.freed);
    let open = 0;
    let filled = false;
    for (const input of inputs) {
      if (input.done) continue;
      open++;
      if (input.produced - Atomics.load(ctrl, CTRL.consumed(input.index)) < input.slots.length) {
        input.fill();
        filled = true;
      }
    }
    if (open === 0) break;
    if (!filled) Atomics.wait(ctrl, CTRL.freed, seen);
  }
  for (const input of inputs) input.source.close();
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  for (let i = 0; i < data.files.length; i++) {
    Atomics.add(ctrl, CTRL.produced(i), 1);
    Atomics.notify(ctrl, CTRL.produced(i));
  }
}
port.close();
