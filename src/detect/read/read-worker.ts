/**
 * Worker-thread entry that reads, splits and decodes input files for a replay on another thread (worker-sources.ts).
 * It runs the same record sources as an in-thread replay, packs what they produce into batches (rec-batch.ts) and
 * posts each input's batches to that input's port. It stays a few batches ahead of the consumer per input: it fills
 * whichever inputs have room and sleeps on the shared counters when none has.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { openSource } from "./open.ts";
import { Rec } from "./rec.ts";
import { BatchWriter, type RecBatch } from "./rec-batch.ts";
import type { RecordSource } from "./source.ts";
import { AHEAD, CONSUMED, produced, consumed, STOP, type ReadWorkerData, type ReadWorkerMessage } from "./worker-protocol.ts";

const data = workerData as ReadWorkerData;
const ctrl = new Int32Array(data.control);
const n = data.files.length;
const slot = data.inputs;
// Batches come back on the same port once the replay is done with them, to be filled again.
const writers = data.ports.map((port) => new BatchWriter(() => receiveMessageOnPort(port)?.message as RecBatch | undefined));
const sources: (RecordSource | undefined)[] = [];
const live = data.files.map(() => true);
const rec = new Rec();

function send(i: number, m: ReadWorkerMessage, transfer: ArrayBuffer[] = []): void {
  data.ports[i]!.postMessage(m, transfer);
  Atomics.add(ctrl, produced(slot[i]!), 1);
  Atomics.notify(ctrl, produced(slot[i]!));
}

function flush(i: number, done: boolean): void {
  const { batch, transfer } = writers[i]!.take();
  send(i, { batch, done }, transfer);
}

function fail(i: number, e: unknown): void {
  live[i] = false;
  sources[i]?.close();
  send(i, { error: e instanceof Error ? e.message : String(e) });
}

data.files.forEach((file, i) => {
  try {
    sources[i] = openSource(file, {
      ...data.options,
      onReject: (line, reason, text) => {
        const w = writers[i]!;
        w.reject(line, reason, text);
        // A long run of bad lines is handed over as it grows. Not waiting for room here: the consumer may be waiting
        // for another input, which this thread cannot fill while it is inside this input's reader.
        if (w.full()) flush(i, false);
      },
    }).source;
  } catch (e) {
    fail(i, e);
  }
});

/** Reads one batch of input i and posts it (with `done` when the input ended). */
function fill(i: number): void {
  const w = writers[i]!;
  const src = sources[i]!;
  let more = true;
  try {
    while (!w.full() && (more = src.next(rec))) w.add(rec);
  } catch (e) {
    fail(i, e);
    return;
  }
  if (w.count > 0 || !more) flush(i, !more);
  if (!more) {
    live[i] = false;
    src.close();
  }
}

for (;;) {
  if (Atomics.load(ctrl, STOP) !== 0 || !live.includes(true)) break;
  const seen = Atomics.load(ctrl, CONSUMED);
  let filled = false;
  for (let i = 0; i < n; i++) {
    if (!live[i] || Atomics.load(ctrl, produced(slot[i]!)) - Atomics.load(ctrl, consumed(slot[i]!)) >= AHEAD) continue;
    fill(i);
    filled = true;
  }
  if (!filled) Atomics.wait(ctrl, CONSUMED, seen);
}
for (const s of sources) s?.close();
for (const p of data.ports as MessagePort[]) p.close();
