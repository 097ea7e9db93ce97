/**
 * Replays files through the engine in event-time order, so a replay gives the same alerts whatever the order of a
 * file's lines. Each input is read by its own record source and a k-way merge on (time, input number) picks the next
 * record. Most files are already in time order, and then that is all: no record is copied. When a record turns out
 * to be older than one read before it from the same input (a Zeek log, which is written as connections end; an
 * export grouped by type), the replay starts again on a fresh engine and sorts everything first (sort.ts: an
 * external merge sort within a memory budget) — Zeek logs go there at once. Rejects already reported by the first
 * attempt are not reported again, so every bad record is listed exactly once, with its file and line.
 */
import { statSync } from "node:fs";
import type { Engine } from "./engine.ts";
import { type InputFormat, type OpenOptions, openSource, sniffFormat } from "./read/open.ts";
import { Rec } from "./read/rec.ts";
import { openThreaded } from "./read/threaded.ts";
import type { RecordSource } from "./read/source.ts";
import { RecordSorter, type SortOptions, type SortStats } from "./sort.ts";

export interface ReplayOptions extends Omit<OpenOptions, "onReject"> {
  since?: number;
  until?: number;
  /** Read and decode on a worker thread (threaded.ts); by default when the inputs are large enough to gain from it. */
  readThread?: boolean;
  /** Memory budget and folder of the sort, when inputs are out of order. */
  sort?: SortOptions;
  onReject(file: string, line: number, reason: string, text: string): void;
}

export interface ReplayStats {
  read: number;
  used: number;
  outsideRange: number;
  rejected: number;
  seconds: number;
  /** Set when the inputs were not in time order and were sorted: how, and why. */
  sorted?: SortStats & { reason: string; seconds: number };
}

/** Below this much input, starting a worker costs more than it saves. */
const THREAD_MIN_BYTES = 64 << 20;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // opening it reports the problem
  }
}

/**
 * What the first, in-order attempt got to, per input, so the sorted pass reports nothing twice. Reading is
 * deterministic, so counts say which rejects were already reported: the first `readerRejects` reader rejects of an
 * input, and the engine's rejects of its first `taken` records.
 */
interface Reached {
  readerRejects: number[];
  taken: number[];
}

/**
 * Replays `files` through an engine from `build`. Returns that engine, or the second one `build` made when the
 * inputs had to be sorted (the first one saw records in the wrong order and is dropped).
 */
export function replay(build: () => Engine, files: readonly string[], given: ReplayOptions): { engine: Engine; stats: ReplayStats } {
  const started = performance.now();
  // A sorted pass reads the files again: each warning is given once.
  const warned = new Set<string>();
  const warn = given.onWarning;
  const opts: ReplayOptions = warn
    ? {
        ...given,
        onWarning: (m, at) => {
          if (warned.has(m)) return;
          warned.add(m);
          warn(m, at);
        },
      }
    : given;
  const threaded = opts.readThread ?? files.reduce((sum, f) => sum + fileSize(f), 0) >= THREAD_MIN_BYTES;
  const zeek = opts.format === undefined ? files.findIndex((f) => safeSniff(f, opts) === "zeek") : opts.format === "zeek" ? 0 : -1;
  let engine = build();
  let stats: ReplayStats;
  let sortReason: string;
  if (zeek < 0) {
    const first = inOrder(engine, files, opts, threaded);
    if (first.disorder === undefined) {
      first.stats.seconds = (performance.now() - started) / 1000;
      return { engine, stats: first.stats };
    }
    sortReason = first.disorder;
    engine = build();
    stats = sorted(engine, files, opts, threaded, first.reached, sortReason);
  } else {
    sortReason = `${files[zeek]} is a Zeek log, whose lines are written as connections end`;
    stats = sorted(engine, files, opts, threaded, { readerRejects: files.map(() => 0), taken: files.map(() => 0) }, sortReason);
  }
  stats.seconds = (performance.now() - started) / 1000;
  return { engine, stats };
}

function safeSniff(path: string, opts: ReplayOptions): InputFormat | undefined {
  try {
    return sniffFormat(path, opts.encoding);
  } catch {
    return undefined; // opening it reports the problem
  }
}

function openAll(files: readonly string[], opts: ReplayOptions, threaded: boolean, reject: (input: number, line: number, reason: string, text: string) => void): RecordSource[] {
  const { since: _s, until: _u, readThread: _t, sort: _o, onReject: _r, ...open } = opts;
  if (threaded) return openThreaded(files, open, reject);
  return files.map((file, i) => openSource(file, { ...open, onReject: (line, reason, text) => reject(i, line, reason, text) }).source);
}

function newStats(): ReplayStats {
  return { read: 0, used: 0, outsideRange: 0, rejected: 0, seconds: 0 };
}

/** The merge over inputs that are each in time order; stops at the first record that is not. */
function inOrder(engine: Engine, files: readonly string[], opts: ReplayOptions, threaded: boolean): { stats: ReplayStats; disorder?: string; reached: Reached } {
  const stats = newStats();
  const reached: Reached = { readerRejects: files.map(() => 0), taken: files.map(() => 0) };
  const sources = openAll(files, opts, threaded, (i, line, reason, text) => {
    stats.rejected++;
    reached.readerRejects[i]!++;
    opts.onReject(files[i]!, line, reason, text);
  });
  const recs = files.map((_, i) => {
    const rec = new Rec();
    rec.source = i;
    return rec;
  });
  const last = files.map(() => -Infinity);
  let disorder: string | undefined;
  // Pulls input i's next record; false at its end, or when it is older than the one before it (then `disorder`).
  const pull = (i: number): boolean => {
    if (!sources[i]!.next(recs[i]!)) return false;
    const rec = recs[i]!;
    if (rec.ts < last[i]!) {
      disorder = `${files[i]}:${rec.line} is older than an earlier line of that file`;
      return false;
    }
    last[i] = rec.ts;
    return true;
  };
  try {
    const heap = new SourceHeap(recs);
    for (let i = 0; i < sources.length && disorder === undefined; i++) if (pull(i)) heap.push(i);
    while (disorder === undefined && heap.size > 0) {
      const i = heap.top;
      const rec = recs[i]!;
      reached.taken[i]!++;
      take(engine, rec, files, opts, stats);
      if (pull(i)) heap.siftDown();
      else heap.pop();
    }
    if (disorder === undefined) engine.advance(engine.now);
  } finally {
    for (const s of sources) s.close();
  }
  return disorder === undefined ? { stats, reached } : { stats, disorder, reached };
}

/** Reads everything into the sorter (checking each record as it comes), then replays it in time order. */
function sorted(engine: Engine, files: readonly string[], opts: ReplayOptions, threaded: boolean, reached: Reached, reason: string): ReplayStats {
  const stats = newStats();
  const t0 = performance.now();
  const sorter = new RecordSorter(opts.sort);
  const readerRejects = files.map(() => 0);
  const sources = openAll(files, opts, threaded, (i, line, why, text) => {
    stats.rejected++;
    if (++readerRejects[i]! > reached.readerRejects[i]!) opts.onReject(files[i]!, line, why, text);
  });
  const since = opts.since ?? -Infinity;
  const until = opts.until ?? Infinity;
  try {
    const rec = new Rec();
    for (let i = 0; i < sources.length; i++) {
      rec.source = i;
      // Input by input, each in file order: ties then sort as the in-order merge would take them.
      for (let k = 0; sources[i]!.next(rec); k++) {
        stats.read++;
        if (rec.ts < since || rec.ts >= until) {
          stats.outsideRange++;
          continue;
        }
        const why = engine.check(rec);
        if (why === null) sorter.add(rec);
        else {
          stats.rejected++;
          if (k >= reached.taken[i]!) opts.onReject(files[i]!, rec.line, why, JSON.stringify(rec.fields()));
        }
      }
    }
    const sortSeconds = (performance.now() - t0) / 1000;
    const out = sorter.finish();
    for (let r = out.next(); r !== null; r = out.next()) {
      // Checked above, so a reject here means the clock moved during the replay: report it.
      const why = engine.ingest(r);
      if (why === null) stats.used++;
      else {
        stats.rejected++;
        opts.onReject(files[r.source]!, r.line, why, JSON.stringify(r.fields()));
      }
    }
    engine.advance(engine.now);
    stats.sorted = { ...sorter.stats, reason, seconds: sortSeconds };
  } finally {
    for (const s of sources) s.close();
    sorter.close();
  }
  return stats;
}

function take(engine: Engine, rec: Rec, files: readonly string[], opts: ReplayOptions, stats: ReplayStats): void {
  stats.read++;
  if (rec.ts < (opts.since ?? -Infinity) || rec.ts >= (opts.until ?? Infinity)) {
    stats.outsideRange++;
    return;
  }
  const why = engine.ingest(rec);
  if (why === null) stats.used++;
  else {
    stats.rejected++;
    opts.onReject(files[rec.source]!, rec.line, why, JSON.stringify(rec.fields()));
  }
}

/** A binary heap of input numbers ordered by their current record's (ts, input number). */
class SourceHeap {
  private readonly h: number[] = [];

  constructor(private readonly recs: readonly Rec[]) {}

  get size(): number {
    return this.h.length;
  }
  get top(): number {
    return this.h[0]!;
  }

  push(i: number): void {
    const h = this.h;
    h.push(i);
    for (let k = h.length - 1; k > 0; ) {
      const parent = (k - 1) >> 1;
      if (!this.less(h[k]!, h[parent]!)) break;
      [h[k], h[parent]] = [h[parent]!, h[k]!];
      k = parent;
    }
  }

  /** Restores order after the top input moved on to its next record. */
  siftDown(): void {
    const h = this.h;
    for (let k = 0; ; ) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === k) return;
      [h[k], h[m]] = [h[m]!, h[k]!];
      k = m;
    }
  }

  /** Drops the top input (it ended). */
  pop(): void {
    const last = this.h.pop()!;
    if (this.h.length > 0) {
      this.h[0] = last;
      this.siftDown();
    }
  }

  private less(a: number, b: number): boolean {
    const x = this.recs[a]!.ts;
    const y = this.recs[b]!.ts;
    return x < y || (x === y && a < b);
  }
}
