/**
 * Reading on a worker thread. On two cores, splitting and decoding the input files takes about as long as running
 * the detectors, so a worker (read-worker.ts) runs the ordinary record sources and packs decoded records into shared
 * batch slots (batch.ts); the replay thread takes them as record sources of its own whose records are views of those
 * rows. Each input has a ring of a few slots, so memory stays bounded; the worker waits when every ring is full and
 * the replay thread waits for the input it needs. Rejects travel with their batch and reach the sink at the same
 * point of the replay as when reading in-thread, so the output is identical either way.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { newSlotBuffer, rowViews, type RowViews, slotOf } from "./batch.ts";
import type { OpenOptions } from "./open.ts";
import type { Rec } from "./rec.ts";
import type { RecordSource, RejectSink, WarningAt } from "./source.ts";

/** Slots per input: one being read by the replay, the others being filled. */
const SLOTS_PER_INPUT = 3;

/** Indexes into the shared control array. */
export const CTRL = {
  /** Bumped by the replay thread whenever it frees a slot (the worker waits on it). */
  freed: 0,
  produced: (i: number) => 1 + 2 * i,
  consumed: (i: number) => 2 + 2 * i,
};

export interface ReadWorkerData {
  files: string[];
  open: Omit<OpenOptions, "onReject" | "onWarning" | "onLineReader">;
  slots: SharedArrayBuffer[][];
  ctrl: SharedArrayBuffer;
  port: unknown;
}

export interface BatchMessage {
  input: number;
  rows: number;
  /** [row the reject came before, line, reason, text]. */
  rejects: [number, number, string, string][];
  /** Rows whose bytes did not fit a slot, with their own bytes. */
  big: [number, Uint8Array][];
  /** The reader's warnings (a byte not read as written), for the replay thread to pass on. */
  warnings: [string, WarningAt][];
  done: boolean;
}

// The build runs the compiled worker; sources run under tsx, and the worker then registers tsx first (an --import in
// execArgv does not apply to a worker's entry on Node 20).
const fromSource = import.meta.url.endsWith(".ts");
const entry = new URL(fromSource ? "./read-worker.ts" : "./read-worker.js", import.meta.url);

/** How long the replay thread waits for a batch before it concludes the worker is gone. */
const STALL_MS = 120_000;

class Reader {
  readonly ctrl: Int32Array;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly queues: BatchMessage[][];
  private closed = false;

  constructor(
    files: readonly string[],
    open: Omit<OpenOptions, "onReject" | "onWarning" | "onLineReader">,
    readonly slots: SharedArrayBuffer[][],
    private readonly onWarning: ((message: string, at: WarningAt) => void) | undefined,
  ) {
    const ctrlSab = new SharedArrayBuffer(4 * (1 + 2 * files.length));
    this.ctrl = new Int32Array(ctrlSab);
    this.queues = files.map(() => []);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: ReadWorkerData = { files: [...files], open, slots, ctrl: ctrlSab, port: port2 };
    const options = { workerData: data, transferList: [port2] };
    if (fromSource) {
      const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
      this.worker = new Worker(bootstrap, { ...options, eval: true });
    } else this.worker = new Worker(entry, options);
    this.worker.unref();
  }

  /** The next batch of input `i`, waiting for the worker when it has none ready. */
  take(i: number): BatchMessage {
    const q = this.queues[i]!;
    let waited = 0;
    for (;;) {
      if (q.length > 0) return q.shift()!;
      const seen = Atomics.load(this.ctrl, CTRL.produced(i));
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const msg = m.message as BatchMessage | { error: string };
        if ("error" in msg) throw new Error(`reading failed: ${msg.error}`);
        for (const [w, at] of msg.warnings) this.onWarning?.(w, at);
        this.queues[msg.input]!.push(msg);
      }
      if (q.length > 0) continue;
      if (Atomics.wait(this.ctrl, CTRL.produced(i), seen, 1000) === "timed-out" && (waited += 1000) >= STALL_MS) {
        throw new Error(`the reading thread sent nothing for ${STALL_MS / 1000} s`);
      }
    }
  }

  free(i: number): void {
    Atomics.add(this.ctrl, CTRL.consumed(i), 1);
    Atomics.add(this.ctrl, CTRL.freed, 1);
    Atomics.notify(this.ctrl, CTRL.freed);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

class ThreadedSource implements RecordSource {
  private batch: BatchMessage | undefined;
  private readonly views: RowViews[] = [];
  private rows: RowViews | undefined;
  private taken = 0;
  private k = 0;
  private nextReject = 0;
  private ended = false;

  constructor(
    readonly name: string,
    private readonly input: number,
    private readonly reader: Reader,
    private readonly onReject: RejectSink,
  ) {}

  next(rec: Rec): boolean {
    for (;;) {
      const batch = this.batch;
      if (batch !== undefined) {
        const rejects = batch.rejects;
        while (this.nextReject < rejects.length && rejects[this.nextReject]![0] <= this.k) {
          const [, line, reason, text] = rejects[this.nextReject++]!;
          this.onReject(line, reason, text);
        }
        if (this.k < batch.rows) {
          const k = this.k++;
          rec.showRow(this.rows!, k, batch.big.length > 0 ? this.bytesOf(batch, k) : this.rows!.slot.bytes);
          return true;
        }
        this.batch = undefined;
        this.reader.free(this.input);
        if (batch.done) this.ended = true;
      }
      if (this.ended) return false;
      this.batch = this.reader.take(this.input);
      const j = this.taken++ % SLOTS_PER_INPUT;
      this.rows = this.views[j] ??= rowViews(slotOf(this.reader.slots[this.input]![j]!));
      this.k = 0;
      this.nextReject = 0;
    }
  }

  private bytesOf(batch: BatchMessage, k: number): Uint8Array {
    for (const [row, bytes] of batch.big) if (row === k) return bytes;
    return this.rows!.slot.bytes;
  }

  close(): void {
    this.reader.close();
  }
}

/**
 * Record sources for `files` that read on one worker thread. The sink gets each input's rejects with its index.
 * Closing any of them stops the worker.
 */
export function openThreaded(files: readonly string[], open: Omit<OpenOptions, "onReject">, onReject: (input: number, line: number, reason: string, text: string) => void): RecordSource[] {
  const slots = files.map(() => Array.from({ length: SLOTS_PER_INPUT }, newSlotBuffer));
  // Functions do not cross to the worker: its warnings come back with its batches.
  const { onWarning, onLineReader: _l, ...cloneable } = open;
  const reader = new Reader(files, cloneable, slots, onWarning);
  return files.map((file, i) => new ThreadedSource(file, i, reader, (line, reason, text) => onReject(i, line, reason, text)));
}
