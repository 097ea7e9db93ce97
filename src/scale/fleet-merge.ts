/**
 * The fleet stage's input: the partitions' facts (facts.ts) merged into one order that does not depend on when
 * each partition's messages arrived, so a fleet stage that crashed, or got its messages in another interleaving,
 * decides the same.
 *
 * - Each partition's facts are kept in its own queue, in the order it processed them. Their order key is the
 *   record's time, or for a record the partition took late (behind what it had processed) the time it had processed
 *   through: so keys never go down within a queue.
 * - A partition's **watermark** is the time through which it has processed its records: any fact it sends later has
 *   a key at or above it. So a fact whose key is below every partition's watermark can be taken; among those, the
 *   smallest key first, ties by partition number. A partition that never spoke has watermark -Infinity (the stage
 *   waits for it); one that went quiet and processed all it held says +Infinity.
 * - Each fact index of a partition is taken once: a message that repeats facts (a crashed owner's, sent again by the
 *   next owner with a wider range) adds only the new ones.
 * - Memory is bounded by `maxHeld`: beyond, the smallest fact is taken even though a partition lags (counted in
 *   `forced`; order then depends on timing, as for live ingest's full reorder buffer).
 */
import { LongwatchError } from "../core/errors.ts";
import type { Rec } from "../detect/read/rec.ts";
import { decodeFact, type FactAt, factLength, readFacts } from "./facts.ts";

interface Queued extends FactAt {
  /** The message's detector count, and for each of the stage's detectors its index in the message (-1: absent). */
  detectors: number;
  order: readonly number[];
}

export interface TakeResult {
  partition: number;
  /** Facts new to the stage, and facts it had already. */
  taken: number;
  repeated: number;
  /** Facts before this message's first that never arrived (a message lost from the stream), or 0. */
  missing: number;
  /** Detectors the message has facts for that this stage does not run, and the reverse. */
  foreign: string[];
  absent: string[];
}

export class FleetMerge {
  private readonly queues: Queued[][];
  private readonly heads: number[];
  private readonly next: Float64Array;
  private readonly marks: Float64Array;
  private readonly records: Float64Array;
  private readonly facts: Int32Array;
  held = 0;
  forced = 0;

  constructor(
    private readonly partitions: number,
    /** The fleet stage's split detectors, in the order its engine takes facts (Engine.splitIds). */
    private readonly detectors: readonly string[],
    private readonly maxHeld = 1_000_000,
  ) {
    this.queues = Array.from({ length: partitions }, () => []);
    this.heads = new Array<number>(partitions).fill(0);
    this.next = new Float64Array(partitions);
    this.marks = new Float64Array(partitions).fill(-Infinity);
    this.records = new Float64Array(partitions);
    this.facts = new Int32Array(detectors.length);
  }

  /** Records the partitions had taken in, as far as their messages have told (each counted once). */
  get recordsTaken(): number {
    let n = 0;
    for (const r of this.records) n += r;
    return n;
  }

  /** The smallest watermark: facts below it can be taken. */
  get watermark(): number {
    let m = Infinity;
    for (const w of this.marks) if (w < m) m = w;
    return m;
  }

  /** Adds a message's facts; `invalid_input` (naming why) for a body that is not one, or names no partition of ours. */
  take(body: Uint8Array): TakeResult {
    const { header: h, facts } = readFacts(body);
    const p = h.partition;
    if (!(p < this.partitions)) throw new LongwatchError("invalid_input", `fleet facts message for partition ${p}, but the stream has ${this.partitions}`);
    const order = this.detectors.map((d) => h.detectors.indexOf(d));
    const result: TakeResult = { partition: p, taken: 0, repeated: 0, missing: Math.max(0, h.from - this.next[p]!), foreign: h.detectors.filter((d) => !this.detectors.includes(d)), absent: this.detectors.filter((_, i) => order[i]! < 0) };
    const queue = this.queues[p]!;
    for (let i = 0; i < facts.length; i++) {
      if (h.from + i < this.next[p]!) {
        result.repeated++;
        continue;
      }
      const f = facts[i]!;
      queue.push({ key: f.key, body: f.body, view: f.view, at: f.at, detectors: h.detectors.length, order });
      result.taken++;
    }
    this.held += result.taken;
    // The latest word of the partition: a partition that went quiet (+Infinity) and then got records again says so.
    // A message that speaks for no record and no fact beyond what was heard (a restored owner's, the old owner's last
    // words at a hand-over) cannot take the watermark back: nothing was processed that makes it lower, and the
    // partition's own +Infinity, sent again with the same id, would be dropped by JetStream as a duplicate.
    const nothingNew = h.records <= this.records[p]! && h.to <= this.next[p]!;
    this.marks[p] = nothingNew ? Math.max(this.marks[p]!, h.watermark) : h.watermark;
    this.next[p] = Math.max(this.next[p]!, h.to);
    this.records[p] = Math.max(this.records[p]!, h.records);
    return result;
  }

  /**
   * Gives every fact that can be taken now to `ingest`, in order (see above): `rec` filled, its device as the
   * partition named it, that device's first-seen time, and its facts in the stage's detector order.
   */
  release(rec: Rec, ingest: (rec: Rec, device: Uint8Array, firstSeen: number, facts: Int32Array) => void): void {
    const mark = this.watermark;
    for (;;) {
      const p = this.smallest(this.held > this.maxHeld ? Infinity : mark);
      if (p < 0) return;
      if (this.held > this.maxHeld && this.peek(p)!.key >= mark) this.forced++;
      const q = this.pop(p);
      const { device, firstSeen } = decodeFact(q, q.detectors, q.order, rec, this.facts);
      ingest(rec, device, firstSeen, this.facts);
    }
  }

  /** The partition whose next fact has the smallest key below `below` (ties: the lower partition), or -1. */
  private smallest(below: number): number {
    let best = -1;
    let key = below;
    for (let p = 0; p < this.partitions; p++) {
      const f = this.peek(p);
      if (f !== undefined && f.key < key) {
        key = f.key;
        best = p;
      }
    }
    return best;
  }

  private peek(p: number): Queued | undefined {
    return this.queues[p]![this.heads[p]!];
  }

  private pop(p: number): Queued {
    const q = this.queues[p]!;
    const f = q[this.heads[p]!]!;
    this.heads[p]!++;
    if (this.heads[p]! > 1024 && this.heads[p]! * 2 > q.length) {
      q.splice(0, this.heads[p]!);
      this.heads[p] = 0;
    }
    this.held--;
    return f;
  }

  /** The state for a checkpoint: positions, watermarks, counts and the facts still queued (their bytes). */
  save(): unknown {
    let bytes = 0;
    const waiting: { f: Queued; p: number }[] = [];
    for (let p = 0; p < this.partitions; p++) for (let i = this.heads[p]!; i < this.queues[p]!.length; i++) waiting.push({ f: this.queues[p]![i]!, p });
    for (const { f } of waiting) bytes += factLength(f);
    const out = new Uint8Array(bytes);
    const meta = new Float64Array(waiting.length * 3);
    const orders: string[] = [];
    // One order array per message taken: its number is looked up by identity, not by text per fact.
    const known = new Map<readonly number[], number>();
    let at = 0;
    waiting.forEach(({ f, p }, i) => {
      const len = factLength(f);
      out.set(f.body.subarray(f.at, f.at + len), at);
      at += len;
      let k = known.get(f.order);
      if (k === undefined) {
        const o = JSON.stringify([f.detectors, ...f.order]);
        k = orders.indexOf(o);
        if (k < 0) k = orders.push(o) - 1;
        known.set(f.order, k);
      }
      meta[3 * i] = p;
      meta[3 * i + 1] = len;
      meta[3 * i + 2] = k;
    });
    return { next: this.next, marks: this.marks, records: this.records, forced: this.forced, facts: out, meta, orders };
  }

  load(state: unknown): void {
    const s = state as { next: Float64Array; marks: Float64Array; records: Float64Array; forced: number; facts: Uint8Array; meta: Float64Array; orders: string[] };
    if (s.next.length !== this.partitions) throw new LongwatchError("state_invalid", `fleet stage checkpoint for ${s.next.length} partitions, not ${this.partitions}`);
    this.next.set(s.next);
    this.marks.set(s.marks);
    this.records.set(s.records);
    this.forced = s.forced;
    // Parsed once each: the facts of one order share its array (as when taken from a message; save looks it up so).
    const orders = s.orders.map((o) => {
      const [detectors, ...order] = JSON.parse(o) as number[];
      return { detectors: detectors!, order };
    });
    // The queued facts stay views of the one restored buffer, each at its offset.
    const body = s.facts;
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    for (let i = 0, at = 0; i < s.meta.length; at += s.meta[i + 1]!, i += 3) {
      const { detectors, order } = orders[s.meta[i + 2]!]!;
      this.queues[s.meta[i]!]!.push({ key: view.getFloat64(at + 4, true), body, view, at, detectors: detectors!, order });
      this.held++;
    }
  }
}
