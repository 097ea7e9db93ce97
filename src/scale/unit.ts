/**
 * One unit of work a worker holds under its lease: a partition of the records stream (per-device detectors over that
 * partition's devices), or the fleet stage (the fleet-wide detectors over every partition's records).
 *
 * Exactly-once effect: the unit's state (engine + held records) is restored from its last checkpoint, and the
 * durable consumer is recreated to deliver from the message after the one the checkpoint covers — the checkpoint,
 * not the consumer's acknowledgements, is the position, so a takeover never sees messages out of order and a
 * redelivery is recognised by its stream sequence. A checkpoint is written with the alerts it raised in one
 * transaction, under the lease's epoch, and only then are its messages acknowledged. Alerts are upserted by id
 * (detector, device, key, first sighting), so records processed again after a crash raise nothing twice.
 *
 * Liveness: the broker's view of a consumer can disagree with what the unit received — a nats-server killed mid-way
 * keeps deliveries it had written out but that never reached the unit, and holds them for `ack_wait` (2 minutes)
 * before it sends them again; a pull can wait on a connection that is gone. So the unit re-creates its consumer
 * from its own position (the stream sequence after the last message it took in) whenever it cannot be sure of it:
 * after every reconnect, when a delivery sequence is skipped, when the broker says it delivered more than arrived,
 * when a pull misses its heartbeats or fails, and when a pull outlives its expiry (a watchdog ends it).
 *
 * A consumer per lease epoch (consumerName): a worker that stalled past its lease (a GC pause, SIGSTOP, a starved
 * machine) and wakes goes on as above for a moment — and re-creating a consumer shared with the new owner moved the
 * new owner's position under it, which then skipped records (issue 14). Now a unit only ever creates its own epoch's
 * consumer, reads its lease first and gives the unit up when it is no longer its own; taking a unit deletes the
 * consumers of its former epochs, and the broker deletes one nobody pulls from for INACTIVE_MS (what a stale owner
 * re-created after that).
 *
 * Two stages (docs/scale.md "The fleet stage"): a partition runs the device parts of the split fleet-wide detectors
 * too, and at each checkpoint publishes the facts they answered (facts.ts) on `<prefix>.fleet.<p>` — before the
 * checkpoint commits, under an id of the partition and the facts' range, so a crash sends the same facts again and
 * the fleet stage takes each once. The fleet stage consumes those subjects only, merges the facts by the partitions'
 * watermarks (fleet-merge.ts) and runs the fleet parts.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, type Consumer, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { isLongwatchError, LongwatchError } from "../core/errors.ts";
import type { Alert } from "../core/record.ts";
import { type LiveDetection, startDetection } from "../detect/live.ts";
import type { EngineOptions } from "../detect/engine.ts";
import { FLEET_UNIT, type Lease } from "../store/scale.ts";
import type { Store } from "../store/store.ts";
import type { DetectInventory } from "../detect/inventory.ts";
import { Rec } from "../detect/read/rec.ts";
import { BatchSource } from "./batch.ts";
import { FactWriter, readFacts } from "./facts.ts";
import { FleetMerge } from "./fleet-merge.ts";
import { fleetSubject, type StreamLayout } from "./nats.ts";
import { partitionOf, partitionSubject } from "./partition.ts";
import { StatePieces } from "./state-pieces.ts";

export interface UnitOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  store: Store;
  layout: StreamLayout;
  lease: Lease;
  /** A partition's detectors (split ones run their device part), or the fleet stage's (split ones only). */
  engine: Omit<EngineOptions, "sink" | "clock" | "split">;
  inventory?: DetectInventory;
  clock: () => number;
  holdMs: number;
  idleMs: number;
  /**
   * The shortest time between checkpoints. A checkpoint rewrites the unit's whole state, so the next one waits at
   * least CHECKPOINT_SHARE times as long as the last one took (a large state is written less often, and checkpoints
   * take at most about a tenth of the unit's time), up to MAX_CHECKPOINT_MS; a unit that has processed everything
   * it holds (a partition gone quiet, the fleet stage once every partition has) checkpoints at once.
   */
  checkpointMs: number;
  /** A partition sends its facts to the fleet stage this often, between checkpoints (default min(checkpointMs, 500 ms)). */
  factsMs?: number;
  /**
   * When the unit's subjects have had no message for this long (wall clock), the records it holds for ordering are
   * processed (default 5 s): a finished backfill, or a feed that paused, is judged to its end instead of waiting for
   * more records to push the last ones out. Infinity: never (results then depend only on the records).
   */
  quietMs?: number;
  /** The alerts a checkpoint committed (opened, changed or resolved since the last one), once they are in the store. */
  onCommitted?(alerts: readonly Alert[]): void;
  log(line: string): void;
}

interface Meta {
  rejected: number;
  late: number;
  messages: number;
  bad: number;
  /** A partition: facts sent to the fleet stage (the index of the next). The fleet stage: facts it took twice. */
  facts: number;
}

/** The next checkpoint waits this many times as long as the last one took (see `checkpointMs`). */
export const CHECKPOINT_SHARE = 9;
/** The longest wait between checkpoints while messages come in, however large the state. */
export const MAX_CHECKPOINT_MS = 30_000;
/** Messages taken in but not yet covered by a checkpoint beyond which one is written at once (the consumer's max_ack_pending is twice this). */
const MAX_UNACKED = 10_000;

/**
 * A consumer nobody pulls from for this long is deleted by the broker: a running unit pulls every second or so (and
 * re-creates its consumer after anything longer: a broker or store outage), so this reaps only what a stale owner
 * left behind after the new owner cleared the former epochs' consumers.
 */
export const INACTIVE_MS = 5 * 60_000;

export function unitName(part: number): string {
  return part === FLEET_UNIT ? "fleet" : `p${part}`;
}

/**
 * The durable consumer of a unit under one lease epoch, `<stream>_p<n>_e<epoch>` (`<stream>_fleet_e<epoch>`): a
 * stale owner can only ever re-create its own. Stream names have no dots, spaces or wildcards, so neither has this.
 */
export function consumerName(stream: string, part: number, epoch: number): string {
  return `${stream}_${unitName(part)}_e${epoch}`;
}

/** A consumer of the unit from before `epoch`: an older epoch's, or the one name all epochs shared before issue 14. */
function formerConsumer(name: string, stream: string, part: number, epoch: number): boolean {
  const shared = `${stream}_${unitName(part)}`;
  if (!name.startsWith(shared)) return false;
  if (name === shared) return true;
  const m = /^_e(\d+)$/.exec(name.slice(shared.length));
  return m !== null && Number(m[1]) < epoch;
}

export class Unit {
  private live!: LiveDetection;
  private consumer: Consumer | undefined;
  /** Stream sequence of the last message taken in, and of the last one a committed checkpoint covers. */
  private seq = 0;
  private committedSeq = 0;
  private records = 0;
  private meta: Meta = { rejected: 0, late: 0, messages: 0, bad: 0, facts: 0 };
  /** A partition's facts for the fleet stage since its last checkpoint (undefined: no split detector runs here). */
  private facts: FactWriter | undefined;
  /** A partition: its last committed message to the fleet stage said it had processed everything (watermark +∞). */
  private toldQuiet = false;
  /** The fleet stage: the partitions' facts, merged by watermark. */
  private merge: FleetMerge | undefined;
  private readonly warned = new Set<string>();
  private unacked: JsMsg[] = [];
  private lastCheckpoint = 0;
  /** Wall ms the last checkpoint took (state, facts, transaction). */
  private lastCheckpointCost = 0;
  /** A partition: when it last sent facts, and the watermark and record count it said then. */
  private lastFacts = 0;
  private toldMark = NaN;
  private toldRecords = NaN;
  private lastMessage = Date.now();
  private drained = false;
  private stopping = false;
  private lost = false;
  private loop: Promise<void> | undefined;
  /** Consumer delivery sequence of the last delivery taken from the current consumer (0: none since it was created). */
  private delivered = 0;
  /** Set on a reconnect (or a skipped delivery): the consumer is re-created before anything more is taken. */
  private resync: string | undefined;
  private status: { stop(): void } | undefined;
  private connected = true;
  private batch: { stop(err?: Error): void } | undefined;
  private split: EngineOptions["split"];
  private readonly rec = new Rec();
  /** What the store holds of this unit's state, piece by piece: a checkpoint writes only the pieces that changed. */
  private readonly pieces = new StatePieces();
  /** Consumers re-created to get back in step with the broker (for logs and tests). */
  resyncs = 0;
  readonly part: number;

  constructor(private readonly o: UnitOptions) {
    this.part = o.lease.part;
  }

  get name(): string {
    return unitName(this.part);
  }

  get epoch(): number {
    return this.o.lease.epoch;
  }

  async start(): Promise<void> {
    const { store, layout } = this.o;
    const cp = await store.scale.loadCheckpoint(layout.stream, this.part);
    const fleet = this.part === FLEET_UNIT;
    const inv = this.o.inventory;
    const suppressions = await store.alerts.suppressions();
    const splitIds = this.o.engine.detectors.filter((d) => d.split).map((d) => d.id);
    if (fleet) this.merge = new FleetMerge(layout.partitions, splitIds);
    else if (splitIds.length > 0) {
      const facts = (this.facts = new FactWriter());
      // A record the partition took late is ordered at the time it had processed through (fleet-merge.ts).
      this.split = { role: "partition", emit: (rec, device, first, f) => facts.add(rec, Math.max(rec.ts, this.live.processedThrough), device, first, f, this.live.ingesting) };
    }
    const merge = this.merge;
    this.live = await startDetection({
      engine: { ...this.o.engine, ...(fleet ? { split: { role: "fleet" as const } } : this.split ? { split: this.split } : {}) },
      clock: this.o.clock,
      holdMs: this.o.holdMs,
      idleMs: this.o.idleMs,
      tickEveryMs: false,
      ...(merge ? { extra: { save: () => merge.save(), load: (x: unknown) => merge.load(x) } } : {}),
      ...(cp ? { restore: this.pieces.learn(cp.chunks()) } : {}),
      setup: (engine) => {
        if (inv) {
          const mine = fleet ? inv.devices : inv.devices.filter((d) => partitionOf(d.device_id, layout.partitions) === this.part);
          engine.addInventory(mine, inv.models);
        }
        engine.setSuppressions(suppressions);
      },
    });
    if (cp) {
      this.seq = this.committedSeq = cp.seq;
      this.records = cp.records;
      this.meta = { ...this.meta, ...(JSON.parse(cp.meta) as Partial<Meta>) };
    }
    await this.dropFormerConsumers();
    await this.recreateConsumer();
    this.watchConnection();
    this.lastCheckpoint = Date.now();
    this.o.log(`${this.name}: taken (epoch ${this.epoch}), from stream sequence ${this.seq + 1}${cp ? `, ${cp.records} records so far` : ""}`);
    this.loop = this.run();
  }

  /** Stops taking messages; with `commit`, writes a last checkpoint first (a clean hand-over). */
  async stop(commit: boolean): Promise<void> {
    this.stopping = true;
    if (!commit) this.lost = true;
    this.batch?.stop();
    await this.loop;
    this.status?.stop();
    if (commit && !this.lost) await this.checkpoint().catch((e: unknown) => this.o.log(`${this.name}: last checkpoint failed: ${(e as Error).message}`));
    this.live?.close();
  }

  /** True once the lease turned out lost (another worker holds the unit): the caller forgets the unit. */
  get isLost(): boolean {
    return this.lost;
  }

  private durable(): string {
    return consumerName(this.o.layout.stream, this.part, this.epoch);
  }

  /** A new owner deletes what former owners of the unit pulled from: none of them can take another message. */
  private async dropFormerConsumers(): Promise<void> {
    const { jsm, layout } = this.o;
    for await (const c of jsm.consumers.list(layout.stream)) {
      if (!formerConsumer(c.name, layout.stream, this.part, this.epoch)) continue;
      // Gone already (a stale owner's that the broker reaped, or another taker's delete) is what was wanted; one
      // that could not be deleted is said so, and the broker removes it once nobody pulls from it (INACTIVE_MS).
      await jsm.consumers.delete(layout.stream, c.name).then(
        () => this.o.log(`${this.name}: deleted consumer ${c.name} of a former owner`),
        (e: unknown) => this.o.log(`${this.name}: consumer ${c.name} of a former owner not deleted (${e instanceof Error ? e.message : String(e)}); the broker removes it after ${INACTIVE_MS / 60_000} min unused`),
      );
    }
  }

  /**
   * The lease is still this unit's — a plain read, no lock — or `conflict`: a unit that stalled past its lease finds
   * out before it touches the broker and is given up (run), instead of pulling on until its next checkpoint or renewal.
   */
  private async assertHeld(): Promise<void> {
    const { store, layout, lease } = this.o;
    const held = (await store.scale.leases(layout.stream)).find((l) => l.part === this.part);
    if (held && held.owner === lease.owner && held.epoch === lease.epoch) return;
    throw new LongwatchError("conflict", `the lease of ${lease.owner} (epoch ${lease.epoch}) is no longer current${held ? ` (${held.owner} holds epoch ${held.epoch})` : ""}: its consumer is not re-created`);
  }

  private async recreateConsumer(): Promise<void> {
    const { jsm, layout } = this.o;
    const name = this.durable();
    await this.assertHeld();
    await jsm.consumers.delete(layout.stream, name).catch(() => undefined);
    await jsm.consumers.add(layout.stream, {
      durable_name: name,
      filter_subject: this.part === FLEET_UNIT ? fleetSubject(layout.prefix, "*") : partitionSubject(layout.prefix, this.part),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.seq + 1,
      ack_wait: 120_000 * 1e6,
      max_ack_pending: 2 * MAX_UNACKED,
      inactive_threshold: INACTIVE_MS * 1e6,
    });
    this.consumer = await jetstream(this.o.nc).consumers.get(layout.stream, name);
    this.delivered = 0;
  }

  /**
   * After a reconnect the broker may have restarted and kept a consumer state ahead of (or behind) what arrived here:
   * the pull in flight is ended and the consumer re-created from the unit's position before anything more is taken.
   */
  private watchConnection(): void {
    const status = this.o.nc.status() as AsyncIterable<{ type: string }> & { stop(): void };
    this.status = status;
    void (async () => {
      for await (const s of status) {
        if (s.type === "disconnect") this.connected = false;
        if (s.type !== "reconnect" || this.stopping) continue;
        this.connected = true;
        this.lastMessage = Date.now();
        this.resync = "reconnected to the broker";
        this.batch?.stop();
      }
    })().catch(() => undefined);
  }

  /** Ends a resync: the consumer is re-created from the stream sequence after the last message taken in. */
  private async resyncConsumer(): Promise<void> {
    const why = this.resync!;
    this.resync = undefined;
    this.consumer = undefined;
    this.resyncs++;
    // Not a quiet stream: what the unit holds waits for what the new consumer delivers.
    this.lastMessage = Date.now();
    this.o.log(`${this.name}: ${why}: consumer re-created from stream sequence ${this.seq + 1}`);
    await this.recreateConsumer();
  }

  private async run(): Promise<void> {
    let wait = 100;
    const expires = 1000;
    while (!this.stopping) {
      try {
        if (this.resync) await this.resyncConsumer();
        if (!this.consumer) await this.recreateConsumer();
        const batch = await this.consumer!.fetch({ max_messages: 64, expires });
        this.batch = batch;
        // A pull delivers or ends by itself within its expiry (or misses heartbeats and fails); one that does neither
        // for 4 s more is stuck. The timer restarts at each message, so slow detection of a large batch is not "stuck".
        const stuck = () => {
          this.resync ??= `a pull neither delivered nor ended for ${expires + 4000} ms`;
          batch.stop();
        };
        let watchdog = setTimeout(stuck, expires + 4000);
        let got = 0;
        try {
          for await (const m of batch) {
            clearTimeout(watchdog);
            watchdog = setTimeout(stuck, expires + 4000);
            if (this.resync || this.stopping) break;
            const ds = m.info.deliverySequence;
            if (ds > this.delivered + 1) {
              // Deliveries the broker made never arrived (a broker restart, a second puller on this consumer): a
              // consumer numbers its deliveries from 1 without gaps, and taking this one would skip them for good.
              this.resync = `deliveries ${this.delivered + 1}-${ds - 1} never arrived`;
              break;
            }
            this.delivered = ds;
            got++;
            this.take(m);
          }
        } finally {
          clearTimeout(watchdog);
          this.batch = undefined;
        }
        if (this.resync || this.stopping) continue;
        if (got > 0) this.lastMessage = Date.now();
        else await this.idle();
        if (this.checkpointDue()) await this.checkpoint();
        else if (this.facts && Date.now() - this.lastFacts >= (this.o.factsMs ?? Math.min(this.o.checkpointMs, 500))) await this.sendFacts(false);
        wait = 100;
      } catch (e) {
        if (isLongwatchError(e, "conflict")) {
          this.o.log(`${this.name}: ${(e as Error).message}`);
          this.lost = true;
          return;
        }
        if (this.stopping) return;
        this.o.log(`${this.name}: ${(e as Error).message}; trying again`);
        // A broker outage is not a quiet stream: the records held wait for what comes after it.
        this.lastMessage = Date.now();
        // The consumer may be gone or out of step (heartbeats missed, a broker that lost it): re-create it.
        this.consumer = undefined;
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 2000);
      }
    }
  }

  /**
   * A pull ended with nothing. Asks the broker about the consumer: when it says it delivered more than arrived here,
   * the rest was lost on the way (a broker killed with deliveries in flight: it would send them again only after
   * `ack_wait`), so the consumer is re-created. When nothing is pending and the unit has been quiet long enough,
   * the records held for ordering are processed.
   */
  private async idle(): Promise<void> {
    const info = await this.consumer!.info();
    if (info.delivered.consumer_seq > this.delivered) {
      this.resync = `the broker delivered ${info.delivered.consumer_seq} messages but ${this.delivered} arrived`;
      return;
    }
    // A partition also tells the fleet stage once that it went quiet, even with nothing held (one that never had a
    // record included): the fleet stage waits for every partition's watermark.
    const tell = this.facts !== undefined && !this.toldQuiet && !this.drained;
    if ((this.live.stats.held > 0 || tell) && this.connected && Date.now() - this.lastMessage >= (this.o.quietMs ?? 5000)) {
      // Quiet, and the broker confirms nothing more is waiting on these subjects — by the consumer and by the stream
      // itself: a consumer asked while the broker recovers after a restart can say nothing is pending when there is.
      if (info.num_pending === 0 && (await this.lastOnSubjects()) <= this.seq) this.drainQuiet();
      else this.lastMessage = Date.now();
    }
  }

  /** The stream sequence of the last message on a partition's subject (0: none). The fleet stage never drains on quiet. */
  private async lastOnSubjects(): Promise<number> {
    const { jsm, layout } = this.o;
    // No message on the subjects is the JetStream API's error 10037, by its code, not its wording (the client answers
    // null for it itself; the catch keeps that true whatever the client version).
    const m = await jsm.streams.getMessage(layout.stream, { last_by_subj: partitionSubject(layout.prefix, this.part) }).catch((e: unknown) => {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.NoMessageFound) return null;
      throw e;
    });
    return m?.seq ?? 0;
  }

  private take(m: JsMsg): void {
    const seq = m.seq;
    if (seq <= this.seq) {
      // A redelivery of something already taken in: covered by a checkpoint, or by the next one.
      if (seq <= this.committedSeq) m.ack();
      else this.unacked.push(m);
      return;
    }
    this.seq = seq;
    this.meta.messages++;
    this.toldQuiet = false;
    if (this.merge) return this.takeFacts(m);
    let source: BatchSource;
    try {
      source = new BatchSource(m.subject, m.data);
    } catch (e) {
      this.meta.bad++;
      this.o.log(`${this.name}: message ${seq} on ${m.subject} skipped: ${(e as Error).message}`);
      this.unacked.push(m);
      return;
    }
    const r = this.live.pushSource(source);
    this.live.tick();
    this.records += r.accepted + r.rejected;
    this.meta.rejected += r.rejected;
    this.meta.late += r.late;
    this.unacked.push(m);
  }

  /** The fleet stage takes a partition's facts and processes those every partition's watermark has passed. */
  private takeFacts(m: JsMsg): void {
    const merge = this.merge!;
    this.unacked.push(m);
    let t;
    try {
      t = merge.take(m.data);
    } catch (e) {
      this.meta.bad++;
      this.o.log(`${this.name}: message ${m.seq} on ${m.subject} skipped: ${(e as Error).message}`);
      return;
    }
    this.meta.facts += t.repeated;
    if (t.missing > 0) this.o.log(`${this.name}: ${t.missing} facts of partition ${t.partition} before message ${m.seq} never arrived (a message lost from the stream?); going on without them`);
    for (const d of t.foreign) this.warnOnce(`${d} `, `partition ${t.partition} sends facts for ${d}, which this fleet stage does not run: its fleet part is not judged (start workers with the same detectors)`);
    for (const d of t.absent) this.warnOnce(`${d}-${t.partition}`, `partition ${t.partition} sends no facts for ${d}: it does not run that detector's device part (start workers with the same detectors)`);
    const engine = this.live.engine;
    merge.release(this.rec, (rec, device, first, facts) => engine.ingestFacts(rec, device, first, facts));
    this.records = merge.recordsTaken;
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.o.log(`${this.name}: ${line}`);
  }

  /**
   * The stream is quiet: every record held is processed, and a tick that is due runs — what a replay does at its end,
   * so a finished backfill gives the alerts `detect` gives. The next checkpoint commits them. A record that comes
   * later, older than these, is taken as late (as for any record behind the hold).
   */
  private drainQuiet(): void {
    const held = this.live.stats.held;
    this.live.drain();
    this.live.engine.advance(this.live.engine.now);
    this.drained = true;
    this.o.log(`${this.name}: quiet for ${Math.round((this.o.quietMs ?? 5000) / 1000)} s: processed the ${held} records held for ordering${this.facts ? ", telling the fleet stage" : ""}`);
  }

  /**
   * Whether to write a checkpoint now. At once when the unit has processed everything it could (a partition that went
   * quiet; the fleet stage when every partition has said so and no fact waits): the end of a backfill is committed
   * without waiting out an interval. Otherwise once messages wait and the interval has passed — `checkpointMs`, or
   * CHECKPOINT_SHARE times what the last checkpoint took when that is longer (a large state is rewritten less often).
   */
  private checkpointDue(): boolean {
    if (this.drained) return true;
    if (this.unacked.length === 0) return false;
    if (this.merge && this.merge.held === 0 && this.merge.watermark === Infinity) return true;
    if (this.unacked.length >= MAX_UNACKED) return true;
    const wait = Math.max(this.o.checkpointMs, Math.min(MAX_CHECKPOINT_MS, CHECKPOINT_SHARE * this.lastCheckpointCost));
    return Date.now() - this.lastCheckpoint >= wait;
  }

  /** Writes state and alerts in one transaction under the lease, then acknowledges what it covers. */
  private async checkpoint(): Promise<void> {
    const started = Date.now();
    const cp = this.live.checkpoint();
    const { store, layout } = this.o;
    const at = new Date(this.o.clock()).toISOString();
    const seq = this.seq;
    const quiet = this.drained && this.live.stats.held === 0;
    // Every fact the state covers is in the stream before the state is committed.
    if (this.facts) await this.sendFacts(quiet);
    const held = this.merge ? this.merge.held : this.live.stats.held;
    const diff = this.pieces.diff(cp.state());
    try {
      await store.transaction(async (tx) => {
        if (cp.alerts.length > 0) await tx.alerts.upsert(cp.alerts, at);
        await tx.scale.saveCheckpoint(layout.stream, this.part, { owner: this.o.lease.owner, epoch: this.epoch }, { seq, records: this.records, at: Number.isFinite(cp.at) ? cp.at : 0, meta: JSON.stringify({ ...this.meta, held, ...(this.merge ? { forced: this.merge.forced } : {}) }), pieces: diff });
      });
    } catch (e) {
      // A commit cut off mid-way may have reached the store or not: the next checkpoint writes every piece.
      this.pieces.forget();
      throw e;
    }
    diff.commit();
    cp.commit();
    if (this.facts) this.toldQuiet = this.toldMark === Infinity;
    if (cp.alerts.length > 0) this.o.onCommitted?.(cp.alerts);
    this.drained = false;
    this.committedSeq = seq;
    this.lastCheckpoint = Date.now();
    this.lastCheckpointCost = this.lastCheckpoint - started;
    for (const m of this.unacked) m.ack();
    this.unacked = [];
  }

  /**
   * Publishes the facts the partition's device parts answered since it last sent, with its watermark (+∞ when it
   * went quiet and processed all it held) — between checkpoints every `factsMs`, so the fleet stage keeps up with the
   * partitions, and before each checkpoint commits, so no fact a checkpoint covers is lost. The message's id names the
   * partition, the facts' range and the records and watermark it speaks for: the same message sent again after a
   * crash is stored once, and one with a wider range (the next owner numbers the same facts the same way from the
   * last checkpoint on) repeats facts the fleet stage takes once (fleet-merge.ts). Nothing new: nothing is sent.
   */
  private async sendFacts(quiet: boolean): Promise<void> {
    const { layout } = this.o;
    const w = this.facts!;
    this.lastFacts = Date.now();
    // Nothing new since it said so: a partition that told it was through (+∞) and took no record since still is.
    const same = w.count === 0 && this.records === this.toldRecords;
    const watermark = quiet || (same && this.toldMark === Infinity) ? Infinity : this.live.processedThrough;
    if (same && watermark === this.toldMark) return;
    const js = jetstream(this.o.nc);
    for (const body of w.bodies({ partition: this.part, from: this.meta.facts, watermark, records: this.records, detectors: this.live.engine.splitIds })) {
      const h = readFacts(body).header;
      await js.publish(fleetSubject(layout.prefix, String(this.part)), body, { msgID: `${layout.stream}:f${this.part}:${h.from}-${h.to}:${h.records}:${h.watermark}` });
    }
    this.meta.facts += w.count;
    w.clear();
    this.toldMark = watermark;
    this.toldRecords = this.records;
  }
}
