/**
 * The reorder buffer's store of held records, ordered by (event time, arrival). A live fleet's records mostly arrive
 * in time order, so those go to a FIFO run (O(1), no comparisons) and only a record older than the run's newest goes
 * to a binary heap; the smaller head of the two comes out first. The order is exactly a single heap's, so detection
 * sees the same sequence either way (bench:serve measured the all-heap version at ~20 % of ingest CPU).
 *
 * A held record is its time, its arrival number, a reference (the slab its bytes are in) and two numbers (where in
 * it, how long), kept in parallel arrays — a ring of typed arrays for the run — so holding a record allocates
 * nothing: an object per record was a young-generation allocation for every record live ingest takes.
 */
export interface Held {
  readonly ts: number;
  /** Arrival order: breaks ties between equal times. */
  readonly seq: number;
}

export class HeldRecords<R> {
  // The run: a ring of capacity `cap` (a power of two), `count` entries from `head`.
  private cap = 1024;
  private head = 0;
  private count = 0;
  private runTs = new Float64Array(this.cap);
  private runSeq = new Float64Array(this.cap);
  private runAt = new Int32Array(this.cap);
  private runLen = new Int32Array(this.cap);
  private runRef: (R | undefined)[] = new Array<R | undefined>(this.cap).fill(undefined);
  // The heap (stragglers and restored records): rare, so plain arrays.
  private readonly hTs: number[] = [];
  private readonly hSeq: number[] = [];
  private readonly hAt: number[] = [];
  private readonly hLen: number[] = [];
  private readonly hRef: R[] = [];

  /** What the last `pop` took out, besides its reference. */
  poppedTs = NaN;
  poppedSeq = NaN;
  poppedAt = 0;
  poppedLen = 0;

  get size(): number {
    return this.count + this.hTs.length;
  }

  /** `seq` must grow with every push (arrival order). */
  push(ts: number, seq: number, ref: R, at = 0, len = 0): void {
    if (this.count > 0 && this.runTs[(this.head + this.count - 1) & (this.cap - 1)]! > ts) return this.heapPush(ts, seq, ref, at, len);
    if (this.count === this.cap) this.grow();
    const i = (this.head + this.count) & (this.cap - 1);
    this.runTs[i] = ts;
    this.runSeq[i] = seq;
    this.runAt[i] = at;
    this.runLen[i] = len;
    this.runRef[i] = ref;
    this.count++;
  }

  /** A record from a checkpoint (any order, any seq): always the heap. */
  restore(ts: number, seq: number, ref: R, at = 0, len = 0): void {
    this.heapPush(ts, seq, ref, at, len);
  }

  /** True when the earliest held record comes from the run (else the heap; call only when size > 0). */
  private runFirst(): boolean {
    if (this.count === 0) return false;
    if (this.hTs.length === 0) return true;
    const rt = this.runTs[this.head]!;
    const ht = this.hTs[0]!;
    // The heap's head first only when strictly less by (ts, seq).
    return !(ht < rt || (ht === rt && this.hSeq[0]! < this.runSeq[this.head]!));
  }

  /** The time of the earliest held record, or undefined. */
  peekTs(): number | undefined {
    if (this.size === 0) return undefined;
    return this.runFirst() ? this.runTs[this.head]! : this.hTs[0]!;
  }

  /** Takes the earliest held record out and answers its reference (its time, arrival, offset and length in `popped…`). Call only when size > 0. */
  pop(): R {
    if (!this.runFirst()) return this.heapPop();
    const i = this.head;
    const ref = this.runRef[i]!;
    this.poppedTs = this.runTs[i]!;
    this.poppedSeq = this.runSeq[i]!;
    this.poppedAt = this.runAt[i]!;
    this.poppedLen = this.runLen[i]!;
    this.runRef[i] = undefined;
    this.head = (i + 1) & (this.cap - 1);
    this.count--;
    return ref;
  }

  /** Every held record, in no particular order (for a checkpoint). */
  forEach(fn: (ref: R, at: number, len: number, ts: number, seq: number) => void): void {
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & (this.cap - 1);
      fn(this.runRef[i]!, this.runAt[i]!, this.runLen[i]!, this.runTs[i]!, this.runSeq[i]!);
    }
    for (let k = 0; k < this.hTs.length; k++) fn(this.hRef[k]!, this.hAt[k]!, this.hLen[k]!, this.hTs[k]!, this.hSeq[k]!);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const ts = new Float64Array(cap);
    const seq = new Float64Array(cap);
    const at = new Int32Array(cap);
    const len = new Int32Array(cap);
    const ref = new Array<R | undefined>(cap).fill(undefined);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & (this.cap - 1);
      ts[k] = this.runTs[i]!;
      seq[k] = this.runSeq[i]!;
      at[k] = this.runAt[i]!;
      len[k] = this.runLen[i]!;
      ref[k] = this.runRef[i];
    }
    this.cap = cap;
    this.head = 0;
    this.runTs = ts;
    this.runSeq = seq;
    this.runAt = at;
    this.runLen = len;
    this.runRef = ref;
  }

  private less(a: number, bTs: number, bSeq: number): boolean {
    const t = this.hTs[a]!;
    return t < bTs || (t === bTs && this.hSeq[a]! < bSeq);
  }

  private heapSet(k: number, ts: number, seq: number, ref: R, at: number, len: number): void {
    this.hTs[k] = ts;
    this.hSeq[k] = seq;
    this.hRef[k] = ref;
    this.hAt[k] = at;
    this.hLen[k] = len;
  }

  private heapMove(to: number, from: number): void {
    this.heapSet(to, this.hTs[from]!, this.hSeq[from]!, this.hRef[from]!, this.hAt[from]!, this.hLen[from]!);
  }

  private heapPush(ts: number, seq: number, ref: R, at: number, len: number): void {
    let k = this.hTs.length;
    this.heapSet(k, ts, seq, ref, at, len);
    while (k > 0) {
      const parent = (k - 1) >> 1;
      const p = this.hTs[parent]!;
      if (!(ts < p || (ts === p && seq < this.hSeq[parent]!))) break;
      this.heapMove(k, parent);
      k = parent;
    }
    this.heapSet(k, ts, seq, ref, at, len);
  }

  private heapPop(): R {
    const ref = this.hRef[0]!;
    this.poppedTs = this.hTs[0]!;
    this.poppedSeq = this.hSeq[0]!;
    this.poppedAt = this.hAt[0]!;
    this.poppedLen = this.hLen[0]!;
    const n = this.hTs.length - 1;
    const lTs = this.hTs.pop()!;
    const lSeq = this.hSeq.pop()!;
    const lRef = this.hRef.pop()!;
    const lAt = this.hAt.pop()!;
    const lLen = this.hLen.pop()!;
    if (n > 0) {
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && this.less(r, this.hTs[l]!, this.hSeq[l]!) ? r : l;
        if (!this.less(m, lTs, lSeq)) break;
        this.heapMove(k, m);
        k = m;
      }
      this.heapSet(k, lTs, lSeq, lRef, lAt, lLen);
    }
    return ref;
  }
}
