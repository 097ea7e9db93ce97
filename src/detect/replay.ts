/**
 * Replays files through the engine in event-time order: each input is read by its own record source, and a k-way
 * merge on (timestamp, input order) picks the next record, so several files (a CDR export, a Zeek log, broker logs)
 * interleave deterministically. Records out of order within an input are used when they are within the engine's
 * reorder window and counted as late beyond it. Every record that cannot be used goes to `onReject` with file:line.
 */
import { statSync } from "node:fs";
import type { Engine } from "./engine.ts";
import { type OpenOptions, openSource } from "./read/open.ts";
import { Rec } from "./read/rec.ts";
import { openThreaded } from "./read/threaded.ts";
import type { RecordSource } from "./read/source.ts";

export interface ReplayOptions extends Omit<OpenOptions, "onReject"> {
  since?: number;
  until?: number;
  /** Read and decode on a worker thread (threaded.ts); by default when the inputs are large enough to gain from it. */
  readThread?: boolean;
  onReject(file: string, line: number, reason: string, text: string): void;
}

export interface ReplayStats {
  read: number;
  used: number;
  outsideRange: number;
  rejected: number;
  seconds: number;
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

export function replay(engine: Engine, files: readonly string[], opts: ReplayOptions): ReplayStats {
  const started = performance.now();
  const stats: ReplayStats = { read: 0, used: 0, outsideRange: 0, rejected: 0, seconds: 0 };
  const sources: RecordSource[] = [];
  const recs: Rec[] = [];
  try {
    const reject = (i: number, line: number, reason: string, text: string) => {
      stats.rejected++;
      opts.onReject(files[i]!, line, reason, text);
    };
    const { since: _s, until: _u, readThread, onReject: _r, ...open } = opts;
    if (readThread ?? files.reduce((sum, f) => sum + fileSize(f), 0) >= THREAD_MIN_BYTES) sources.push(...openThreaded(files, open, reject));
    else files.forEach((file, i) => sources.push(openSource(file, { ...open, onReject: (line, reason, text) => reject(i, line, reason, text) }).source));
    files.forEach((_, i) => {
      const rec = new Rec();
      rec.source = i;
      recs.push(rec);
    });
    // The heap holds input numbers, ordered by their current record's (ts, input number).
    const heap: number[] = [];
    const less = (a: number, b: number) => recs[a]!.ts < recs[b]!.ts || (recs[a]!.ts === recs[b]!.ts && a < b);
    const push = (i: number) => {
      heap.push(i);
      for (let k = heap.length - 1; k > 0; ) {
        const parent = (k - 1) >> 1;
        if (!less(heap[k]!, heap[parent]!)) break;
        [heap[k], heap[parent]] = [heap[parent]!, heap[k]!];
        k = parent;
      }
    };
    const siftDown = () => {
      for (let k = 0; ; ) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === k) return;
        [heap[k], heap[m]] = [heap[m]!, heap[k]!];
        k = m;
      }
    };
    const since = opts.since ?? -Infinity;
    const until = opts.until ?? Infinity;
    for (let i = 0; i < sources.length; i++) if (sources[i]!.next(recs[i]!)) push(i);
    while (heap.length > 0) {
      const i = heap[0]!;
      const rec = recs[i]!;
      stats.read++;
      if (rec.ts < since || rec.ts >= until) stats.outsideRange++;
      else {
        const why = engine.ingest(rec);
        if (why === null) stats.used++;
        else {
          stats.rejected++;
          opts.onReject(files[i]!, rec.line, why, JSON.stringify(rec.fields()));
        }
      }
      if (sources[i]!.next(rec)) siftDown();
      else {
        const lastIdx = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = lastIdx;
          siftDown();
        }
      }
    }
    engine.advance(engine.now);
  } finally {
    for (const s of sources) s.close();
  }
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}
