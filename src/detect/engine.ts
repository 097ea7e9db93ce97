/**
 * The streaming detection engine. Records are pushed in (`ingest`), event time moves forward with them or by
 * `advance(now)`, and detectors — which the engine knows only through the Detector contract — raise alerts into the
 * alert book. It runs forever behind a live transport as well as over a replayed file: memory is the columns (bounded
 * per device) plus bounded maps, and everything it learned can be saved and restored (snapshot.ts).
 */
import { LongwatchError } from "../core/errors.ts";
import type { Device, DeviceModel } from "../core/fleet.ts";
import type { Alert } from "../core/record.ts";
import { AlertBook, type AlertSink, type Suppression } from "./alert-book.ts";
import { Columns } from "./columns.ts";
import type { AlertDraft, Detector, DetectorRun, DeviceRun, FleetRun } from "./detector.ts";
import { DeviceIndex } from "./device-index.ts";
import { EMPTY_REFERENCE, Fleet, type ReferenceData } from "./fleet.ts";
import { LocalNets } from "./local-net.ts";
import { EV, F, IDENTIFIER_ORDER, KIND, KIND_WORDS } from "./read/fields.ts";
import type { Rec } from "./read/rec.ts";
import { hashBytes } from "./read/bytes.ts";
import { normalizeMac } from "../core/coerce.ts";
import { fmtDuration } from "./detectors/text.ts";


/** Ticks caught up at most when event time jumps (a week of one-minute ticks). */
const MAX_CATCH_UP = 10_080;
export interface EngineOptions {
  detectors: readonly Detector[];
  /** Parameters per detector id; missing ones take the defaults. */
  params?: Readonly<Record<string, unknown>>;
  localNets?: readonly string[];
  /**
   * The wall clock (epoch ms) that event time is checked against: a record more than `maxFutureMs` ahead of it is
   * implausible (a wrong device clock, a unit mix-up) and rejected, so it can never move detection's clock. Replays
   * pass the run's fixed "now"; live ingest the real clock.
   */
  clock?: () => number;
  /** How far ahead of the clock a record may be (default one day). */
  maxFutureMs?: number;
  /**
   * How far behind the clock a record may be (default: no bound). A device whose clock was never set reports 1970;
   * with a bound such records are rejected with the reason instead of being judged as very late ones.
   */
  maxPastMs?: number;
  /** Repeats of an alert (detector, device, key) within this long of its last sighting update it (default a day): raised once, then counted. */
  dedupWindowMs?: number;
  /** How often (event time) detectors get a `tick` to notice absence. */
  tickMs?: number;
  maxOpenAlerts?: number;
  reference?: ReferenceData;
  sink: AlertSink;
  /** Names of the inputs, by `rec.source`, for evidence. */
  sourceName?: (source: number) => string;
  initialCapacity?: number;
  /**
   * Scale-out's two stages of the fleet-wide detectors (detector.ts DetectorSplit). `partition`: split detectors run
   * their device part, and each record that one of them answers a fact for is given to `emit` (after every hook ran)
   * for the fleet stage; the other detectors run whole. `fleet`: every detector must be split and runs its fleet
   * part, fed by `ingestFacts` instead of `ingest`.
   */
  split?: { role: "partition"; emit(rec: Rec, device: Uint8Array, firstSeen: number, facts: Int32Array): void } | { role: "fleet" };
}

export interface EngineStats {
  /** Records used, by kind (in order and late). */
  records: number[];
  /** Records that arrived behind event time (after later ones were processed), by kind; see `ingest`. */
  late: number[];
  /** Of those, records no detector of their kind could use (counted, never silently dropped). */
  lateUnused: number;
  /** Records rejected for a time too far ahead of the clock. */
  implausible: number;
  unresolved: number;
}

interface Run {
  detector: Detector;
  run: DetectorRun;
}

/** A split detector's device part in a partition (kinds as a bit mask). */
interface DevicePart {
  kinds: number;
  late: boolean;
  run: DeviceRun;
}

export class Engine {
  readonly index = new DeviceIndex();
  readonly columns: Columns;
  readonly fleet: Fleet;
  readonly book: AlertBook;
  /** Event time: the newest record's timestamp (or what `advance` was given). */
  now = -Infinity;
  readonly stats: EngineStats = { records: [0, 0, 0, 0], late: [0, 0, 0, 0], lateUnused: 0, implausible: 0, unresolved: 0 };
  private readonly runs: Run[] = [];
  private readonly byKind: ((rec: Rec) => void)[][] = [[], [], [], []];
  /** The hooks of detectors that declared they can judge late records. */
  private readonly lateByKind: ((rec: Rec) => void)[][] = [[], [], [], []];
  private readonly tickMs: number;
  private readonly clock: () => number;
  private readonly maxFutureMs: number;
  private readonly maxPastMs: number;
  /** Records with a later time than this are implausible (clock + maxFutureMs, refreshed at ticks). */
  private limit = Infinity;
  /** Records with an earlier time than this are implausible (clock - maxPastMs). */
  private floor = -Infinity;
  private nextTick = -Infinity;
  private readonly local: LocalNets;
  private readonly deviceParts: DevicePart[] = [];
  private readonly fleetParts: FleetRun[] = [];
  /** The facts of the record being processed, one per device part (-1: none). */
  private readonly facts: Int32Array;
  /** Ids of the split detectors, in the order of `facts` (partition) or of `ingestFacts`' facts (fleet). */
  readonly splitIds: readonly string[];

  constructor(private readonly opts: EngineOptions) {
    this.columns = new Columns(opts.initialCapacity);
    this.fleet = new Fleet(this.index, this.columns, opts.reference ?? EMPTY_REFERENCE);
    this.local = new LocalNets(opts.localNets);
    this.tickMs = opts.tickMs ?? 60_000;
    this.clock = opts.clock ?? Date.now;
    this.maxFutureMs = opts.maxFutureMs ?? 86_400_000;
    this.maxPastMs = opts.maxPastMs ?? Infinity;
    this.refreshClock();
    this.book = new AlertBook({ dedupWindowMs: opts.dedupWindowMs ?? 86_400_000, maxOpen: opts.maxOpenAlerts ?? 100_000, sourceName: opts.sourceName ?? (() => "input") }, opts.sink);
    const role = opts.split?.role;
    const splitIds: string[] = [];
    for (const detector of opts.detectors) {
      const parsed = detector.params.safeParse(opts.params?.[detector.id] ?? {});
      if (!parsed.success) throw new LongwatchError("invalid_config", `${detector.id}: bad parameters: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
      const ctx = {
        params: parsed.data,
        columns: this.columns,
        fleet: this.fleet,
        raise: (draft: AlertDraft) => this.book.raise(detector, draft, draft.subject ?? this.index.name(draft.device), this.fleet.modelName(this.fleet.model(draft.device))),
        resolve: (device: number, key: string, ts: number) => this.book.resolve(detector.id, this.index.name(device), key, ts),
      };
      if (role === "fleet" && !detector.split) throw new LongwatchError("invalid_config", `${detector.id}: not a split fleet-wide detector, so it cannot run in the fleet stage`);
      if (role !== undefined && detector.split) {
        splitIds.push(detector.id);
        if (role === "partition") {
          const kinds = detector.kinds.reduce((m, k) => m | (1 << KIND[k]), 0);
          this.deviceParts.push({ kinds, late: detector.lateRecords !== undefined, run: detector.split.device(ctx) });
          continue;
        }
        const part = detector.split.fleet(ctx);
        this.fleetParts.push(part);
        // Ticks, snapshots and summaries as for any detector; records come only through `ingestFacts`.
        const { fact: _fact, ...run } = part;
        this.runs.push({ detector, run });
        continue;
      }
      const run = detector.create(ctx);
      this.runs.push({ detector, run });
      const hook = run.record?.bind(run);
      if (hook) for (const k of detector.kinds) this.byKind[KIND[k]]!.push(hook);
      if (hook && detector.lateRecords) for (const k of detector.kinds) this.lateByKind[KIND[k]]!.push(hook);
    }
    this.splitIds = splitIds;
    this.facts = new Int32Array(splitIds.length);
  }

  setSuppressions(list: readonly Suppression[]): void {
    this.book.setSuppressions(list);
  }

  /** Loads inventory devices: their identifiers then all name the same device, and detectors see their facts. */
  addInventory(devices: Iterable<Device>, models: readonly DeviceModel[] = []): void {
    const byId = new Map(models.map((m) => [m.model_id, m]));
    for (const d of devices) {
      let n = this.index.lookupString(d.device_id);
      if (n < 0) n = this.newDevice(this.index.createString(d.device_id));
      for (const id of [d.mqtt_client_id, d.iccid, d.imsi, d.imei, d.mac]) if (id !== undefined) this.index.aliasString(id, n);
      if (d.ip !== undefined) {
        const v4 = ipv4Number(d.ip);
        if (v4 >= 0) this.index.bindIPv4(v4, n);
        else this.index.aliasString(d.ip, n);
      }
      this.fleet.setDevice(n, d, d.model_id !== undefined ? byId.get(d.model_id) : undefined);
    }
  }

  /**
   * Processes one record; returns null, or why it could not be used (a time too far ahead of the clock, or no device
   * could be named). A record behind event time (older than one already processed) is late: it goes only to the
   * detectors that declared they can judge it (`lateRecords`) and is counted in `stats.late` — never rejected for it.
   */
  ingest(rec: Rec): string | null {
    const ts = rec.ts;
    if (ts > this.limit || ts < this.floor) return this.implausible(rec);
    const why = this.resolveDevice(rec);
    if (why !== null) {
      this.stats.unresolved++;
      return why;
    }
    if (ts < this.now) return this.late(rec);
    if (ts > this.now) {
      this.now = ts;
      if (ts >= this.nextTick) this.catchUp(ts);
    }
    const first = this.fleet.first.a;
    if (first[rec.device] === 0) first[rec.device] = Math.max(1, Math.floor(ts / 1000));
    const hooks = this.byKind[rec.kind]!;
    for (let i = 0; i < hooks.length; i++) hooks[i]!(rec);
    if (this.deviceParts.length > 0) this.deviceFacts(rec, false);
    this.stats.records[rec.kind]!++;
    return null;
  }

  /**
   * The fleet stage's `ingest`: a record a partition's device parts gave facts for (`facts[i]` for `splitIds[i]`,
   * -1 for none), with its device as the partition named it (UTF-8 bytes) and that device's first-seen time (ms) there — the
   * partition saw all of the device's records, this stage only these. Time moves and ticks as for `ingest`; a
   * record behind event time is counted late and still given to the parts that answered a fact for it (only
   * detectors that can judge late records answer for late ones).
   */
  ingestFacts(rec: Rec, device: Uint8Array, firstSeen: number, facts: ArrayLike<number>): void {
    const h = hashBytes(device, 0, device.length);
    let d = this.index.lookup(device, 0, device.length, h);
    if (d < 0) d = this.newDevice(this.index.create(device, 0, device.length, h));
    rec.device = d;
    if (rec.kind === KIND.flow) this.setEnds(rec, this.outbound(rec, rec.hasIdentifier()));
    this.fleet.first.a[d] = Math.max(1, Math.floor(firstSeen / 1000));
    const ts = rec.ts;
    if (ts < this.now) this.stats.late[rec.kind]!++;
    else {
      if (ts > this.now) {
        this.now = ts;
        if (ts >= this.nextTick) this.catchUp(ts);
      }
      this.stats.records[rec.kind]!++;
    }
    for (let i = 0; i < this.fleetParts.length; i++) if (facts[i]! >= 0) this.fleetParts[i]!.fact(rec, facts[i]!);
  }

  private deviceFacts(rec: Rec, late: boolean): void {
    const facts = this.facts;
    let any = false;
    for (let i = 0; i < this.deviceParts.length; i++) {
      const p = this.deviceParts[i]!;
      facts[i] = (p.kinds & (1 << rec.kind)) !== 0 && (!late || p.late) ? p.run.record(rec) : -1;
      if (facts[i]! >= 0) any = true;
    }
    if (any && this.opts.split?.role === "partition") this.opts.split.emit(rec, this.index.nameBytes(rec.device), this.fleet.firstSeen(rec.device), facts);
  }

  /**
   * What `ingest` would reject this record for, without changing anything: a time beyond the bound, or a flow with no
   * identifier and neither end inside the local networks. Sorting and live ingest check records as they arrive, so
   * the rejects are reported with their input then and the records kept are sure to be used.
   */
  check(rec: Rec): string | null {
    if (rec.ts > this.limit || rec.ts < this.floor) return this.implausible(rec);
    if (rec.kind === KIND.flow && !rec.hasIdentifier() && !(rec.has(F.src_ip) && this.isLocal(rec, F.src_ip)) && !this.isLocal(rec, F.dst_ip)) {
      this.stats.unresolved++;
      return NO_LOCAL_END;
    }
    return null;
  }

  /** Re-reads the clock for the future bound (live ingest calls it as wall time passes; ticks do it too). */
  refreshClock(): void {
    const now = this.clock();
    this.limit = now + this.maxFutureMs;
    this.floor = now - this.maxPastMs;
  }

  private implausible(rec: Rec): string {
    this.stats.implausible++;
    const clock = this.limit - this.maxFutureMs;
    if (rec.ts < this.floor) return `ts: "${isoOf(rec.ts)}" is more than ${fmtDuration(this.maxPastMs)} before the clock (${isoOf(clock)}): an implausible time (a device clock that was never set?), rejected so it is not judged as a very late record`;
    return `ts: "${isoOf(rec.ts)}" is more than ${fmtDuration(this.maxFutureMs)} ahead of the clock (${isoOf(clock)}): an implausible time (a wrong device clock or unit?), rejected so it cannot move detection's clock`;
  }

  private late(rec: Rec): null {
    const first = this.fleet.first.a;
    if (first[rec.device] === 0) first[rec.device] = Math.max(1, Math.floor(rec.ts / 1000));
    const hooks = this.lateByKind[rec.kind]!;
    for (let i = 0; i < hooks.length; i++) hooks[i]!(rec);
    if (this.deviceParts.length > 0) this.deviceFacts(rec, true);
    this.stats.late[rec.kind]!++;
    if (hooks.length === 0 && !this.deviceParts.some((p) => p.late && (p.kinds & (1 << rec.kind)) !== 0)) this.stats.lateUnused++;
    return null;
  }

  /** Moves event time forward without a record (live transports call this on a timer; replays at the end). */
  advance(now: number): void {
    if (now > this.now) this.now = now;
    if (this.now >= this.nextTick) this.catchUp(this.now);
  }

  /** When the next tick is due (event time), for snapshots. */
  get tickDue(): number {
    return this.nextTick;
  }

  /** A person's verdict on an alert: a benign one teaches the detector that raised it. */
  learn(alert: Alert): boolean {
    if (alert.verification !== "benign_positive") return false;
    const device = this.index.lookupString(alert.device_id);
    const r = this.runs.find((x) => x.detector.id === alert.detector);
    // In a partition a split detector learns in its device part (where the device's own sets are).
    const part = this.deviceParts[this.splitIds.indexOf(alert.detector)];
    const learn = r?.run.learn?.bind(r.run) ?? part?.run.learn?.bind(part.run);
    if (device < 0 || !learn) return false;
    learn(alert, device);
    return true;
  }

  devices(): number {
    return this.index.count;
  }

  /** Bytes of detection state per device: columns exactly, plus the index and detectors' maps spread over devices. */
  memory(): { columnsPerDevice: number; indexBytes: number; extraBytes: number; perDevice: number; layout: { name: string; bytes: number }[] } {
    const n = Math.max(1, this.index.count);
    const extra = this.runs.reduce((s, r) => s + (r.run.extraBytes?.() ?? 0), 0);
    const columnsPerDevice = this.columns.bytesPerDevice();
    const perDevice = this.columns.allocatedBytes() / n + this.index.bytes() / n + extra / n;
    return { columnsPerDevice, indexBytes: this.index.bytes(), extraBytes: extra, perDevice, layout: this.columns.layout() };
  }

  /** Detector states outside the columns, by detector id (for snapshots). */
  saveDetectors(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.runs) if (r.run.save) out[r.detector.id] = r.run.save();
    return out;
  }

  loadDetectors(states: Readonly<Record<string, unknown>>): void {
    for (const r of this.runs) if (r.run.load && states[r.detector.id] !== undefined) r.run.load(states[r.detector.id]);
  }

  /** Replaces the device index (restoring a snapshot). */
  restoreIndex(index: DeviceIndex, now: number, tickDue: number): void {
    (this as { index: DeviceIndex }).index = index;
    (this.fleet as unknown as { index: DeviceIndex }).index = index;
    this.columns.ensure(index.count);
    this.now = now;
    this.nextTick = tickDue;
  }

  /** Counts detectors offer after a run, by detector id. */
  summaries(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const r of this.runs) {
      const s = r.run.summary?.();
      if (s) out[r.detector.id] = s;
    }
    return out;
  }

  detectorIds(): string[] {
    return this.runs.map((r) => r.detector.id);
  }

  /**
   * Ticks fall on a fixed grid of event time (multiples of `tickMs`) and every grid point passed gets its tick, in
   * order, however time moved: by records (a replay) or by `advance` from a wall-clock timer between bodies (live
   * ingest). When a tick ran at the time it was noticed instead, a live run ticked wherever its timer happened to
   * fire, and in minutes a replay skipped for want of a record, so detectors judging at ticks (device-silent's sweep,
   * the alert book's expiry) saw other times than a replay of the same records: the same silence was raised seconds
   * or a minute apart, under another id. A jump of more than MAX_CATCH_UP ticks (a device clock off by years) ticks
   * only at its end.
   */
  private catchUp(at: number): void {
    if (!Number.isFinite(this.nextTick) || at - this.nextTick > MAX_CATCH_UP * this.tickMs) return this.tick(at);
    while (this.nextTick <= at) this.tick(this.nextTick);
  }

  private tick(at: number): void {
    const now = Math.floor(at / this.tickMs) * this.tickMs;
    this.refreshClock();
    for (const r of this.runs) r.run.tick?.(now);
    this.book.expire(now);
    this.nextTick = now + this.tickMs;
  }

  private newDevice(n: number): number {
    this.columns.ensure(n + 1);
    return n;
  }

  private resolveDevice(rec: Rec): string | null {
    for (let i = 0; i < IDENTIFIER_ORDER.length; i++) {
      const f = IDENTIFIER_ORDER[i]!;
      if (!rec.has(f)) continue;
      rec.device = f === F.ip ? this.deviceOfIp(rec, f) : this.deviceOf(rec, f);
      break;
    }
    if (rec.kind === KIND.flow) return this.flowDirection(rec);
    if (rec.kind === KIND.connectivity && rec.num[F.ip]! >= 0 && (rec.event === EV.session_start || rec.event === EV.session_update || rec.event === EV.attach)) {
      this.index.bindIPv4(rec.num[F.ip]!, rec.device);
    }
    return null;
  }

  private deviceOf(rec: Rec, f: number): number {
    const b = rec.fieldBuf(f);
    const s = rec.fieldStart(f);
    const e = rec.fieldEnd(f);
    const h = rec.idHash(f);
    let d = this.index.lookup(b, s, e, h);
    if (d >= 0) return d;
    if (f === F.mac) {
      // The inventory keeps MACs as aa:bb:cc:dd:ee:ff; remember other spellings once matched.
      const norm = normalizeMac(rec.text(f)!);
      if (norm !== undefined) d = this.index.lookupString(norm);
      if (d >= 0) {
        this.index.alias(b, s, e, d, h);
        return d;
      }
    }
    return this.newDevice(this.index.create(b, s, e, h));
  }

  private deviceOfIp(rec: Rec, f: number): number {
    const v4 = rec.num[f]!;
    if (v4 >= 0) {
      const d = this.index.lookupIPv4(v4);
      if (d >= 0) return d;
    }
    const b = rec.fieldBuf(f);
    const s = rec.fieldStart(f);
    const e = rec.fieldEnd(f);
    let d = this.index.lookup(b, s, e);
    if (d < 0) d = this.newDevice(this.index.create(b, s, e));
    if (v4 >= 0) this.index.bindIPv4(v4, d);
    return d;
  }

  /** For a flow: which end is the device (the one inside the local networks), and so which end is remote. */
  private flowDirection(rec: Rec): string | null {
    const identified = rec.device >= 0;
    if (!identified) {
      if (rec.has(F.src_ip) && this.isLocal(rec, F.src_ip)) rec.device = this.deviceOfIp(rec, F.src_ip);
      else if (this.isLocal(rec, F.dst_ip)) rec.device = this.deviceOfIp(rec, F.dst_ip);
      else return NO_LOCAL_END;
    }
    this.setEnds(rec, this.outbound(rec, identified));
    return null;
  }

  /**
   * Did the device start the flow? Named by an identifier: yes unless it is the local destination of a remote
   * source. Named by its address: when that address is the source.
   */
  private outbound(rec: Rec, identified: boolean): boolean {
    const hasSrc = rec.has(F.src_ip);
    const srcLocal = hasSrc && this.isLocal(rec, F.src_ip);
    return identified ? !(hasSrc && !srcLocal && this.isLocal(rec, F.dst_ip)) : srcLocal;
  }

  private setEnds(rec: Rec, outbound: boolean): void {
    rec.outbound = outbound;
    rec.remoteIp = outbound ? F.dst_ip : F.src_ip;
    rec.remotePort = outbound ? F.dst_port : F.src_port;
  }

  private isLocal(rec: Rec, f: number): boolean {
    const v4 = rec.num[f]!;
    if (v4 >= 0) return this.local.hasV4(v4);
    return v4 === -1 && this.local.hasV6(rec.text(f)!);
  }

  kindName(k: number): string {
    return KIND_WORDS[k]!;
  }
}

const NO_LOCAL_END = "flow: neither end is inside the local networks (see --local-net), so no device can be named";

function isoOf(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString().replace(".000Z", "Z") : String(ms);
}

function ipv4Number(ip: string): number {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return -1;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
