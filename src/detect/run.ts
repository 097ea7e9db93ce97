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
import type { ColumnMapping } from "./read/mapping.ts";
import type { InputFormat } from "./read/open.ts";
import { replay, type ReplayStats } from "./replay.ts";
import { hasSnapshot, loadSnapshot, restoredClock, saveSnapshot } from "./snapshot.ts";
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
  /** Memory budget and folder for sorting inputs that are not in time order. */
  sort?: SortOptions;
  dedupWindowMs?: number;
  mapping?: ColumnMapping;
  format?: InputFormat;
  kind?: number;
  since?: number;
  until?: number;
  stateDir?: string;
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
  savedBytes?: number;
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
      ...(o.params ? { params: o.params } : {}),
      ...(o.localNets ? { localNets: o.localNets } : {}),
      ...(o.dedupWindowMs !== undefined ? { dedupWindowMs: o.dedupWindowMs } : {}),
      ...(o.reference ? { reference: o.reference } : {}),
      ...(o.initialCapacity !== undefined ? { initialCapacity: o.initialCapacity } : {}),
    });
    restored = o.stateDir !== undefined && hasSnapshot(o.stateDir);
    if (restored) loadSnapshot(engine, o.stateDir!);
    if (o.inventory) engine.addInventory(o.inventory.devices, o.inventory.models);
    if (o.suppressions) engine.setSuppressions(o.suppressions);
    learned = (o.feedback ?? []).filter((a) => engine.learn(a)).map((a) => a.id);
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
  });
  const saved = o.stateDir !== undefined ? saveSnapshot(engine, o.stateDir) : undefined;
  const alerts = [...changed.values()].map((a) => structuredClone(a)).sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { alerts, replay: stats, engine, learned, restored, ...(saved ? { savedBytes: saved.bytes } : {}) };
}
