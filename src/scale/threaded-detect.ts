/**
 * `detect --workers N`: a file replay split over N worker threads by the partition function scale-out uses. The main
 * thread reads the files, merges them in time order (sorting when needed, as `detect` does), resolves each record's
 * device and runs the fleet-wide detectors; each record then goes, encoded, to the thread of its device's partition,
 * which runs the per-device detectors (detect-thread.ts). The points where the main engine's clock ticked go to every
 * thread in the same stream, so each thread's engine ticks at the same event times as a single-threaded run and the
 * alerts are the same (test/scale/threaded-detect.test.ts).
 */
import { Worker } from "node:worker_threads";
import type { Alert } from "../core/record.ts";
import { LongwatchError } from "../core/errors.ts";
import type { Detector, DetectorContext } from "../detect/detector.ts";
import { Engine } from "../detect/engine.ts";
import { encodedSize, encodeRec } from "../detect/read/rec-codec.ts";
import type { Rec } from "../detect/read/rec.ts";
import { replay } from "../detect/replay.ts";
import { type DetectRunOptions, selectDetectors } from "../detect/run.ts";
import type { ReplayStats } from "../detect/replay.ts";
import type { FromThread, ThreadInit, ToThread } from "./detect-thread.ts";
import { partitionOf } from "./partition.ts";
import { z } from "zod";

export interface ThreadedRunResult {
  alerts: Alert[];
  replay: ReplayStats;
  engine: Engine;
  learned: string[];
  restored: boolean;
  /** Records processed per kind (DetectRunResult.processedByKind). */
  processedByKind: number[];
  /** Always 0: threaded runs keep no state (--state is refused). */
  carried: number;
  runId?: string;
  /** Records each thread's detectors got, by thread. */
  perThread: number[];
}

const fromSource = import.meta.url.endsWith(".ts");
const entry = new URL(fromSource ? "./detect-thread.ts" : "./detect-thread.js", import.meta.url);
const BATCH = 256 << 10;
/** Batches a thread may have waiting before the main thread waits for it. */
const MAX_PENDING = 16;

function startThread(init: ThreadInit): Worker {
  if (!fromSource) return new Worker(entry, { workerData: init });
  const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

class Outbox {
  buf = new Uint8Array(BATCH + 4096);
  view = new DataView(this.buf.buffer);
  at = 0;
}

export async function runDetectionThreaded(o: DetectRunOptions & { workers: number }): Promise<ThreadedRunResult> {
  if (o.stateDir !== undefined) throw new LongwatchError("usage", "--workers cannot be combined with --state yet: each thread would need its own saved state");
  if (o.reference?.flows || o.reference?.watchlist) throw new LongwatchError("usage", "--workers cannot be combined with flow declarations, --geoip, --dns-log or watchlists yet (they are not shared with worker threads); run without --workers");
  const N = o.workers;
  const chosen = selectDetectors(o.detectors);
  const fleetWide = chosen.filter((d) => d.fleetWide);
  const perDevice = chosen.filter((d) => !d.fleetWide).map((d) => d.id);
  const now = o.now ?? Date.now();
  const pending = new Int32Array(new SharedArrayBuffer(4 * N));
  const devices = o.inventory ? [...o.inventory.devices] : [];
  const models = o.inventory?.models ?? [];
  const threads = Array.from({ length: N }, (_, i) =>
    startThread({
      detectors: perDevice,
      ...(o.params ? { params: o.params } : {}),
      ...(o.localNets ? { localNets: o.localNets } : {}),
      now,
      ...(o.maxFutureMs !== undefined ? { maxFutureMs: o.maxFutureMs } : {}),
      ...(o.maxPastMs !== undefined ? { maxPastMs: o.maxPastMs } : {}),
      ...(o.dedupWindowMs !== undefined ? { dedupWindowMs: o.dedupWindowMs } : {}),
      ...(o.reference ? { reference: o.reference } : {}),
      files: o.files,
      devices: devices.filter((d) => partitionOf(d.device_id, N) === i),
      models: [...models],
      suppressions: o.suppressions ?? [],
      feedback: o.feedback ?? [],
      pending: pending.buffer as SharedArrayBuffer,
      index: i,
    }),
  );
  const failures: string[] = [];
  for (const t of threads) t.on("error", (e) => failures.push(e.stack ?? String(e)));
  const boxes = threads.map(() => new Outbox());
  const send = (i: number) => {
    const box = boxes[i]!;
    if (box.at === 0) return;
    // Back-pressure: reading must not run ahead of a slow thread by more than MAX_PENDING batches.
    while (Atomics.load(pending, i) >= MAX_PENDING) Atomics.wait(pending, i, Atomics.load(pending, i), 1000);
    if (failures.length > 0) throw new LongwatchError("internal", `detection thread failed: ${failures[0]}`);
    Atomics.add(pending, i, 1);
    const bytes = box.buf.slice(0, box.at);
    threads[i]!.postMessage({ type: "batch", bytes } satisfies ToThread, [bytes.buffer]);
    box.at = 0;
  };
  const room = (i: number, n: number) => {
    const box = boxes[i]!;
    if (box.at + n > box.buf.length) {
      send(i);
      if (n > box.buf.length) {
        box.buf = new Uint8Array(n);
        box.view = new DataView(box.buf.buffer);
      }
    }
    return box;
  };
  const parts = { a: new Int16Array(1 << 12).fill(-1) };
  let perThread = new Array<number>(N).fill(0);

  // The forwarder is a detector of the main engine that sees every record in order and every tick.
  // Not a registered detector (it raises nothing), so it is built as a plain Detector rather than with defineDetector.
  const forwarder = {
    id: "scale-forward",
    title: "(internal) forwards records to detection threads",
    severity: "info",
    kinds: ["connectivity", "flow", "broker", "metric"],
    warmup: "none",
    why: "",
    summary: "",
    action: "",
    params: z.object({}),
    create(ctx: DetectorContext<unknown>) {
      return {
        record(rec: Rec) {
          const d = rec.device;
          if (d >= parts.a.length) {
            const next = new Int16Array(Math.max(parts.a.length * 2, d + 1)).fill(-1);
            next.set(parts.a);
            parts.a = next;
          }
          let p = parts.a[d]!;
          if (p < 0) p = parts.a[d] = partitionOf(ctx.fleet.name(d), N);
          const size = encodedSize(rec);
          const box = room(p, size + 1);
          box.buf[box.at++] = 1;
          box.at = encodeRec(rec, box.buf, box.view, box.at);
          perThread[p]!++;
        },
        tick(t: number) {
          for (let i = 0; i < N; i++) {
            const box = room(i, 9);
            box.buf[box.at++] = 2;
            box.view.setFloat64(box.at, t, true);
            box.at += 8;
          }
        },
      };
    },
  } as unknown as Detector;

  const changed = new Map<string, Alert>();
  let learned: string[] = [];
  let builds = 0;
  const build = (): Engine => {
    if (builds++ > 0) {
      // The replay started again to sort its inputs: so do the threads.
      for (let i = 0; i < N; i++) {
        boxes[i]!.at = 0;
        threads[i]!.postMessage({ type: "reset" } satisfies ToThread);
      }
      parts.a.fill(-1);
      perThread = new Array<number>(N).fill(0);
    }
    changed.clear();
    const engine = new Engine({
      detectors: [...fleetWide, forwarder],
      sink: (a) => changed.set(a.id, a),
      sourceName: (i) => o.files[i] ?? "input",
      clock: () => now,
      ...(o.maxFutureMs !== undefined ? { maxFutureMs: o.maxFutureMs } : {}),
      ...(o.maxPastMs !== undefined ? { maxPastMs: o.maxPastMs } : {}),
      ...(o.params ? { params: o.params } : {}),
      ...(o.localNets ? { localNets: o.localNets } : {}),
      ...(o.dedupWindowMs !== undefined ? { dedupWindowMs: o.dedupWindowMs } : {}),
      ...(o.reference ? { reference: o.reference } : {}),
    });
    if (o.inventory) engine.addInventory(devices, models);
    if (o.suppressions) engine.setSuppressions(o.suppressions);
    learned = (o.feedback ?? []).filter((a) => engine.learn(a)).map((a) => a.id);
    return engine;
  };
  try {
    const { engine, stats } = replay(build, o.files, {
      onReject: o.onReject,
      ...(o.mapping ? { mapping: o.mapping } : {}),
      ...(o.format ? { format: o.format } : {}),
      ...(o.kind !== undefined ? { kind: o.kind } : {}),
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.until !== undefined ? { until: o.until } : {}),
      ...(o.readThread !== undefined ? { readThread: o.readThread } : {}),
      ...(o.sort ? { sort: o.sort } : {}),
      ...(o.encoding ? { encoding: o.encoding } : {}),
      ...(o.warn ? { onWarning: o.warn } : {}),
    });
    for (let i = 0; i < N; i++) send(i);
    const results = await Promise.all(
      threads.map(
        (t) =>
          new Promise<FromThread & { type: "done" }>((resolve, reject) => {
            t.on("message", (m: FromThread) => (m.type === "done" ? resolve(m) : reject(new LongwatchError("internal", `detection thread failed: ${m.message}`))));
            t.once("error", reject);
            t.postMessage({ type: "end" } satisfies ToThread);
          }),
      ),
    );
    for (const r of results) {
      for (const a of r.alerts) changed.set(a.id, a);
      learned.push(...r.learned);
    }
    const alerts = [...changed.values()].map((a) => structuredClone(a)).sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // No state is restored: the engine's counters are this run's.
    return { alerts, replay: stats, engine, learned: [...new Set(learned)], restored: false, processedByKind: engine.stats.records.map((k, i) => k + engine.stats.late[i]!), carried: 0, perThread };
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
