/**
 * Continuous posture: the stored fleet is re-audited on a schedule and after every inventory change (an import
 * through the API or the CLI, a model written), and the live detection engine is given the new inventory. Changes
 * are noticed by polling the store's inventory stamp, so imports by another process count too. Runs never overlap:
 * a request while one runs queues exactly one more.
 */
import { allRules } from "../../audit/rules/index.ts";
import { runScan } from "../../audit/scan.ts";
import { keyedDigester, loadSecretKey } from "../../inventory/secrets.ts";
import type { Store } from "../../store/store.ts";
import type { PipelineConfig } from "./config.ts";
import type { PipelineLog } from "./types.ts";

export interface AuditStats {
  runs: number;
  errors: number;
  last_reason: string | null;
  last_finished_at: string | null;
  last_ms: number | null;
  inventory_changes: number;
}

export interface ReauditOptions {
  store: Store;
  config: PipelineConfig["audit"];
  run?: () => Promise<unknown>;
  dataDir?: string;
  clock: () => number;
  log: PipelineLog;
  onInventoryChange(): Promise<void>;
  /** After each re-audit that succeeded (the playbooks run on its new findings); its errors are its own to report. */
  onAudited?(): Promise<void>;
}

export class Reaudit {
  private readonly s: AuditStats = { runs: 0, errors: 0, last_reason: null, last_finished_at: null, last_ms: null, inventory_changes: 0 };
  private readonly run: (() => Promise<unknown>) | undefined;
  private running: Promise<void> | undefined;
  private again: { reason: string; waiters: (() => void)[] } | undefined;
  private stamp: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly o: ReauditOptions) {
    this.run = o.run ?? (o.dataDir !== undefined ? defaultAudit(o.store, o.dataDir, o.clock) : undefined);
  }

  start(): void {
    const every = this.o.config.every_minutes;
    if (every > 0) this.timers.push(setInterval(() => void this.request("schedule").catch(() => undefined), every * 60_000));
    if (this.o.config.on_inventory_change) {
      void this.o.store.live.inventoryStamp().then((s) => (this.stamp ??= s), () => undefined);
      this.timers.push(setInterval(() => void this.poll(), this.o.config.poll_s * 1000));
    }
    for (const t of this.timers) t.unref();
    if (!this.run) this.o.log("warn", "fleet re-audits are off: the service was given no data folder for the store's secret key");
  }

  /** Checks the inventory stamp once; on a change, refreshes detection's inventory and re-audits. */
  async poll(): Promise<void> {
    if (this.stopped) return;
    let now: string;
    try {
      now = await this.o.store.live.inventoryStamp();
    } catch {
      return;
    }
    if (this.stamp === undefined) {
      this.stamp = now;
      return;
    }
    if (now === this.stamp) return;
    this.stamp = now;
    this.s.inventory_changes++;
    try {
      await this.o.onInventoryChange();
    } catch (e) {
      this.o.log("error", `reloading the inventory into detection failed: ${(e as Error).message}`);
    }
    await this.request("inventory changed").catch(() => undefined);
  }

  request(reason: string): Promise<void> {
    if (!this.run || this.stopped) return Promise.resolve();
    if (!this.running) {
      this.running = this.once(reason);
      return this.running;
    }
    return new Promise<void>((resolve) => {
      if (this.again) this.again.waiters.push(resolve);
      else this.again = { reason, waiters: [resolve] };
    });
  }

  private async once(reason: string): Promise<void> {
    const t0 = performance.now();
    try {
      await this.run!();
      this.s.runs++;
      this.o.log("info", `fleet re-audited (${reason})`, { ms: Math.round(performance.now() - t0) });
      await this.o.onAudited?.();
    } catch (e) {
      this.s.errors++;
      this.o.log("error", `fleet re-audit (${reason}) failed: ${(e as Error).message}`);
    } finally {
      this.s.last_reason = reason;
      this.s.last_finished_at = new Date(this.o.clock()).toISOString();
      this.s.last_ms = Math.round(performance.now() - t0);
      const next = this.again;
      this.again = undefined;
      this.running = next && !this.stopped ? this.once(next.reason).finally(() => next.waiters.forEach((w) => w())) : undefined;
      if (next && !this.running) next.waiters.forEach((w) => w());
    }
  }

  stats(): AuditStats {
    return { ...this.s };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.running?.catch(() => undefined);
  }
}

function defaultAudit(store: Store, dataDir: string, clock: () => number): () => Promise<unknown> {
  const keyedDigest = keyedDigester(loadSecretKey(dataDir));
  // Chunked: live ingest on the same store commits between the scan's batches instead of after the whole scan.
  return () => runScan({ store, rules: allRules, now: clock(), keyedDigest, onIssue: () => {}, chunked: true });
}
