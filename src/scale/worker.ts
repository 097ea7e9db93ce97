/**
 * `longwatch worker`: takes a fair share of the units of work — the stream's partitions and the fleet stage — under
 * leases in the shared store, and runs each (unit.ts). Every `leaseMs / 3` it says it is alive, renews its leases,
 * and rebalances: with W live workers (sorted by name) and units of total weight U (a partition weighs 1, the fleet
 * stage `fleetWeight`), worker i aims at ⌊U/W⌋, one more when i < U mod W. A worker that joins makes the others' share smaller, so they hand units over (last checkpoint, then
 * release); a worker that dies stops renewing, its heartbeat and leases expire, and the others take its units from
 * their last checkpoints. Two workers never process one unit at once: a lease is one worker's, and a worker whose
 * lease was taken over can no longer write a checkpoint (the epoch fences it), nor move the new owner's consumer (a
 * consumer per epoch, unit.ts) — it stops at its next renewal, or sooner when its unit finds the lease gone.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Alert } from "../core/record.ts";
import type { EngineOptions } from "../detect/engine.ts";
import type { DetectInventory } from "../detect/inventory.ts";
import { FLEET_UNIT } from "../store/scale.ts";
import type { Store } from "../store/store.ts";
import { LongwatchError } from "../core/errors.ts";
import { ensureFleetSubjects, manager, type StreamLayout } from "./nats.ts";
import { Unit, unitName } from "./unit.ts";

export interface WorkerOptions {
  nc: NatsConnection;
  store: Store;
  layout: StreamLayout;
  /** Unique among the workers of a stream (default host-pid-random). */
  name?: string;
  /**
   * The chosen detectors and their settings. Per-device detectors run in the partitions; fleet-wide ones are split
   * (detector.ts DetectorSplit): their device parts run in the partitions, their fleet parts in the fleet stage,
   * which exists when some chosen detector is fleet-wide.
   */
  engine: Omit<EngineOptions, "sink" | "clock" | "split">;
  inventory?: DetectInventory;
  leaseMs?: number;
  checkpointMs?: number;
  holdMs?: number;
  idleMs?: number;
  /** A unit whose subjects were quiet this long processes the records it holds (default 5 s; see unit.ts). */
  quietMs?: number;
  /**
   * What the fleet stage counts for when shares are worked out, in partitions (default half the partition count,
   * at least 1): it takes the facts of every partition, so a worker holding it takes that many fewer partitions.
   * Every worker of a stream must use the same weight.
   */
  fleetWeight?: number;
  /**
   * At start, the time between saying it is alive and taking units (default min(1 s, leaseMs / 3)): workers started
   * together see each other before the first takes everything, so no unit changes hands right after the start.
   */
  settleMs?: number;
  clock?: () => number;
  /** The alerts each checkpoint committed (unit.ts): what the playbooks run on (`longwatch worker`'s responder). */
  onCommitted?(alerts: readonly Alert[]): void;
  /** A unit was taken (at start, from a worker that left or died): its alerts may have been committed before their playbooks ran. */
  onTaken?(part: number): void;
  log?(line: string): void;
}

export function defaultWorkerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(2).toString("hex")}`;
}

export class ScaleWorker {
  readonly name: string;
  private readonly units = new Map<number, Unit>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private round: Promise<void> = Promise.resolve();
  private readonly leaseMs: number;
  private readonly log: (line: string) => void;

  private readonly fleetStage: boolean;
  private readonly fleetWeight: number;

  constructor(private readonly o: WorkerOptions) {
    const whole = o.engine.detectors.filter((d) => d.fleetWide && !d.split);
    if (whole.length > 0) throw new LongwatchError("invalid_config", `${whole.map((d) => d.id).join(", ")}: fleet-wide but not split in two (detector.ts DetectorSplit), so no partition can run it`);
    this.fleetStage = o.engine.detectors.some((d) => d.split);
    this.name = o.name ?? defaultWorkerName();
    this.leaseMs = o.leaseMs ?? 15_000;
    this.fleetWeight = Math.max(1, Math.round(o.fleetWeight ?? o.layout.partitions / 2));
    this.log = (line) => o.log?.(`${this.name} ${line}`);
  }

  /** Units held now (partition numbers; -1 is the fleet stage). */
  held(): number[] {
    return [...this.units.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    if (this.fleetStage) await ensureFleetSubjects(await manager(this.o.nc), this.o.layout);
    await this.o.store.scale.heartbeat(this.o.layout.stream, this.name, this.leaseMs);
    const settle = this.o.settleMs ?? Math.min(1000, this.leaseMs / 3);
    if (settle > 0) await new Promise((r) => setTimeout(r, settle));
    await this.rebalance();
    const every = Math.max(50, Math.floor(this.leaseMs / 3));
    const next = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.round = this.rebalance()
          .catch((e: unknown) => this.log(`rebalance: ${(e as Error).message}`))
          .finally(next);
      }, every);
    };
    next();
  }

  /** A clean exit: last checkpoints, leases released, the worker forgotten, so others take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
    const { store, layout } = this.o;
    await Promise.all(
      [...this.units].map(async ([part, unit]) => {
        await unit.stop(true);
        await store.scale.release(layout.stream, part, this.name, unit.epoch).catch(() => undefined);
      }),
    );
    this.units.clear();
    await store.scale.leave(layout.stream, this.name).catch(() => undefined);
  }

  private allUnits(): number[] {
    const parts = Array.from({ length: this.o.layout.partitions }, (_, i) => i);
    return this.fleetStage ? [FLEET_UNIT, ...parts] : parts;
  }

  private async rebalance(): Promise<void> {
    if (this.stopped) return;
    const { store, layout } = this.o;
    const workers = await store.scale.heartbeat(layout.stream, this.name, this.leaseMs);
    // Units whose lease is no longer ours, or whose runner found out it was fenced: stop without a checkpoint.
    const kept = new Set(await store.scale.renew(layout.stream, this.name, [...this.units].map(([part, u]) => ({ part, epoch: u.epoch })), this.leaseMs));
    for (const [part, unit] of [...this.units]) {
      if (!kept.has(part) || unit.isLost) {
        this.log(`${unit.name}: lease lost, stopped`);
        await unit.stop(false);
        this.units.delete(part);
      }
    }
    const all = this.allUnits();
    const i = Math.max(0, workers.indexOf(this.name));
    const w = Math.max(1, workers.length);
    const weight = (part: number) => (part === FLEET_UNIT ? this.fleetWeight : 1);
    const total = all.reduce((n, part) => n + weight(part), 0);
    const target = Math.floor(total / w) + (i < total % w ? 1 : 0);
    const load = () => this.held().reduce((n, part) => n + weight(part), 0);
    // Too many: hand the last partitions over, each after its last checkpoint. A unit held alone stays (it cannot be
    // split, and handing it over would only move the excess to another worker).
    while (load() > target && this.units.size > 1 && !this.stopped) {
      const part = this.held().at(-1)!;
      const unit = this.units.get(part)!;
      this.units.delete(part);
      await unit.stop(true);
      await store.scale.release(layout.stream, part, this.name, unit.epoch);
      this.log(`${unit.name}: handed over (${w} workers)`);
    }
    if (load() >= target || this.stopped) return;
    // Too few: try the units nobody holds (or whose lease ran out), starting at this worker's own slice. The fleet
    // stage is taken even when it goes past the share: the next round hands partitions over instead.
    const start = Math.floor((i * all.length) / w);
    for (let k = 0; k < all.length && load() < target && !this.stopped; k++) {
      const part = all[(start + k) % all.length]!;
      if (this.units.has(part)) continue;
      const lease = await store.scale.acquire(layout.stream, part, this.name, this.leaseMs);
      if (!lease) continue;
      const fleet = part === FLEET_UNIT;
      const unit = new Unit({
        nc: this.o.nc,
        jsm: await manager(this.o.nc),
        store,
        layout,
        lease,
        engine: fleet ? { ...this.o.engine, detectors: this.o.engine.detectors.filter((d) => d.split) } : this.o.engine,
        ...(this.o.inventory ? { inventory: this.o.inventory } : {}),
        clock: this.o.clock ?? Date.now,
        holdMs: fleet ? Infinity : (this.o.holdMs ?? 2000),
        idleMs: fleet ? Infinity : (this.o.idleMs ?? Infinity),
        checkpointMs: this.o.checkpointMs ?? 2000,
        ...(this.o.quietMs !== undefined ? { quietMs: this.o.quietMs } : {}),
        ...(this.o.onCommitted ? { onCommitted: this.o.onCommitted } : {}),
        log: this.log,
      });
      try {
        await unit.start();
        this.units.set(part, unit);
        this.o.onTaken?.(part);
      } catch (e) {
        this.log(`${unitName(part)}: could not start: ${(e as Error).message}`);
        await store.scale.release(layout.stream, part, this.name, lease.epoch).catch(() => undefined);
      }
    }
  }
}
