/**
 * One worker thread of `detect --workers N`: an engine with the per-device detectors over one partition's devices.
 * The main thread reads, resolves and orders the records and sends this partition's, encoded (rec-codec), with the
 * points where the main engine's clock ticked, so this engine ticks at exactly the same event times.
 *
 * Entry layout of a batch: u8 tag — 1: a record (rec-codec bytes follow), 2: advance (f64 event time follows).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Device, DeviceModel } from "../core/fleet.ts";
import type { Alert } from "../core/record.ts";
import type { Suppression } from "../detect/alert-book.ts";
import { Engine } from "../detect/engine.ts";
import { decodeRec, encodedLength } from "../detect/read/rec-codec.ts";
import { Rec } from "../detect/read/rec.ts";
import { selectDetectors } from "../detect/run.ts";
import type { ReferenceData } from "../detect/fleet.ts";

export interface ThreadInit {
  detectors: string[];
  params?: Readonly<Record<string, unknown>>;
  localNets?: readonly string[];
  now: number;
  maxFutureMs?: number;
  maxPastMs?: number;
  dedupWindowMs?: number;
  reference?: ReferenceData;
  files: readonly string[];
  devices: Device[];
  models: DeviceModel[];
  suppressions: readonly Suppression[];
  feedback: readonly Alert[];
  /** Int32 per thread: batches sent and not yet processed (the main thread waits when too many are). */
  pending: SharedArrayBuffer;
  index: number;
}

export type ToThread = { type: "batch"; bytes: Uint8Array } | { type: "reset" } | { type: "end" };
export type FromThread = { type: "done"; alerts: Alert[]; learned: string[]; records: number[] } | { type: "error"; message: string };

const init = workerData as ThreadInit;
const pending = new Int32Array(init.pending);
let changed = new Map<string, Alert>();
let learned: string[] = [];
let engine = build();
const rec = new Rec();

function build(): Engine {
  changed = new Map();
  const e = new Engine({
    detectors: selectDetectors(init.detectors),
    sink: (a) => changed.set(a.id, a),
    sourceName: (i) => init.files[i] ?? "input",
    clock: () => init.now,
    ...(init.maxFutureMs !== undefined ? { maxFutureMs: init.maxFutureMs } : {}),
    ...(init.maxPastMs !== undefined ? { maxPastMs: init.maxPastMs } : {}),
    ...(init.params ? { params: init.params } : {}),
    ...(init.localNets ? { localNets: init.localNets } : {}),
    ...(init.dedupWindowMs !== undefined ? { dedupWindowMs: init.dedupWindowMs } : {}),
    ...(init.reference ? { reference: init.reference } : {}),
  });
  if (init.devices.length + init.models.length > 0) e.addInventory(init.devices, init.models);
  e.setSuppressions(init.suppressions);
  learned = init.feedback.filter((a) => e.learn(a)).map((a) => a.id);
  return e;
}

function run(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < bytes.length; ) {
    const tag = bytes[at]!;
    at++;
    if (tag === 2) {
      engine.advance(view.getFloat64(at, true));
      at += 8;
    } else {
      decodeRec(rec, bytes, view, at);
      at += encodedLength(view, at);
      engine.ingest(rec);
    }
  }
}

parentPort!.on("message", (m: ToThread) => {
  try {
    if (m.type === "batch") {
      run(m.bytes);
      Atomics.sub(pending, init.index, 1);
      Atomics.notify(pending, init.index);
    } else if (m.type === "reset") engine = build();
    else {
      const out: FromThread = { type: "done", alerts: [...changed.values()], learned, records: engine.stats.records };
      parentPort!.postMessage(out);
    }
  } catch (e) {
    parentPort!.postMessage({ type: "error", message: (e as Error).stack ?? String(e) } satisfies FromThread);
  }
});
