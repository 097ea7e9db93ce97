/**
 * The running ingest pipeline of `longwatch serve`: sources (HTTP bodies, MQTT, followed Zeek logs) → journal →
 * live detection (reorder buffer, event-time clock, future-time bound) → alerts to the sinks at once, and on an
 * interval (and at shutdown) a checkpoint: the detection state, the journal position it covers and the alerts it
 * produced, committed in one store transaction.
 *
 * Why a journal: a body is acknowledged (HTTP answer, MQTT PUBACK, a followed file's position) only once it is
 * durably taken, and checkpointing the whole detection state for every MQTT batch would be far too slow. So each
 * body is appended to the store's journal first (many at once: a group commit), then pushed into detection; a
 * checkpoint deletes the journal it covers, and a restart restores the checkpoint and replays the journal after it,
 * judged as of the wall-clock time each body arrived. Alert ids are fixed by detector, device, key and first
 * sighting, so the replay raises nothing twice; MQTT redeliveries of messages already taken are dropped by digest
 * (dedupe.ts).
 */
import type { Alert } from "../../core/record.ts";
import { LongwatchError } from "../../core/errors.ts";
import type { AlertChange } from "../../detect/alert-book.ts";
import type { AlertNotice } from "../../transport/sinks/sink.ts";
import { type Checkpoint, type LiveDetection, type PushOptions, startDetection } from "../../detect/live.ts";
import type { ColumnMapping } from "../../detect/read/mapping.ts";
import type { InputFormat } from "../../detect/read/open.ts";
import { type DetectInventory, readInventoryStore } from "../../detect/inventory.ts";
import type { FieldName } from "../../detect/read/fields.ts";
import type { TextEncodingName } from "../../formats/text-decode.ts";
import type { RespondSettings } from "../../respond/settings.ts";
import type { NewJournalEntry, Store } from "../../store/store.ts";
import type { MqttMessage } from "../../transport/sources/mqtt-source.ts";
import { createSinks, fanOut } from "../../transport/sinks/config.ts";
import { type CheckpointSnapshot, StagedCheckpointWrite, type StepOutcome } from "./checkpoint-writer.ts";
import { type AutoResponder, createAutoResponder, wantsResponder } from "./auto-respond.ts";
import type { PipelineConfig } from "./config.ts";
import { StoreDeadLetters } from "./dead-letters.ts";
import { RecentDigests } from "./dedupe.ts";
import { detectionEngineOptions } from "./engine-options.ts";
import { decodeFrames, encodeFrames, type FramedMessage } from "./frames.ts";
import { Counters, type PipelineMetrics } from "./metrics.ts";
import { Reaudit } from "./reaudit.ts";
import { startSources, type RunningSources } from "./sources.ts";
import type { IngestFormat, IngestOrigin, IngestResult, PipelineLog } from "./types.ts";

export type { IngestFormat, IngestOrigin, IngestResult, PipelineLog } from "./types.ts";


export interface PipelineDeps {
  store: Store;
  config: PipelineConfig;
  /** Wall clock, epoch ms (default Date.now). */
  clock?: () => number;
  log?: PipelineLog;
  /** Where sink secrets (`secret_env`, `password_env`) are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Re-audits the stored fleet; default: every rule over the store, with the store's key from `dataDir`. */
  audit?: () => Promise<unknown>;
  /** The store's data folder (its secret key), for the default audit; without it and `audit`, no re-audits run. */
  dataDir?: string;
  /** Reading the MQTT/Zeek sources can be left off (the HTTP endpoint alone, or tests driving `ingest`). */
  sources?: boolean;
  /** The config's `respond:` section: its playbooks run on the alerts raised, off the detection path (auto-respond.ts). */
  respond?: RespondSettings;
}

export interface Pipeline {
  /** Restores the checkpoint, replays the journal after it, starts sinks, sources and timers. */
  start(): Promise<void>;
  /** Takes a body in: resolves once it is journaled (durable) and through detection's reorder buffer. */
  ingest(body: Uint8Array | string, format?: IngestFormat, origin?: IngestOrigin): Promise<IngestResult>;
  /** Commits a checkpoint now (also runs on the interval and at stop). */
  checkpoint(): Promise<void>;
  /** Re-audits the fleet now (also on the schedule and after inventory changes). */
  reaudit(reason?: string): Promise<void>;
  /** After a scan another part of the service ran (a scan job): the rule playbooks on its new findings. */
  scanned(): Promise<void>;
  /** SIGTERM: stops the sources (their last batches are acknowledged), drains the reorder buffer, checkpoints, drains the sinks. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
  /** Counters for /metrics (render with `renderPrometheus`). */
  metrics(): PipelineMetrics;
  /** True between a successful start and stop (for /readyz). */
  readonly ready: boolean;
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  return new LivePipeline(deps);
}

type EntryMeta =
  | { t: "body"; source: string; name: string; format?: InputFormat; mapping?: ColumnMapping; kind?: number; defaults?: Partial<Record<FieldName, string>>; encoding?: TextEncodingName; firstLine?: number; headerLines?: number }
  | { t: "mqtt"; origin: string };

interface Job {
  entry: NewJournalEntry;
  positions?: Record<string, string>;
  /** Called once the entry is journaled, before detection: an MQTT batch's PUBACKs go out then. */
  taken?: () => void;
  apply: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const MQTT_ENCODING_HINT = "an MQTT payload has no charset: publish UTF-8";
const GROUP_BYTES = 16 * 2 ** 20;
const GROUP_JOBS = 512;

class LivePipeline implements Pipeline {
  private readonly store: Store;
  private readonly config: PipelineConfig;
  private readonly wall: () => number;
  private readonly log: PipelineLog;
  private readonly encodingWarned = new Set<string>();
  private readonly name: string;
  private readonly counters = new Counters();
  private readonly digests: RecentDigests;
  private readonly deadLetters: StoreDeadLetters;
  private live: LiveDetection | undefined;
  private fan: ReturnType<typeof fanOut> | undefined;
  private sources: RunningSources | undefined;
  private audit: Reaudit | undefined;
  private responder: AutoResponder | undefined;
  private groups = new Map<string, readonly string[]>();
  private queue: Job[] = [];
  private writing: Promise<void> | undefined;
  private checkpointWanted = false;
  private checkpointDone: Deferred | undefined;
  /** A checkpoint being written, between its snapshot and its commit. */
  private staging: { write: StagedCheckpointWrite; cp: Checkpoint; snapshotMs: number; committed: boolean; undelivered: boolean; done?: Deferred } | undefined;
  /** Whether the last committed checkpoint keeps sinks' undelivered alerts: until one without them, none is skipped. */
  private savedUndelivered = false;
  private lastSeq = 0;
  private checkpointSeq = 0;
  private replayAt: number | undefined;
  private learned: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  private stopped: Promise<void> | undefined;

  constructor(private readonly deps: PipelineDeps) {
    this.store = deps.store;
    this.config = deps.config;
    this.wall = deps.clock ?? Date.now;
    this.log = deps.log ?? (() => {});
    this.name = deps.config.pipeline;
    this.digests = new RecentDigests(deps.config.checkpoint.dedupe_window);
    this.deadLetters = new StoreDeadLetters(deps.store, (m, d) => this.log("error", m, d));
  }

  get ready(): boolean {
    return this.state === "running";
  }

  /** The clock detection runs on: while the journal is replayed, the time each body arrived. */
  private readonly clock = (): number => this.replayAt ?? this.wall();

  async start(): Promise<void> {
    if (this.state !== "new") throw new LongwatchError("conflict", "the pipeline was started already");
    this.state = "starting";
    const store = this.store;
    const cp = await store.live.loadCheckpoint(this.name);
    const inventory = await readInventoryStore(store);
    this.setGroups(inventory);
    const [suppressions, feedback] = await Promise.all([store.alerts.suppressions(), store.alerts.pendingFeedback()]);
    const sinks = createSinks(this.config.sinks, {
      deadLetters: this.deadLetters,
      groupsOf: (id) => this.groups.get(id) ?? [],
      ...(this.deps.env ? { env: this.deps.env } : {}),
      onError: (m, d) => this.log("warn", m, d),
      now: this.wall,
    });
    const r = this.deps.respond;
    if (r && wantsResponder(r)) this.responder = createAutoResponder({ store, settings: r, env: this.deps.env ?? process.env, now: this.wall, deadLetters: this.deadLetters, log: this.log });
    this.fan = fanOut(this.responder ? [...sinks, this.responder] : sinks);
    const d = this.config.detection;
    try {
      this.live = await startDetection({
        engine: await detectionEngineOptions(store, this.config, inventory),
        sink: (alert, change) => this.onAlert(alert, change),
        clock: this.clock,
        holdMs: d.hold_ms,
        idleMs: d.idle_ms,
        maxHeld: d.max_held,
        ...(cp ? { restore: cp.chunks() } : {}),
        setup: (engine) => {
          engine.addInventory(inventory.devices, inventory.models);
          engine.setSuppressions(suppressions);
          this.learned = feedback.filter((a) => engine.learn(a)).map((a) => a.id);
        },
      });
    } catch (e) {
      await this.fan.shutdown(0);
      this.state = "stopped";
      if (cp && (e as { code?: string }).code === "state_invalid") {
        throw new LongwatchError("state_invalid", `pipeline ${this.name}: its checkpoint of ${cp.saved_at} cannot be restored (${(e as Error).message}); was the detector configuration changed?`, { pipeline: this.name }, { cause: e });
      }
      throw e;
    }
    if (cp) {
      this.lastSeq = this.checkpointSeq = cp.seq;
      const meta = JSON.parse(cp.meta) as { digests?: string[]; sinks?: Record<string, AlertNotice[]> };
      this.digests.load(meta.digests ?? []);
      this.counters.restoredFrom(cp.saved_at, this.wall());
      this.offerUndelivered(meta.sinks ?? {});
      this.savedUndelivered = Object.keys(meta.sinks ?? {}).length > 0;
    }
    await this.replayJournal();
    this.state = "running";
    this.timer = setInterval(() => void this.checkpoint().catch(() => undefined), this.config.checkpoint.interval_s * 1000);
    this.timer.unref();
    if (this.deps.sources ?? true) {
      this.sources = await startSources({
        config: this.config,
        positions: await store.live.positions(this.name),
        ingestMqtt: (batch, taken) => this.ingestMqtt(batch, taken),
        ingestZeek: (body, origin, position) => this.submitBody(body, "zeek", origin, position),
        log: this.log,
      });
    }
    this.audit = new Reaudit({
      store,
      config: this.config.audit,
      ...(this.deps.audit ? { run: this.deps.audit } : {}),
      ...(this.deps.dataDir ? { dataDir: this.deps.dataDir } : {}),
      clock: this.wall,
      log: this.log,
      ...(this.responder ? { onAudited: () => this.responder!.findings() } : {}),
      onInventoryChange: async () => {
        const inv = await readInventoryStore(store);
        this.setGroups(inv);
        this.live?.engine.addInventory(inv.devices, inv.models);
      },
    });
    this.audit.start();
    this.log("info", `pipeline ${this.name} started`, { restored: cp ? cp.saved_at : null, replayed: this.counters.replayed, sinks: sinks.map((s) => s.name) });
  }

  /**
   * The alerts the sinks had not delivered at the checkpoint (it committed them, so the journal's replay does not
   * raise them again): offered again, oldest first, before the replay's. Some may have been delivered after the
   * checkpoint: they are sent again with the same delivery id, which receivers dedupe on.
   */
  private offerUndelivered(saved: Record<string, AlertNotice[]>): void {
    for (const [name, notices] of Object.entries(saved)) {
      const sink = this.fan!.sinks.find((s) => s.name === name);
      if (!sink) {
        this.log("warn", `sink ${name} is no longer configured: ${notices.length} alerts it had not delivered at the last checkpoint are not sent`, { sink: name, alerts: notices.length });
        continue;
      }
      for (const n of notices) sink.offer(n);
      this.log("info", `sink ${name}: ${notices.length} alerts not delivered before the restart offered again`, { sink: name, alerts: notices.length });
    }
  }

  /** Bodies taken in after the checkpoint, in the order they were journaled, each judged as of when it arrived. */
  private async replayJournal(): Promise<void> {
    try {
      for await (const page of this.store.live.journal(this.name, this.lastSeq)) {
        for (const e of page) {
          this.replayAt = e.received_at;
          this.apply(JSON.parse(e.meta) as EntryMeta, e.body, undefined, true);
          this.lastSeq = e.seq;
          this.counters.replayed++;
        }
      }
    } finally {
      this.replayAt = undefined;
    }
  }

  private setGroups(inv: DetectInventory): void {
    const g = new Map<string, readonly string[]>();
    for (const dev of inv.devices) if (dev.groups?.length) g.set(dev.device_id, dev.groups);
    this.groups = g;
  }

  private onAlert(alert: Alert, change: AlertChange): void {
    this.counters.alert(change);
    // The engine keeps changing its alert objects; a sink's queue must hold this version.
    this.fan?.offer({ alert: structuredClone(alert), change });
  }

  ingest(body: Uint8Array | string, format: IngestFormat = "auto", origin: IngestOrigin = {}): Promise<IngestResult> {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    if (bytes.byteLength > this.config.ingest.max_body_bytes) {
      return Promise.reject(new LongwatchError("payload_too_large", `the body is ${bytes.byteLength} bytes; at most ${this.config.ingest.max_body_bytes} are taken at once (ingest.max_body_bytes)`));
    }
    return this.submitBody(bytes, format, origin);
  }

  private submitBody(bytes: Uint8Array, format: IngestFormat, origin: IngestOrigin, position?: { source: string; value: string; firstLine: number; headerLines: number }): Promise<IngestResult> {
    const source = origin.source ?? "http";
    const meta: EntryMeta = {
      t: "body",
      source,
      name: origin.name ?? source,
      ...(format !== "auto" ? { format } : {}),
      ...(origin.mapping ? { mapping: origin.mapping } : {}),
      ...(origin.kind !== undefined ? { kind: origin.kind } : {}),
      ...(origin.defaults ? { defaults: origin.defaults } : {}),
      ...(origin.encoding ? { encoding: origin.encoding } : {}),
      ...(position ? { firstLine: position.firstLine, headerLines: position.headerLines } : {}),
    };
    return this.submit<IngestResult>(
      { source, received_at: this.wall(), body: bytes, meta: JSON.stringify(meta) },
      position ? { [position.source]: position.value } : undefined,
      () => this.apply(meta, bytes, undefined, false) as IngestResult,
    );
  }

  /**
   * An MQTT batch: one journal entry for all its messages. Its PUBACKs follow `taken`, called once the entry is
   * journaled (durable), so the broker's window and the devices move on while detection takes the records.
   */
  private ingestMqtt(batch: readonly MqttMessage[], taken?: () => void): Promise<IngestResult> {
    const origin = batch[0]!.origin.slice(0, batch[0]!.origin.length - batch[0]!.topic.length);
    const meta: EntryMeta = { t: "mqtt", origin };
    // The messages are frames as they are (topic, payload, redelivered, identifier): no copy of each per batch.
    const framed: readonly FramedMessage[] = batch;
    return this.submit<IngestResult>({ source: "mqtt", received_at: this.wall(), body: encodeFrames(framed), meta: JSON.stringify(meta) }, undefined, () => this.apply(meta, undefined, framed, false) as IngestResult, taken);
  }

  private submit<T>(entry: NewJournalEntry, positions: Record<string, string> | undefined, apply: () => T, taken?: () => void): Promise<T> {
    if (this.state !== "running" && this.state !== "stopping") {
      return Promise.reject(new LongwatchError("store_unavailable", this.state === "stopped" ? "the service is shutting down: try again shortly" : "the ingest pipeline is not running yet"));
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ entry, ...(positions ? { positions } : {}), ...(taken ? { taken } : {}), apply, resolve: resolve as (v: unknown) => void, reject });
      this.counters.journalPending = this.queue.length;
      this.kick();
    });
  }

  private kick(): void {
    this.writing ??= this.writeLoop().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 || this.checkpointWanted) this.kick();
    });
  }

  /**
   * The one writer: journal appends (everything queued meanwhile in one transaction, then pushed into detection in
   * order) and a checkpoint's steps take turns. A checkpoint's snapshot is taken between two groups, so its journal
   * position is exactly what its state contains; its pieces and commit then go between the groups that follow
   * (checkpoint-writer.ts), so records keep flowing while it is written.
   */
  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0 || this.checkpointWanted || this.staging) {
      if (this.checkpointWanted && !this.staging) {
        this.checkpointWanted = false;
        const done = this.checkpointDone;
        this.checkpointDone = undefined;
        this.beginCheckpoint(done);
      }
      if (this.queue.length > 0) await this.appendGroup();
      if (this.staging) {
        await this.checkpointStep();
        // SQLite's writes are synchronous behind their promises: without this the steps would run back to back as
        // microtasks and no socket would be read between them.
        await new Promise<void>((r) => setImmediate(r));
      }
    }
  }

  private async appendGroup(): Promise<void> {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < GROUP_JOBS && (n === 0 || bytes + this.queue[n]!.entry.body.byteLength <= GROUP_BYTES)) bytes += this.queue[n++]!.entry.body.byteLength;
    const jobs = this.queue.splice(0, n);
    this.counters.journalPending = this.queue.length;
    const positions: Record<string, string> = {};
    for (const j of jobs) Object.assign(positions, j.positions);
    let seqs: number[];
    try {
      seqs = await this.store.live.append(this.name, jobs.map((j) => j.entry), positions);
    } catch (e) {
      this.counters.journalErrors++;
      for (const j of jobs) j.reject(e);
      return;
    }
    this.counters.journalBytes += bytes;
    // Journaled is durably taken: acknowledge now, then give the event loop one turn before detection, so the PUBACKs
    // leave, /metrics answers and the next messages are read while this group has yet to be detected. Nothing else
    // writes meanwhile (this loop is the one writer), so groups are still detected in journal order and a
    // checkpoint's snapshot still falls between two detected groups.
    let acked = false;
    for (const j of jobs) {
      if (!j.taken) continue;
      j.taken();
      acked = true;
    }
    if (acked) await new Promise<void>((r) => setImmediate(r));
    jobs.forEach((j, i) => {
      this.lastSeq = seqs[i]!;
      try {
        j.resolve(j.apply());
      } catch (e) {
        j.reject(e);
      }
    });
  }

  /** Pushes one entry's records into detection (live, or replaying the journal). */
  private apply(meta: EntryMeta, body: Uint8Array | undefined, framed: readonly FramedMessage[] | undefined, replay: boolean): IngestResult | undefined {
    const live = this.live!;
    const listed = this.config.ingest.max_rejects_listed;
    const out: IngestResult = { accepted: 0, rejected: 0, rejects: [], late: 0 };
    const take = (r: { accepted: number; rejected: number; late: number; rejects: { line: number; reason: string }[] }, source: string, line: (l: number) => number) => {
      out.accepted += r.accepted;
      out.rejected += r.rejected;
      out.late += r.late;
      if (!replay) this.counters.records(source, r.accepted, r.late, r.rejects);
      for (const x of r.rejects) if (out.rejects.length < listed) out.rejects.push({ line: line(x.line), reason: x.reason });
    };
    if (meta.t === "mqtt") {
      const messages = framed ?? decodeFrames(body!);
      for (const m of messages) {
        if (this.digests.taken(m.topic, m.payload, m.redelivered)) {
          if (!replay) this.counters.mqttDuplicates++;
          continue;
        }
        const o: PushOptions = { name: meta.origin + m.topic, encodingHint: MQTT_ENCODING_HINT };
        if (m.identifier) o.defaults = { [m.identifier.field]: m.identifier.value } as Partial<Record<FieldName, string>>;
        const pushed = live.push(m.payload, o);
        if (pushed.accepted + pushed.rejected + pushed.late === 0 && holdsText(m.payload)) {
          pushed.rejects.push({ line: 1, reason: NO_RECORD });
          pushed.rejected++;
        }
        take(pushed, "mqtt", sameLine);
        if (!replay && pushed.warnings.length > 0) this.warnEncoding(o.name!, pushed.warnings[0]!);
      }
      return out;
    }
    const o: PushOptions = {
      name: meta.name,
      ...(meta.format ? { format: meta.format } : {}),
      ...(meta.mapping ? { mapping: meta.mapping } : {}),
      ...(meta.kind !== undefined ? { kind: meta.kind } : {}),
      ...(meta.defaults ? { defaults: meta.defaults } : {}),
      ...(meta.encoding ? { encoding: meta.encoding } : {}),
      encodingHint: meta.firstLine !== undefined ? "give the followed log's encoding to choose" : "send a charset to choose: utf-8, utf-16le, utf-16be, windows-1252",
    };
    // A followed log's chunk is its header plus lines: rejects name the line in the file.
    const shift = meta.firstLine !== undefined ? (l: number) => l - (meta.headerLines ?? 0) - 1 + meta.firstLine! : (l: number) => l;
    const pushed = live.push(body!, o);
    take(pushed, meta.source, shift);
    if (pushed.warnings.length > 0) out.warnings = pushed.warnings.map((w) => ({ line: shift(w.line), reason: w.reason, offset: w.offset }));
    return out;
  }

  /** Logs, once per topic (up to a bound), that an MQTT payload was not UTF-8: nobody reads a PUBACK's answer. */
  private warnEncoding(name: string, w: { line: number; reason: string }): void {
    if (this.encodingWarned.has(name) || this.encodingWarned.size >= 10_000) return;
    this.encodingWarned.add(name);
    this.log("warn", `${name}:${w.line}: ${w.reason}`, { source: name });
  }

  checkpoint(): Promise<void> {
    if (!this.live || this.state === "stopped") return Promise.resolve();
    if (!this.checkpointDone) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.checkpointDone = { promise, resolve, reject };
    }
    this.checkpointWanted = true;
    const p = this.checkpointDone.promise;
    this.kick();
    return p;
  }

  /** The synchronous part of a checkpoint: the state and its alerts as of now (or nothing, when nothing changed). */
  private beginCheckpoint(done: Deferred | undefined): void {
    const live = this.live!;
    try {
      const t0 = performance.now();
      const cp = live.checkpoint();
      // Nothing changed — unless the last one keeps undelivered alerts, which may have been delivered since (at
      // shutdown, the sinks' own shutdown delivers or dead-letters what is left: a later start must not resend it).
      if (cp.alerts.length === 0 && this.lastSeq === this.checkpointSeq && this.learned.length === 0 && this.counters.checkpoints > 0 && !this.savedUndelivered) {
        this.counters.checkpointSkipped(this.wall());
        done?.resolve();
        return;
      }
      // The sinks' undelivered alerts, except at shutdown's checkpoint: the sinks' own shutdown then delivers them
      // or dead-letters them, and a start after a clean stop must not send them again.
      const undelivered = this.state === "stopping" ? {} : (this.fan?.pending() ?? {});
      const snap: CheckpointSnapshot = {
        // Copied now (the chunks are views of live arrays), so records can flow while the pieces are written.
        pieces: StagedCheckpointWrite.copy(cp.state({ crc: false })),
        seq: this.lastSeq,
        at: Number.isFinite(cp.at) ? cp.at : 0,
        meta: JSON.stringify({ v: 1, digests: this.digests.toJSON(), ...(Object.keys(undelivered).length ? { sinks: undelivered } : {}) }),
        alerts: cp.alerts,
        savedAt: new Date(this.wall()).toISOString(),
        learned: this.learned,
      };
      this.staging = { write: new StagedCheckpointWrite(this.store, this.name, snap), cp, snapshotMs: performance.now() - t0, committed: false, undelivered: Object.keys(undelivered).length > 0, ...(done ? { done } : {}) };
    } catch (e) {
      this.checkpointFailed(e, done);
    }
  }

  private async checkpointStep(): Promise<void> {
    const s = this.staging!;
    const committedBefore = s.committed;
    let outcome: StepOutcome;
    try {
      outcome = await s.write.step();
    } catch (e) {
      this.staging = undefined;
      // After the commit only the journal's pruning failed: the next checkpoint prunes what is left.
      if (committedBefore) this.log("warn", `pipeline ${this.name}: the journal a checkpoint covers could not be pruned yet`, { error: (e as Error).message });
      else this.checkpointFailed(e, s.done);
      return;
    }
    if (outcome === "finished") this.staging = undefined;
    if (outcome === "staging" || committedBefore) return;
    s.committed = true;
    s.cp.commit();
    this.savedUndelivered = s.undelivered;
    const { seq, learned, alerts } = s.write.snap;
    this.checkpointSeq = seq;
    if (learned === this.learned) this.learned = [];
    this.counters.checkpointed(this.wall(), s.write.bytes, alerts.length, s.write.storeMs, s.snapshotMs);
    try {
      // People's suppressions made since are applied from now on.
      this.live!.engine.setSuppressions(await this.store.alerts.suppressions());
    } catch (e) {
      this.log("warn", `pipeline ${this.name}: suppressions could not be re-read after the checkpoint`, { error: (e as Error).message });
    }
    s.done?.resolve();
  }

  private checkpointFailed(e: unknown, done: Deferred | undefined): void {
    this.counters.checkpointErrors++;
    this.log("error", `pipeline ${this.name}: checkpoint failed; the journal keeps everything since the last one`, { error: (e as Error).message });
    done?.reject(e);
  }

  reaudit(reason = "requested"): Promise<void> {
    if (!this.audit) return Promise.reject(new LongwatchError("conflict", "the pipeline is not running"));
    return this.audit.request(reason);
  }

  async scanned(): Promise<void> {
    await this.responder?.findings();
  }

  stop(deadlineMs = 10_000): Promise<void> {
    this.stopped ??= this.shutdown(deadlineMs);
    return this.stopped;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    if (this.state === "new") {
      this.state = "stopped";
      return;
    }
    this.state = "stopping";
    clearInterval(this.timer);
    await this.audit?.stop();
    // Sources first: their last batches go through the journal and are acknowledged.
    await this.sources?.stop(deadlineMs);
    while (this.writing) await this.writing;
    if (this.live) {
      this.live.drain();
      // What a replay does at its end: a tick that is due runs (windows ending now are judged).
      this.live.engine.advance(this.live.engine.now);
      await this.checkpoint().catch(() => undefined);
      // The checkpoint's journal pruning runs on the write loop: let it finish before the store is closed under it.
      while (this.writing) await this.writing;
      this.live.close();
    }
    this.state = "stopped";
    await this.fan?.shutdown(deadlineMs);
    await this.deadLetters.flush();
    this.log("info", `pipeline ${this.name} stopped`, { checkpoint_seq: this.checkpointSeq });
  }

  metrics(): PipelineMetrics {
    const live = this.live;
    return this.counters.snapshot({
      pipeline: this.name,
      wall: this.wall(),
      eventTime: live ? live.engine.now : undefined,
      detectionRecords: live ? sum(live.engine.stats.records) + sum(live.engine.stats.late) + live.stats.held : 0,
      held: live?.stats.held ?? 0,
      forced: live?.stats.forced ?? 0,
      sinks: this.fan?.stats() ?? [],
      deadLetterErrors: this.deadLetters.errors,
      sources: this.sources?.stats(),
      audit: this.audit?.stats(),
      respond: this.responder?.respondStats(),
    });
  }
}

/** An MQTT payload's reject lines are its own. */
const sameLine = (l: number) => l;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Why a payload that is neither blank nor an empty JSON array, yet gave no record and no reject, is rejected: one
 * line that is not JSON reads as a CSV header with no rows, and the message would be gone without a trace.
 */
const NO_RECORD = "no record in this payload: an MQTT payload is one JSON record, a JSON array, NDJSON, or CSV with a header and rows";

/** Whether a payload holds something other than white space and an empty JSON array. */
function holdsText(payload: Uint8Array): boolean {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("latin1").replace(/\s+/g, "");
  return text !== "" && text !== "[]";
}
