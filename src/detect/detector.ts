/**
 * The contract every detector fulfils. A detector is one module that declares its id (FORMATS.md), the record kinds
 * it reads, its parameters with defaults, its warm-up, and the text its alerts explain themselves with. `create`
 * gets the engine's services — state columns, the fleet, the alert sink — and returns hooks. The engine calls the
 * hooks and never asks which detector it is running.
 */
import type { z } from "zod";
import type { Alert, DetectorId, RecordKind } from "../core/record.ts";
import type { Severity } from "../core/severity.ts";
import type { StandardRef } from "../core/standards.ts";
import type { Columns } from "./columns.ts";
import type { FleetView } from "./fleet.ts";
import type { Rec } from "./read/rec.ts";

export interface DetectorMeta {
  id: DetectorId;
  title: string;
  /** Default severity; a draft may raise or lower it. */
  severity: Severity;
  kinds: readonly RecordKind[];
  /** What it needs to have seen before it alerts, in plain words. */
  warmup: string;
  /** Why this matters, for someone new to IoT security. */
  why: string;
  /**
   * Templates with `{name}` placeholders filled from the draft's `vars` (and `{device}`): `summary` says what was
   * seen and how unusual it is compared with what; `action` what to do.
   */
  summary: string;
  action: string;
  /** What it deliberately leaves alone and why (so people know what a quiet detector does not vouch for). */
  ignores?: string;
  /**
   * Set when the detector can judge a record that arrives behind live ingest's reorder buffer (after records with a
   * later time were processed): says why its judgement does not depend on time order. Without it, late records are
   * counted but not given to the detector.
   */
  lateRecords?: string;
  /**
   * Set when the detector learns across devices (per model, per fleet), so it cannot run on one partition of the
   * fleet: scale-out runs it in the fleet stage over every partition's records (docs/scale.md). Says what it shares.
   */
  fleetWide?: string;
  /** Provisions an open alert of this detector is evidence against (`certify` uses them, like a rule's). */
  standards?: readonly StandardRef[];
  /** MITRE ATT&CK technique ids (Enterprise, ICS or Mobile) its alerts are evidence of; checked against data/attack-techniques.csv. */
  attack?: readonly string[];
  /**
   * For `intel export`: the evidence field that names the remote endpoint an alert points at (a command-and-control
   * server, an attacker), and the STIX indicator types it is. Detectors without it share no indicators.
   */
  intel?: { endpoint: string; indicator_types: readonly ("malicious-activity" | "anomalous-activity" | "compromised")[] };
}

/** What a detector reports; the engine adds id, device name, file:line of the record, dedup and suppression. */
export interface AlertDraft {
  device: number;
  /** What the alert is about within this detector and device; alerts with the same key are merged within a window. */
  key: string;
  ts: number;
  confidence: number;
  severity?: Severity;
  /** Data: what was seen and the baseline it was compared with. */
  evidence: Record<string, unknown>;
  /** Display strings for the summary and action templates. */
  vars: Record<string, string | number>;
  /** Names what the alert is about instead of the device (fleet-wide alerts, e.g. `model:meter-v2`). */
  subject?: string;
  /** Stays open past the dedup window until the detector resolves it (a condition such as silence). */
  sticky?: boolean;
  /** The record that triggered it, when there is one (its fields and file:line go into the evidence). */
  rec?: Rec;
}

export interface DetectorContext<P> {
  params: P;
  columns: Columns;
  fleet: FleetView;
  raise(draft: AlertDraft): void;
  /** Closes the open alert with this key (the condition ended, e.g. a silent device reported again). */
  resolve(device: number, key: string, ts: number): void;
}

export interface DetectorRun {
  /**
   * Called for each record of the kinds the detector declared, in event-time order, with `rec.device` resolved; and,
   * for detectors that declare `lateRecords`, for records that arrived behind that order (`rec.ts` below the clock).
   */
  record?(rec: Rec): void;
  /** Called as event time advances (at most once per engine tick) so detectors can notice absence. */
  tick?(now: number): void;
  /** A person marked one of this detector's alerts benign: learn it, so it does not alert again. */
  learn?(alert: Alert, device: number): void;
  /** State outside the columns (maps, sketches) as JSON-able data, and its restore. */
  save?(): unknown;
  load?(state: unknown): void;
  /** Counts worth showing after a run (e.g. devices by reporting state). */
  summary?(): Record<string, number>;
  /** Bytes held outside the columns (maps, fleet-wide sketches), for the memory figures. */
  extraBytes?(): number;
}

export interface Detector<P = unknown> extends DetectorMeta {
  params: z.ZodType<P>;
  create(ctx: DetectorContext<P>): DetectorRun;
  /** Set on fleet-wide detectors: the same logic as `create`, cut in two for scale-out (see DetectorSplit). */
  split?: DetectorSplit<P>;
}

/**
 * A fleet-wide detector cut where its per-device state ends, so scale-out can run the first part in the partitions
 * (where every record of a device is) and the second in the fleet stage (where every device's facts meet), with the
 * same alerts as one process: `create` is the two parts joined (`defineSplitDetector`), so they cannot drift apart.
 *
 * The device part sees every record of its kinds and answers a **fact** — an unsigned 32-bit number the fleet part
 * needs (e.g. "this destination is new to the device"), or -1 when the record cannot matter fleet-wide (most
 * records: a destination the device already uses). The fleet part gets only the records with a fact, in event-time
 * order, with their device resolved and its first-seen time set; it holds what is shared across devices.
 */
export interface DetectorSplit<P = unknown> {
  device(ctx: DetectorContext<P>): DeviceRun;
  fleet(ctx: DetectorContext<P>): FleetRun;
}

export interface DeviceRun {
  /** The fact the fleet part needs about this record, or -1 (none: the record cannot matter fleet-wide). */
  record(rec: Rec): number;
  learn?(alert: Alert, device: number): void;
}

export interface FleetRun extends Omit<DetectorRun, "record" | "learn"> {
  /** A record the device part gave a fact for (`fact` ≥ 0), in event-time order (late ones as for `record`). */
  fact(rec: Rec, fact: number): void;
}

/** Declares a detector with its parameter type inferred from its schema. */
export function defineDetector<S extends z.ZodType>(d: DetectorMeta & { params: S; create(ctx: DetectorContext<z.output<S>>): DetectorRun }): Detector {
  return d as unknown as Detector;
}

/**
 * Declares a fleet-wide detector by its two parts; in one process (`create`) every record goes through the device
 * part and, when it answers a fact, straight on to the fleet part — exactly what scale-out does across the stream.
 */
export function defineSplitDetector<S extends z.ZodType>(d: DetectorMeta & { fleetWide: string; params: S; split: DetectorSplit<z.output<S>> }): Detector {
  const create = (ctx: DetectorContext<z.output<S>>): DetectorRun => {
    const device = d.split.device(ctx);
    const fleet = d.split.fleet(ctx);
    const { fact, ...rest } = fleet;
    return {
      ...rest,
      record(rec) {
        const f = device.record(rec);
        if (f >= 0) fact.call(fleet, rec, f);
      },
      ...(device.learn ? { learn: device.learn.bind(device) } : {}),
    };
  };
  return { ...d, create } as unknown as Detector;
}
