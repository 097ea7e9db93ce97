/**
 * `longwatch serve --nats URL`: the ingest tier of a scaled-out deployment (docs/scale.md). The same sources as the
 * in-process pipeline — POST /api/v1/records, MQTT, followed Zeek logs — but instead of detecting, each record is
 * resolved through the inventory to its device (PartitionRouter, the rules `detect` uses), encoded, and published to
 * the JetStream records stream on its device's partition subject, for `longwatch worker` to detect on.
 *
 * JetStream is the journal here: a body is acknowledged to its sender (the HTTP answer, the MQTT PUBACK, a followed
 * log's saved position) only once the stream has acknowledged every message of it. Message ids (Nats-Msg-Id) are
 * fixed by the content, so anything sent again within the stream's duplicate window is stored once:
 *
 * - an HTTP or Zeek body: a digest of the body and how it is read, the partition and the message's number there —
 *   a client retrying a POST after a timeout, or a follower re-reading a chunk after a crash, adds nothing;
 * - an MQTT message: a digest of its topic and payload, the partition and the number — a broker's redelivery of a
 *   message whose PUBACK was lost (serve crashed, the connection broke) is dropped by the stream.
 */
import { createHash } from "node:crypto";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { LongwatchError } from "../../core/errors.ts";
import { readInventoryStore } from "../../detect/inventory.ts";
import { F, type FieldName } from "../../detect/read/fields.ts";
import { openBytes } from "../../detect/read/open.ts";
import { Rec } from "../../detect/read/rec.ts";
import { BatchWriter } from "../../scale/batch.ts";
import { connectNats, ensureStream, manager, readStream, safeUrl, type StreamLayout } from "../../scale/nats.ts";
import { DEFAULT_PARTITIONS, partitionSubject } from "../../scale/partition.ts";
import { publishOnce } from "../../scale/publish.ts";
import { PartitionRouter } from "../../scale/router.ts";
import type { Store } from "../../store/store.ts";
import type { MqttMessage } from "../../transport/sources/mqtt-source.ts";
import type { PipelineConfig } from "./config.ts";
import { Counters, esc, promWriter, respondFamilies } from "./metrics.ts";
import type { RespondSettings } from "../../respond/settings.ts";
import { type AutoResponder, createAutoResponder } from "./auto-respond.ts";
import { StoreDeadLetters } from "./dead-letters.ts";
import { Reaudit } from "./reaudit.ts";
import { startSources, type RunningSources } from "./sources.ts";
import type { IngestFormat, IngestOrigin, IngestResult, PipelineLog } from "./types.ts";

export interface NatsIngestOptions {
  url: string;
  stream: string;
  prefix: string;
  /** Partition count of a new stream (an existing stream's is read from it). */
  partitions?: number;
  /** Records per message at most (default 1000). */
  batch?: number;
  /** How long a publish is retried through a broker outage before the body is refused (default 30 s). */
  retryMs?: number;
}

export interface NatsIngestDeps {
  store: Store;
  config: PipelineConfig;
  nats: NatsIngestOptions;
  clock?: () => number;
  log?: PipelineLog;
  dataDir?: string;
  audit?: () => Promise<unknown>;
  sources?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The config's `respond:` section: its rule playbooks run after each re-audit and scan job (the workers run the detector ones). */
  respond?: RespondSettings;
}

export interface NatsIngestStats {
  messages: number;
  duplicates: number;
  retries: number;
  failures: number;
  partitions: number[];
}

interface Batch {
  subject: string;
  body: Uint8Array;
  id: string;
  records: number;
}

const digest = (...parts: (string | Uint8Array)[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("base64url").slice(0, 22);
};

export class NatsIngest {
  private readonly counters = new Counters();
  private readonly log: PipelineLog;
  private readonly wall: () => number;
  private readonly name: string;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private layout: StreamLayout | undefined;
  private router: PartitionRouter | undefined;
  private sources: RunningSources | undefined;
  private audit: Reaudit | undefined;
  private responder: AutoResponder | undefined;
  private state: "new" | "running" | "stopping" | "stopped" = "new";
  private stopped: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  readonly stats: NatsIngestStats = { messages: 0, duplicates: 0, retries: 0, failures: 0, partitions: [] };

  constructor(private readonly deps: NatsIngestDeps) {
    this.log = deps.log ?? (() => {});
    this.wall = deps.clock ?? Date.now;
    this.name = deps.config.pipeline;
  }

  get ready(): boolean {
    return this.state === "running";
  }

  get streamLayout(): StreamLayout | undefined {
    return this.layout;
  }

  async start(): Promise<void> {
    if (this.state !== "new") throw new LongwatchError("conflict", "the ingest was started already");
    const n = this.deps.nats;
    this.nc = await connectNats(n.url, `longwatch serve ${this.name}`);
    try {
      const jsm = await manager(this.nc);
      const existing = await readStream(jsm, n.stream, n.prefix);
      const P = existing?.partitions ?? n.partitions ?? DEFAULT_PARTITIONS;
      if (existing && n.partitions !== undefined && n.partitions !== existing.partitions) {
        throw new LongwatchError("conflict", `stream ${n.stream} has ${existing.partitions} partitions, not ${n.partitions}: a device's records would go to two partitions (use --partitions ${existing.partitions}, or a new stream)`);
      }
      this.layout = await ensureStream(jsm, { stream: n.stream, prefix: n.prefix, partitions: P, window: existing?.window ?? P * (n.batch ?? 1000) });
      this.js = jetstream(this.nc);
      this.stats.partitions = new Array<number>(P).fill(0);
      await this.loadInventory();
    } catch (e) {
      await this.nc.close().catch(() => undefined);
      this.state = "stopped";
      throw e;
    }
    this.state = "running";
    const store = this.deps.store;
    if (this.deps.sources ?? true) {
      this.sources = await startSources({
        config: this.deps.config,
        positions: await store.live.positions(this.name),
        ingestMqtt: (batch) => this.track(this.ingestMqtt(batch)),
        ingestZeek: (body, origin, position) =>
          this.track(
            this.publishBody(body, "zeek", origin).then(async (r) => {
              // The position after this chunk, saved once the stream has every record of it: a restart resumes here.
              await store.live.append(this.name, [], { [position.source]: position.value });
              return r;
            }),
          ),
        log: this.log,
        ...(this.deps.env ? { env: this.deps.env } : {}),
      });
    }
    const r = this.deps.respond;
    // Alerts are raised by the workers, which run the detector playbooks and the time-to-live sweep; here, findings.
    if (r && r.playbooks.some((p) => p.when.rule)) this.responder = createAutoResponder({ store, settings: r, env: this.deps.env ?? process.env, now: this.wall, deadLetters: new StoreDeadLetters(store, (m, d) => this.log("error", m, d)), log: this.log, sweepIf: () => false });
    this.audit = new Reaudit({
      store,
      config: this.deps.config.audit,
      ...(this.deps.audit ? { run: this.deps.audit } : {}),
      ...(this.deps.dataDir ? { dataDir: this.deps.dataDir } : {}),
      clock: this.wall,
      log: this.log,
      ...(this.responder ? { onAudited: () => this.responder!.findings() } : {}),
      onInventoryChange: () => this.loadInventory(),
    });
    this.audit.start();
    this.log("info", `ingest ${this.name} publishing to JetStream`, { nats: safeUrl(n.url), stream: n.stream, subjects: `${n.prefix}.*`, partitions: P_of(this.layout) });
  }

  /** The router resolves identifiers through the store's inventory; rebuilt when the inventory changes. */
  private async loadInventory(): Promise<void> {
    const inv = await readInventoryStore(this.deps.store);
    const d = this.deps.config.detection;
    if (this.router) {
      this.router.engine.addInventory(inv.devices, inv.models);
      return;
    }
    this.router = new PartitionRouter({
      partitions: this.layout!.partitions,
      inventory: inv,
      clock: this.wall,
      maxFutureMs: d.max_future_hours * 3_600_000,
      ...(d.max_past_days !== undefined ? { maxPastMs: d.max_past_days * 86_400_000 } : {}),
      ...(d.local_nets ? { localNets: d.local_nets } : {}),
    });
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  ingest(body: Uint8Array | string, format: IngestFormat = "auto", origin: IngestOrigin = {}): Promise<IngestResult> {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    const max = this.deps.config.ingest.max_body_bytes;
    if (bytes.byteLength > max) return Promise.reject(new LongwatchError("payload_too_large", `the body is ${bytes.byteLength} bytes; at most ${max} are taken at once (ingest.max_body_bytes)`));
    return this.track(this.publishBody(bytes, format, origin));
  }

  private refuseUnlessRunning(): void {
    if (this.state !== "running" && this.state !== "stopping") {
      throw new LongwatchError("store_unavailable", this.state === "stopped" ? "the service is shutting down: try again shortly" : "the ingest is not running yet");
    }
  }

  /** Reads a body's records, routes them, and publishes them; resolves once JetStream has every message. */
  private async publishBody(bytes: Uint8Array, format: IngestFormat, origin: IngestOrigin): Promise<IngestResult> {
    this.refuseUnlessRunning();
    const source = origin.source ?? "http";
    const name = origin.name ?? source;
    const out: IngestResult = { accepted: 0, rejected: 0, rejects: [], late: 0 };
    const rejects: { line: number; reason: string }[] = [];
    const reject = (line: number, reason: string) => {
      out.rejected++;
      rejects.push({ line, reason });
    };
    const id = `s:${digest(source, name, format, JSON.stringify(origin.mapping ?? null), String(origin.kind ?? ""), JSON.stringify(origin.defaults ?? null), ...(origin.encoding ? [origin.encoding] : []), bytes)}`;
    const warnings: { line: number; reason: string; offset: number }[] = [];
    const batches = this.route(name, bytes, format, origin, id, reject, (n) => (out.accepted += n), (w) => warnings.push(w));
    if (warnings.length > 0) out.warnings = warnings;
    await this.publishAll(batches);
    this.counters.records(source, out.accepted, 0, rejects);
    const listed = this.deps.config.ingest.max_rejects_listed;
    out.rejects = rejects.slice(0, listed);
    return out;
  }

  /** An MQTT batch: each message's records published under ids of its own content; PUBACKs follow when this resolves. */
  private async ingestMqtt(batch: readonly MqttMessage[]): Promise<IngestResult> {
    this.refuseUnlessRunning();
    const out: IngestResult = { accepted: 0, rejected: 0, rejects: [], late: 0 };
    const rejects: { line: number; reason: string }[] = [];
    const all: Batch[] = [];
    for (const m of batch) {
      const origin: IngestOrigin = { source: "mqtt", name: m.origin, ...(m.identifier ? { defaults: { [m.identifier.field]: m.identifier.value } as Partial<Record<FieldName, string>> } : {}) };
      const id = `m:${digest(m.topic, m.payload)}`;
      all.push(...this.route(m.origin, m.payload, "auto", origin, id, (line, reason) => (out.rejected++, rejects.push({ line, reason })), (n) => (out.accepted += n)));
    }
    await this.publishAll(all);
    this.counters.records("mqtt", out.accepted, 0, rejects);
    out.rejects = rejects.slice(0, this.deps.config.ingest.max_rejects_listed);
    return out;
  }

  /** The body's records as one or more messages per partition, in reading order, ids `<id>:<partition>:<n>`. */
  private route(name: string, bytes: Uint8Array, format: IngestFormat, origin: IngestOrigin, id: string, reject: (line: number, reason: string) => void, accepted: (n: number) => void, warn?: (at: { line: number; reason: string; offset: number }) => void): Batch[] {
    const router = this.router!;
    const layout = this.layout!;
    const maxRecords = this.deps.nats.batch ?? 1000;
    const defaults = Object.entries(origin.defaults ?? {}).map(([k, v]) => [F[k as FieldName], v] as const);
    const { source } = openBytes(name, bytes, {
      onReject: reject,
      ...(format !== "auto" ? { format } : {}),
      ...(origin.mapping ? { mapping: origin.mapping } : {}),
      ...(origin.kind !== undefined ? { kind: origin.kind } : {}),
      ...(origin.encoding ? { encoding: origin.encoding } : {}),
      ...(warn ? { onWarning: (_m: string, at: { line: number; reason: string; offset: number }) => warn(at), encodingHint: "send a charset to choose: utf-8, utf-16le, utf-16be, windows-1252" } : {}),
      defaults,
    });
    // Records dated too far past the wall clock are rejected, as in the in-process pipeline.
    router.engine.refreshClock();
    const writers = new Map<number, { w: BatchWriter; n: number }>();
    const out: Batch[] = [];
    const flush = (p: number, x: { w: BatchWriter; n: number }) => {
      const records = x.w.count;
      out.push({ subject: partitionSubject(layout.prefix, p), body: x.w.take(), id: `${id}:${p}:${x.n++}`, records });
      this.stats.partitions[p]! += records;
    };
    const rec = new Rec();
    let n = 0;
    try {
      while (source.next(rec)) {
        const p = router.route(rec);
        if (typeof p === "string") {
          reject(rec.line, p);
          continue;
        }
        n++;
        let x = writers.get(p);
        if (!x) writers.set(p, (x = { w: new BatchWriter(), n: 0 }));
        x.w.add(rec);
        if (x.w.count >= maxRecords || x.w.bytes >= 512 << 10) flush(p, x);
      }
    } finally {
      source.close();
    }
    for (const [p, x] of writers) if (x.w.count > 0) flush(p, x);
    accepted(n);
    return out;
  }

  private async publishAll(batches: readonly Batch[]): Promise<void> {
    const js = this.js!;
    const retryMs = this.deps.nats.retryMs ?? 30_000;
    try {
      await Promise.all(
        batches.map(async (b) => {
          const ack = await publishOnce(js, b.subject, b.body, b.id, retryMs, () => this.stats.retries++);
          this.stats.messages++;
          if (ack.duplicate) this.stats.duplicates++;
        }),
      );
    } catch (e) {
      this.stats.failures++;
      this.log("error", "publishing to JetStream failed: the body was not acknowledged (its sender will retry)", { error: (e as Error).message });
      throw new LongwatchError("store_unavailable", `JetStream did not take the records: ${(e as Error).message}; nothing was acknowledged, send again`, undefined, { cause: e });
    }
  }

  /** Kept for the Pipeline shape: records are durable once JetStream acknowledges them, so there is nothing to commit. */
  checkpoint(): Promise<void> {
    return Promise.resolve();
  }

  reaudit(reason = "requested"): Promise<void> {
    if (!this.audit) return Promise.reject(new LongwatchError("conflict", "the ingest is not running"));
    return this.audit.request(reason);
  }

  /** After a scan job: the rule playbooks on its new findings. */
  async scanned(): Promise<void> {
    await this.responder?.findings();
  }

  stop(deadlineMs = 10_000): Promise<void> {
    this.stopped ??= this.shutdown(deadlineMs);
    return this.stopped;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    if (this.state === "new" || this.state === "stopped") {
      this.state = "stopped";
      return;
    }
    this.state = "stopping";
    await this.audit?.stop();
    await this.responder?.shutdown(deadlineMs);
    await this.sources?.stop(deadlineMs);
    await Promise.allSettled([...this.inFlight]);
    this.state = "stopped";
    await this.nc?.drain().catch(() => this.nc?.close());
    this.log("info", `ingest ${this.name} stopped`, { messages: this.stats.messages, duplicates: this.stats.duplicates });
  }

  /** Prometheus text: records in and rejected, messages published, duplicates the stream dropped, retries; the rule playbooks' counters. */
  prometheus(): string {
    const m = this.counters.snapshot({ pipeline: this.name, wall: this.wall(), eventTime: undefined, detectionRecords: 0, held: 0, forced: 0, sinks: [], deadLetterErrors: 0, sources: this.sources?.stats(), audit: this.audit?.stats() });
    const { family, text } = promWriter(this.name);
    family("longwatch_records_in_total", "counter", "Records accepted, by source.", Object.entries(m.records_in).map(([s, v]) => [`source="${esc(s)}"`, v]));
    family("longwatch_records_rejected_total", "counter", "Records rejected, by reason.", Object.entries(m.records_rejected).map(([r, v]) => [`reason="${esc(r)}"`, v]));
    family("longwatch_nats_messages_total", "counter", "JetStream messages published (acknowledged by the stream).", [["", this.stats.messages]]);
    family("longwatch_nats_duplicates_total", "counter", "Messages the stream already had (same Nats-Msg-Id): stored once.", [["", this.stats.duplicates]]);
    family("longwatch_nats_retries_total", "counter", "Publishes tried again after a broker error.", [["", this.stats.retries]]);
    family("longwatch_nats_failures_total", "counter", "Bodies refused because JetStream did not take them in time.", [["", this.stats.failures]]);
    family("longwatch_nats_partition_records_total", "counter", "Records published per partition.", this.stats.partitions.map((v, i) => [`partition="${i}"`, v]));
    if (m.sources?.mqtt) family("longwatch_mqtt_acked_total", "counter", "MQTT QoS 1 messages acknowledged after JetStream took them.", [["", m.sources.mqtt.acked]]);
    // The rule playbooks this tier runs after its re-audits and scan jobs (the workers count the detector ones).
    if (this.responder) respondFamilies(family, this.responder.respondStats());
    return text();
  }
}

const P_of = (l: StreamLayout | undefined) => l?.partitions ?? 0;
