/**
 * One detection run over files: builds the engine with the chosen detectors, restores its state, applies people's
 * verdicts and suppressions, replays the files, and saves the state again. Returns every alert the run raised or
 * changed, in a stable order. The CLI, the benchmarks and the tests all go through here.
 */
import type { Device, DeviceModel } from "../core/fleet.ts";
import type { Alert } from "../core/record.ts";
import type { Suppression } from "./alert-book.ts";
import type { Detector } from "./detector.ts";
import { allDetectors } from "./detectors/index.ts";
import { Engine } from "./engine.ts";
import type { ReferenceData } from "./fleet.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import type { ColumnMapping } from "./read/mapping.ts";
import type { InputFormat } from "./read/open.ts";
import { replay, type ReplayStats } from "./replay.ts";
import { memoryWarning } from "./memory.ts";
import { hasSnapshot, loadSnapshot, type Outbox, restoredClock, saveSnapshot } from "./snapshot.ts";
import type { SortOptions } from "./sort.ts";

export interface DetectRunOptions {
  files: readonly string[];
  /** Detector ids to run (default: all). */
  detectors?: readonly string[];
  params?: Readonly<Record<string, unknown>>;
  localNets?: readonly string[];
  /** The run's "now" (epoch ms, default the wall clock): records more than `maxFutureMs` after it are rejected. */
  now?: number;
  /** How far ahead of `now` a record's time may be (default one day). */
  maxFutureMs?: number;
  /** How far behind `now` a record's time may be (default: no bound). */
  maxPastMs?: number;
  /** Memory budget and folder for sorting inputs that are not in time order. */
  sort?: SortOptions;
  dedupWindowMs?: number;
  mapping?: ColumnMapping;
  format?: InputFormat;
  /** The record files' text encoding (default: UTF-8, UTF-16 by its byte order mark, Windows-1252 with a warning). */
  encoding?: TextEncodingName;
  kind?: number;
  since?: number;
  until?: number;
  stateDir?: string;
  /**
   * The alerts go to a store after the run: save them (and the verdicts learned) with the state, as one unit, until
   * the store has them (snapshot.ts). Without it a state keeps only alerts an earlier run could not store yet.
   */
  outbox?: boolean;
  /** Told before the replay when the fleet's state may not fit in memory, and of a byte a reader did not read as written. */
  warn?(message: string): void;
  /** Bytes of memory the process may use (default process.availableMemory()); for tests. */
  memoryAvailable?: number;
  inventory?: { devices: Iterable<Device>; models: readonly DeviceModel[] };
  suppressions?: readonly Suppression[];
  /** Alerts people verified as benign since the last run: detectors learn from them before replaying. */
  feedback?: readonly Alert[];
  reference?: ReferenceData;
  initialCapacity?: number;
  /** See ReplayOptions.readThread. */
  readThread?: boolean;
  onReject(file: string, line: number, reason: string, text: string): void;
}

export interface DetectRunResult {
  alerts: Alert[];
  replay: ReplayStats;
  engine: Engine;
  /** Ids of the feedback alerts that taught a detector something. */
  learned: string[];
  restored: boolean;
  /**
   * This run's processed records per kind (on time and late; KIND order): the engine's counters less those a restored
   * state brought, so they add up to `replay.used`.
   */
  processedByKind: number[];
  savedBytes?: number;
  /** How many of `alerts` an earlier run raised but could not store: this run's caller stores them. */
  carried: number;
  /** The run id of the outbox saved with the state (mark it stored once the store has the alerts). */
  runId?: string;
}

export function selectDetectors(ids: readonly string[] | undefined): Detector[] {
  if (!ids) return [...allDetectors];
  return ids.map((id) => {
    const d = allDetectors.find((x) => x.id === id);
    if (!d) throw new Error(`no detector "${id}"; known: ${allDetectors.map((x) => x.id).join(", ")}`);
    return d;
  });
}

export function runDetection(o: DetectRunOptions): DetectRunResult {
  const changed = new Map<string, Alert>();
  const now = o.now ?? Date.now();
  let learned: string[] = [];
  let restored = false;
  let pending: Outbox | undefined;
  let warned = false;
  let before: number[] = [];
  // Builds the engine with what it knows before the records: its state, the inventory, suppressions, verdicts. The
  // replay calls it again when the inputs must be sorted first (the first engine saw them in the wrong order).
  const build = (): Engine => {
    changed.clear();
    const engine = new Engine({
      detectors: selectDetectors(o.detectors),
      sink: (a) => changed.set(a.id, a),
      sourceName: (i) => o.files[i] ?? "input",
      clock: () => now,
      ...(o.maxFutureMs !== undefined ? { maxFutureMs: o.maxFutureMs } : {}),
      ...(o.maxPastMs !== undefined ? { maxPastMs: o.maxPastMs } : {}),
      ...(o.params ? { params: o.params } : {}),
      ...(o.localNets ? { localNets: o.localNets } : {}),
      ...(o.dedupWindowMs !== undefined ? { dedupWindowMs: o.dedupWindowMs } : {}),
      ...(o.reference ? { reference: o.reference } : {}),
      ...(o.initialCapacity !== undefined ? { initialCapacity: o.initialCapacity } : {}),
    });
    restored = o.stateDir !== undefined && hasSnapshot(o.stateDir);
    pending = restored ? loadSnapshot(engine, o.stateDir!) : undefined;
    before = engine.stats.records.map((k, i) => k + engine.stats.late[i]!);
    if (o.inventory) engine.addInventory(o.inventory.devices, o.inventory.models);
    if (o.suppressions) engine.setSuppressions(o.suppressions);
    // Verdicts the saved state already learned (its run could not mark them in the store) are not learned twice.
    const known = new Set(pending?.learned ?? []);
    learned = (o.feedback ?? []).filter((a) => !known.has(a.id) && engine.learn(a)).map((a) => a.id);
    if (!warned) {
      warned = true;
      const m = engine.memory();
      const why = memoryWarning(engine.devices(), m.columnsPerDevice + m.indexBytes / Math.max(1, engine.devices()), o.memoryAvailable ?? availableMemory());
      if (why) o.warn?.(why);
    }
    return engine;
  };
  // With restored state, records older than its clock were seen by an earlier run: skip them (counted), don't judge
  // them again — so running the same command again over a growing file just carries on.
  const probe = o.stateDir !== undefined && hasSnapshot(o.stateDir) ? restoredClock(o.stateDir) : -Infinity;
  const since = Number.isFinite(probe) ? Math.max(o.since ?? -Infinity, probe) : o.since;
  const { engine, stats } = replay(build, o.files, {
    onReject: o.onReject,
    ...(o.mapping ? { mapping: o.mapping } : {}),
    ...(o.format ? { format: o.format } : {}),
    ...(o.kind !== undefined ? { kind: o.kind } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
    ...(o.readThread !== undefined ? { readThread: o.readThread } : {}),
    ...(o.sort ? { sort: o.sort } : {}),
    ...(o.encoding ? { encoding: o.encoding } : {}),
    ...(o.warn ? { onWarning: o.warn } : {}),
  });
  // Alerts an earlier run saved with its state but could not store come first; this run's version of one wins.
  const carried = (pending?.alerts ?? []).filter((a) => !changed.has(a.id));
  const alerts = [...(o.outbox ? carried : []), ...[...changed.values()].map((a) => structuredClone(a))].sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (o.outbox) learned = [...new Set([...(pending?.learned ?? []), ...learned])];
  const outbox = o.outbox ? { alerts, learned } : pending ? { alerts: carried, learned: pending.learned } : undefined;
  const saved = o.stateDir !== undefined ? saveSnapshot(engine, o.stateDir, outbox) : undefined;
  const processedByKind = engine.stats.records.map((k, i) => k + engine.stats.late[i]! - (before[i] ?? 0));
  return { alerts, replay: stats, engine, learned, restored, processedByKind, carried: o.outbox ? carried.length : 0, ...(saved ? { savedBytes: saved.bytes } : {}), ...(saved?.runId ? { runId: saved.runId } : {}) };
}

function availableMemory(): number {
  const p = process as { availableMemory?: () => number };
  return typeof p.availableMemory === "function" ? p.availableMemory() : Infinity;
}
