/**
 * Live detection: records pushed as they arrive (an HTTP body, an MQTT payload, lines of a followed Zeek log) run
 * through the engine in event-time order, continuously, and the engine's state can be checkpointed together with the
 * alerts it raised so a restart carries on where it left off.
 *
 * - **Reorder buffer.** Each record is held until event time has moved `holdMs` past it, so records arriving a
 *   little out of order are still processed in order. Event time follows the records but never runs ahead of the
 *   wall clock, and when the records lag the wall clock by more than `idleMs` (or stop), it moves on with the clock —
 *   so a device that stops reporting is noticed even when everything else stops too.
 * - **Late records.** A record older than what was already processed is given to the detectors that can judge it
 *   out of order (they declare `lateRecords`) and counted; it is never rejected for being late.
 * - **Plausible times.** A record more than `maxFutureMs` ahead of the wall clock is rejected with its line and
 *   reason, so a wrong device clock can never move detection's clock.
 * - **Checkpoints.** `checkpoint()` gives the state (the engine and the records still held) as a stream of byte
 *   chunks and the alerts opened, changed or resolved since the last committed checkpoint, for the caller to commit
 *   in one transaction. Restoring it and pushing the records that came after it raises no alert twice: alert ids are
 *   fixed by detector, device, key and first sighting, so a repeat is the same alert.
 */
import type { Alert } from "../core/record.ts";
import { LongwatchError } from "../core/errors.ts";
import type { AlertSink } from "./alert-book.ts";
import { Engine, type EngineOptions } from "./engine.ts";
import { F, type FieldName } from "./read/fields.ts";
import type { ColumnMapping } from "./read/mapping.ts";
import { type InputFormat, openBytes } from "./read/open.ts";
import { decodeRec, encodedSize, encodeRec } from "./read/rec-codec.ts";
import { Rec } from "./read/rec.ts";
import { type EncodedRecordSource, isEncodedSource, type RecordSource } from "./read/source.ts";
import { decodeState, encodeState } from "./state-stream.ts";
import { HeldRecords } from "./held.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";

/** Where held records are encoded (rec-codec), one after the other; a record is its slab, offset and length (held.ts). */
interface Slab {
  readonly buf: Uint8Array;
  readonly view: DataView;
}

function newSlab(bytes: number): Slab {
  const buf = new Uint8Array(bytes);
  return { buf, view: new DataView(buf.buffer) };
}

const SLAB_BYTES = 64 * 1024;

export interface LiveOptions {
  /** How the engine is built (detectors, parameters, local networks …); the driver gives it its clock and sink. */
  engine: Omit<EngineOptions, "sink" | "clock">;
  /** Told at once of every alert opened, changed or resolved (for alert-out with low latency). */
  sink?: AlertSink;
  /** The wall clock, epoch ms (default Date.now). */
  clock?: () => number;
  /** How long (event time) a record is held for stragglers; alerts come at least this much later (default 2 s). */
  holdMs?: number;
  /** How far the records' time may lag the wall clock before event time moves on without them (default 10 min; Infinity: only the records move it). */
  idleMs?: number;
  /** Records held at most; beyond, the oldest are processed early (counted in `stats.forced`). Default 1,000,000. */
  maxHeld?: number;
  /** Calls `tick` every this many ms of wall time (default 1000); false: the caller calls it. */
  tickEveryMs?: number | false;
  /** A checkpoint's state to carry on from. */
  restore?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Runs on the engine once it is built or restored, before any record: inventory, suppressions, verdicts. */
  setup?: (engine: Engine) => void;
  /** The caller's own state kept in every checkpoint and given back on restore (the fleet stage's queued facts). */
  extra?: { save(): unknown; load(state: unknown): void };
}

export interface PushOptions {
  /** What the bytes are (default: recognised from their content). */
  format?: InputFormat;
  mapping?: ColumnMapping;
  /** Kind of every record, when the bytes do not say. */
  kind?: number;
  /** Shown in rejects and evidence (default "input"), e.g. "mqtt:fleet/meter-1/records" or "http". */
  name?: string;
  /** Values for records that lack them, e.g. the device_id an MQTT topic names. */
  defaults?: Partial<Record<FieldName, string>>;
  /** The bytes' text encoding (an HTTP charset); default UTF-8, UTF-16 by its byte order mark. */
  encoding?: TextEncodingName;
  /** How the sender names an encoding, ending a warning (default: the --encoding flag). */
  encodingHint?: string;
}

export interface PushResult {
  accepted: number;
  rejected: number;
  /** Each rejected record: its line in the pushed bytes and why. */
  rejects: { line: number; reason: string }[];
  /** Of the accepted, records older than what was already processed (given to the detectors that can use them). */
  late: number;
  /** A byte not read as written (not UTF-8, so read as Windows-1252 from there …): its line in the pushed bytes and what. */
  warnings: { line: number; reason: string; offset: number }[];
}

export interface Checkpoint {
  /**
   * The state as byte chunks. Read them all before pushing more records: they are views of live arrays. With
   * `crc: false`, without the stream's CRC tail (see encodeState): the caller adds it.
   */
  state(o?: { crc?: boolean }): Generator<Uint8Array>;
  /** Alerts opened, changed or resolved since the last committed checkpoint, each in its latest version. */
  alerts: Alert[];
  /** Event time the state had reached. */
  at: number;
  /** Call once state and alerts are committed; until then, a later checkpoint includes these alerts again. */
  commit(): void;
}

export interface LiveStats {
  accepted: number;
  rejected: number;
  late: number;
  held: number;
  /** Records processed before their hold ended because the buffer was full. */
  forced: number;
  checkpoints: number;
  /**
   * Records the reorder buffer encoded to hold them. Records of an encoded source (scale-out's batches) are held as
   * the bytes they came in, not encoded again: a partition's CPU went ~10% into encoding each record twice.
   */
  encoded: number;
}


/** Starts live detection, restored from a checkpoint's state when one is given. */
export async function startDetection(opts: LiveOptions): Promise<LiveDetection> {
  const live = new LiveDetection(opts);
  if (opts.restore) live.restoreExtra(await decodeState(live.engine, opts.restore));
  opts.setup?.(live.engine);
  live.start();
  return live;
}

export class LiveDetection {
  readonly engine: Engine;
  readonly stats: LiveStats = { accepted: 0, rejected: 0, late: 0, held: 0, forced: 0, checkpoints: 0, encoded: 0 };
  /**
   * While a record is given to the engine, where its rec-codec bytes are when it has them (held records, records of
   * an encoded source); `buf` undefined otherwise. A caller that keeps the record (a partition's facts for the fleet
   * stage, src/scale/facts.ts) copies these bytes instead of encoding the record again.
   */
  readonly ingesting: { buf: Uint8Array | undefined; at: number; len: number } = { buf: undefined, at: 0, len: 0 };
  private readonly clock: () => number;
  private readonly holdMs: number;
  private readonly idleMs: number;
  private readonly maxHeld: number;
  private readonly held = new HeldRecords<Slab>();
  private seq = 0;
  /** Newest record time accepted, and the time up to which held records have been processed. */
  private newest = -Infinity;
  private released = -Infinity;
  private readonly changed = new Map<string, Alert>();
  private readonly rec = new Rec();
  /** The NDJSON reader's key-position cache, shared by every body pushed (ndjson.ts `keyCache`). */
  private readonly keyCache = new Int16Array(64).fill(-1);
  private slab = newSlab(SLAB_BYTES);
  private slabUsed = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;

  constructor(private readonly opts: LiveOptions) {
    this.clock = opts.clock ?? Date.now;
    this.holdMs = opts.holdMs ?? 2000;
    this.idleMs = opts.idleMs ?? 600_000;
    this.maxHeld = opts.maxHeld ?? 1_000_000;
    this.engine = new Engine({
      ...opts.engine,
      clock: this.clock,
      sink: (alert, change) => {
        this.changed.set(alert.id, alert);
        opts.sink?.(alert, change);
      },
    });
  }

  /** @internal */
  start(): void {
    const every = this.opts.tickEveryMs ?? 1000;
    if (every !== false) {
      this.timer = setInterval(() => this.tick(), every);
      this.timer.unref();
    }
  }

  /** Reads records from bytes and takes them in; answers what was accepted and each reject with its line. */
  push(body: Uint8Array | string, o: PushOptions = {}): PushResult {
    this.guard();
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    const result: PushResult = { accepted: 0, rejected: 0, rejects: [], late: 0, warnings: [] };
    const reject = (line: number, reason: string) => {
      result.rejected++;
      result.rejects.push({ line, reason });
    };
    // Built by assignment, not spreads and Object.entries: an MQTT payload is pushed on its own.
    const defaults: (readonly [number, string])[] = [];
    if (o.defaults) for (const k in o.defaults) defaults.push([F[k as FieldName], o.defaults[k as FieldName]!]);
    const opts: Parameters<typeof openBytes>[2] = { onReject: reject, onWarning: (_m, at) => result.warnings.push(at), defaults, keyCache: this.keyCache };
    if (o.format) opts.format = o.format;
    if (o.mapping) opts.mapping = o.mapping;
    if (o.kind !== undefined) opts.kind = o.kind;
    if (o.encoding) opts.encoding = o.encoding;
    if (o.encodingHint) opts.encodingHint = o.encodingHint;
    const { source } = openBytes(o.name ?? "input", bytes, opts);
    return this.take(source, result, reject);
  }

  /**
   * Takes in the records of a source already open — e.g. records a JetStream worker receives encoded by rec-codec,
   * read once by the publisher and not decoded again. Rejects carry the records' own lines.
   */
  pushSource(source: RecordSource): PushResult {
    this.guard();
    const result: PushResult = { accepted: 0, rejected: 0, rejects: [], late: 0, warnings: [] };
    return this.take(source, result, (line, reason) => {
      result.rejected++;
      result.rejects.push({ line, reason });
    });
  }

  private take(source: RecordSource, result: PushResult, reject: (line: number, reason: string) => void): PushResult {
    this.engine.refreshClock();
    const rec = this.rec;
    const lateBefore = this.lateCount();
    const enc = isEncodedSource(source) ? source : undefined;
    try {
      while (source.next(rec)) {
        const why = this.engine.check(rec);
        if (why !== null) {
          reject(rec.line, why);
          continue;
        }
        result.accepted++;
        // Behind what was processed already: the engine gives it to the detectors that can use it (and counts it).
        if (rec.ts < this.released) this.ingestNow(rec, enc);
        else {
          this.hold(rec, enc);
          if (rec.ts > this.newest) this.newest = rec.ts;
        }
      }
    } finally {
      source.close();
    }
    this.release(false);
    result.late = this.lateCount() - lateBefore;
    this.stats.accepted += result.accepted;
    this.stats.rejected += result.rejected;
    this.stats.late += result.late;
    return result;
  }

  /** Moves event time on with the wall clock and processes what is due; runs on a timer unless `tickEveryMs: false`. */
  tick(): void {
    if (this.reading) return;
    this.engine.refreshClock();
    this.release(true);
  }

  /**
   * The time through which held records have been processed: a record pushed from now on with an older time is
   * late. Scale-out's partitions send it to the fleet stage as their watermark.
   */
  get processedThrough(): number {
    return this.released;
  }

  /** Processes every record still held (before a shutdown's checkpoint). */
  drain(): void {
    this.guard();
    while (this.held.size > 0) this.ingestTop();
    this.stats.held = 0;
  }

  /** The state and the alerts since the last committed checkpoint, to commit together. */
  checkpoint(): Checkpoint {
    this.guard();
    const alerts = [...this.changed.values()].map((a) => structuredClone(a));
    const versions = new Map(alerts.map((a) => [a.id, a]));
    const at = this.engine.now;
    const extra = this.saveExtra();
    this.stats.checkpoints++;
    return {
      alerts,
      at,
      state: (o) => this.stream(extra, o),
      commit: () => {
        for (const [id, a] of versions) {
          const current = this.changed.get(id);
          // Only what was committed: a change after the checkpoint stays for the next one.
          if (current && current.last_seen === a.last_seen && current.count === a.count && current.state === a.state) this.changed.delete(id);
        }
      },
    };
  }

  /** Stops the timer. Held records are not processed: call `drain` (and checkpoint) first to keep them. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private *stream(extra: unknown, o?: { crc?: boolean }): Generator<Uint8Array> {
    this.reading = true;
    try {
      yield* encodeState(this.engine, extra, o);
    } finally {
      this.reading = false;
    }
  }

  private lateCount(): number {
    const l = this.engine.stats.late;
    return l[0]! + l[1]! + l[2]! + l[3]!;
  }

  private guard(): void {
    if (this.reading) throw new LongwatchError("conflict", "a checkpoint's state is being read: finish reading it before pushing more records");
  }

  private hold(rec: Rec, enc: EncodedRecordSource | undefined): void {
    if (enc) {
      // Its bytes as they came: the message body stays alive while a record of it is held.
      this.held.push(rec.ts, this.seq++, enc.encoded, enc.encodedAt, enc.encodedLen);
    } else {
      this.stats.encoded++;
      const size = encodedSize(rec);
      if (this.slabUsed + size > this.slab.buf.length) {
        // A new slab; the old one is freed once its last held record has been processed.
        this.slab = newSlab(Math.max(SLAB_BYTES, size));
        this.slabUsed = 0;
      }
      const at = this.slabUsed;
      encodeRec(rec, this.slab.buf, this.slab.view, at);
      this.slabUsed += size;
      this.held.push(rec.ts, this.seq++, this.slab, at, size);
    }
    if (this.held.size > this.maxHeld) {
      this.stats.forced++;
      this.ingestTop();
    }
  }

  /** Processes held records up to the release point; with `advance`, also moves the engine's clock there. */
  private release(advance: boolean): void {
    const wall = this.clock();
    const fromRecords = Math.min(this.newest, wall) - this.holdMs;
    const fromClock = wall - this.idleMs;
    const upTo = Math.max(fromRecords, fromClock);
    for (let t = this.held.peekTs(); t !== undefined && t <= upTo; t = this.held.peekTs()) this.ingestTop();
    if (upTo > this.released) this.released = upTo;
    if (advance && Number.isFinite(upTo) && upTo > this.engine.now) this.engine.advance(upTo);
    this.stats.held = this.held.size;
  }

  private ingestTop(): void {
    const held = this.held;
    const s = held.pop();
    decodeRec(this.rec, s.buf, s.view, held.poppedAt);
    this.ingestWithBytes(this.rec, s.buf, held.poppedAt, held.poppedLen);
    if (held.poppedTs > this.released) this.released = held.poppedTs;
  }

  /** A record behind what was processed, given to the engine at once (with its bytes, when its source has them). */
  private ingestNow(rec: Rec, enc: EncodedRecordSource | undefined): void {
    if (enc) this.ingestWithBytes(rec, enc.encoded.buf, enc.encodedAt, enc.encodedLen);
    else this.engine.ingest(rec);
  }

  /** Ingests a record whose rec-codec bytes are `buf[at, at + len)`: `ingesting` lends them to the facts it makes. */
  private ingestWithBytes(rec: Rec, buf: Uint8Array, at: number, len: number): void {
    const ing = this.ingesting;
    ing.buf = buf;
    ing.at = at;
    ing.len = len;
    try {
      this.engine.ingest(rec);
    } finally {
      ing.buf = undefined;
    }
  }

  private saveExtra(): unknown {
    let total = 0;
    this.held.forEach((_s, _at, len) => (total += len));
    const bytes = new Uint8Array(total);
    const meta = new Float64Array(this.held.size * 2);
    let at = 0;
    let i = 0;
    this.held.forEach((s, from, len, _ts, seq) => {
      bytes.set(s.buf.subarray(from, from + len), at);
      meta[2 * i] = seq;
      meta[2 * i + 1] = len;
      at += len;
      i++;
    });
    return { live: 1, seq: this.seq, newest: finite(this.newest), released: finite(this.released), held: bytes, heldMeta: meta, ...(this.opts.extra ? { caller: this.opts.extra.save() } : {}) };
  }

  /** @internal Restores the held records and release point a checkpoint saved. */
  restoreExtra(extra: unknown): void {
    const x = extra as { live?: number; seq: number; newest: number | null; released: number | null; held: Uint8Array; heldMeta: Float64Array; caller?: unknown } | null;
    if (x?.live !== 1) throw new LongwatchError("state_invalid", "detection state: not a live-ingest checkpoint");
    if (this.opts.extra) {
      if (x.caller === undefined) throw new LongwatchError("state_invalid", "detection state: a checkpoint without the caller's own state (written by another kind of unit?)");
      this.opts.extra.load(x.caller);
    }
    this.seq = x.seq;
    this.newest = x.newest ?? -Infinity;
    this.released = x.released ?? -Infinity;
    let at = 0;
    for (let i = 0; i < x.heldMeta.length; i += 2) {
      const len = x.heldMeta[i + 1]!;
      const bytes = x.held.slice(at, at + len);
      at += len;
      const view = new DataView(bytes.buffer);
      this.held.restore(view.getFloat64(16, true), x.heldMeta[i]!, { buf: bytes, view }, 0, len);
    }
    this.stats.held = this.held.size;
  }
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
