/**
 * Sorting records by event time, for inputs whose lines are not in time order (Zeek logs, exports grouped by type,
 * files concatenated in any order). Records are kept encoded (read/rec-codec.ts) in one arena; when it reaches the
 * memory budget, its records are sorted and written to a temporary file as one run, and at the end the runs are
 * merged — an external merge sort, so memory stays at the budget however large the input. Ties keep the order the
 * records were added in (the replay adds input by input, each in file order), so the result is the same as merging
 * already sorted inputs.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeRec, encodedLength, encodedSize, encodeRec } from "./read/rec-codec.ts";
import { Rec } from "./read/rec.ts";

export interface SortOptions {
  /** Bytes of encoded records (and their index) held in memory before a run is written out (default 256 MiB). */
  memoryBytes?: number;
  /** Where runs are written (default the system's temporary folder); removed when the sorter closes. */
  dir?: string;
}

export interface SortStats {
  records: number;
  /** Runs written to disk (0 when everything fitted in memory). */
  runs: number;
  spilledBytes: number;
  /** Largest memory the arena and index took. */
  peakBytes: number;
}

/** Sorted records, pulled one at a time; the record returned stays valid until the next call. */
export interface SortedRecords {
  next(): Rec | null;
}

const INDEX_BYTES = 12; // a Float64 time and a Uint32 offset per record
const WRITE_CHUNK = 4 << 20;

export class RecordSorter {
  readonly stats: SortStats = { records: 0, runs: 0, spilledBytes: 0, peakBytes: 0 };
  private readonly budget: number;
  private arena = new Uint8Array(1 << 20);
  private view = new DataView(this.arena.buffer);
  private used = 0;
  private ts = new Float64Array(1024);
  private at = new Uint32Array(1024);
  private n = 0;
  private dir: string | undefined;
  private readonly runFiles: string[] = [];
  private readonly fds: number[] = [];

  constructor(private readonly opts: SortOptions = {}) {
    this.budget = Math.max(1 << 20, opts.memoryBytes ?? 256 << 20);
  }

  add(rec: Rec): void {
    const size = encodedSize(rec);
    if (this.n > 0 && this.used + size + (this.n + 1) * INDEX_BYTES > this.budget) this.spill();
    if (this.used + size > this.arena.length) this.growArena(this.used + size);
    if (this.n === this.ts.length) this.growIndex();
    this.ts[this.n] = rec.ts;
    this.at[this.n] = this.used;
    this.n++;
    this.used = encodeRec(rec, this.arena, this.view, this.used);
    this.stats.records++;
    const held = this.arena.length + this.ts.length * INDEX_BYTES;
    if (held > this.stats.peakBytes) this.stats.peakBytes = held;
  }

  /** The records in (ts, order added) order. Call once; `close` removes the runs. */
  finish(): SortedRecords {
    if (this.runFiles.length === 0) return new MemoryRun(this.arena, this.view, this.at, this.order());
    if (this.n > 0) this.spill();
    this.arena = new Uint8Array(0); // the runs are read with small buffers of their own
    const runs = this.runFiles.map((f) => {
      const fd = openSync(f, "r");
      this.fds.push(fd);
      return new FileRun(fd);
    });
    return new Merge(runs);
  }

  close(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Record numbers sorted by time, ties in the order added (an index sort: the records stay where they are). */
  private order(): Uint32Array {
    const ts = this.ts;
    const idx = new Uint32Array(this.n);
    let sorted = true;
    for (let i = 0; i < this.n; i++) {
      idx[i] = i;
      if (i > 0 && ts[i]! < ts[i - 1]!) sorted = false;
    }
    if (!sorted) idx.sort((a, b) => ts[a]! - ts[b]! || a - b);
    return idx;
  }

  private spill(): void {
    const order = this.order();
    this.dir ??= mkdtempSync(join(this.opts.dir ?? tmpdir(), "longwatch-sort-"));
    const file = join(this.dir, `run-${this.runFiles.length}.bin`);
    const fd = openSync(file, "w", 0o600);
    try {
      const out = new Uint8Array(WRITE_CHUNK);
      let fill = 0;
      for (let k = 0; k < order.length; k++) {
        const at = this.at[order[k]!]!;
        const len = encodedLength(this.view, at);
        if (fill + len > out.length) {
          writeSync(fd, out, 0, fill);
          fill = 0;
        }
        if (len > out.length) writeSync(fd, this.arena, at, len);
        else {
          out.set(this.arena.subarray(at, at + len), fill);
          fill += len;
        }
      }
      if (fill > 0) writeSync(fd, out, 0, fill);
    } finally {
      closeSync(fd);
    }
    this.runFiles.push(file);
    this.stats.runs++;
    this.stats.spilledBytes += this.used;
    this.used = 0;
    this.n = 0;
  }

  private growArena(need: number): void {
    let size = this.arena.length;
    while (size < need) size *= 2;
    // Past the budget only for a single record larger than it (the spill above emptied the arena first).
    const bigger = new Uint8Array(Math.max(need, Math.min(size, this.budget)));
    bigger.set(this.arena.subarray(0, this.used));
    this.arena = bigger;
    this.view = new DataView(bigger.buffer);
  }

  private growIndex(): void {
    const ts = new Float64Array(this.ts.length * 2);
    ts.set(this.ts);
    const at = new Uint32Array(this.at.length * 2);
    at.set(this.at);
    this.ts = ts;
    this.at = at;
  }
}

class MemoryRun implements SortedRecords {
  private k = 0;
  private readonly rec = new Rec();

  constructor(
    private readonly arena: Uint8Array,
    private readonly view: DataView,
    private readonly at: Uint32Array,
    private readonly order: Uint32Array,
  ) {}

  next(): Rec | null {
    if (this.k >= this.order.length) return null;
    decodeRec(this.rec, this.arena, this.view, this.at[this.order[this.k++]!]!);
    return this.rec;
  }
}

/** Reads one sorted run back record by record through a buffer of its own. */
class FileRun implements SortedRecords {
  readonly rec = new Rec();
  private buf = new Uint8Array(1 << 20);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private len = 0;
  private eof = false;

  constructor(private readonly fd: number) {}

  next(): Rec | null {
    if (!this.have(4)) return null;
    const size = encodedLength(this.view, this.pos);
    if (!this.have(size)) throw new Error("a sort run ended inside a record (the temporary file was changed or the disk is full)");
    decodeRec(this.rec, this.buf, this.view, this.pos);
    this.pos += size;
    return this.rec;
  }

  /** Makes sure `n` bytes from `pos` are in the buffer; false at the end of the run. */
  private have(n: number): boolean {
    while (this.len - this.pos < n) {
      if (this.eof) return false;
      if (this.pos > 0) {
        this.buf.copyWithin(0, this.pos, this.len);
        this.len -= this.pos;
        this.pos = 0;
      }
      if (n > this.buf.length) {
        const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
        bigger.set(this.buf.subarray(0, this.len));
        this.buf = bigger;
        this.view = new DataView(bigger.buffer);
      }
      const got = readSync(this.fd, this.buf, this.len, this.buf.length - this.len, null);
      if (got === 0) this.eof = true;
      this.len += got;
    }
    return true;
  }
}

/** A k-way merge of sorted runs on (ts, run number): runs hold consecutive stretches of what was added, in order. */
class Merge implements SortedRecords {
  private readonly heap: number[] = [];
  private readonly heads: (Rec | null)[];
  private pending = -1;

  constructor(private readonly runs: FileRun[]) {
    this.heads = runs.map((r) => r.next());
    for (let i = 0; i < runs.length; i++) if (this.heads[i]) this.push(i);
  }

  next(): Rec | null {
    // The run whose record was handed out last moves on only now: its record was valid until this call.
    if (this.pending >= 0) {
      const i = this.pending;
      this.pending = -1;
      this.heads[i] = this.runs[i]!.next();
      if (this.heads[i]) this.push(i);
    }
    if (this.heap.length === 0) return null;
    const i = this.pop();
    this.pending = i;
    return this.heads[i]!;
  }

  private less(a: number, b: number): boolean {
    const x = this.heads[a]!.ts;
    const y = this.heads[b]!.ts;
    return x < y || (x === y && a < b);
  }

  private push(i: number): void {
    const h = this.heap;
    h.push(i);
    for (let k = h.length - 1; k > 0; ) {
      const parent = (k - 1) >> 1;
      if (!this.less(h[k]!, h[parent]!)) break;
      [h[k], h[parent]] = [h[parent]!, h[k]!];
      k = parent;
    }
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let k = 0; ; ) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === k) break;
        [h[k], h[m]] = [h[m]!, h[k]!];
        k = m;
      }
    }
    return top;
  }
}
