/**
 * The one pipeline every alert sink runs through: filter → bounded queue → a few workers → (timeout → retries) →
 * deliverer, with every alert that cannot be delivered written to the dead-letter list. `offer` never waits, so a
 * slow or hanging peer fills its own queue and nothing else: detection is never stalled by a sink.
 */
import type { DeadLetter, DeadLetterReason, DeadLetterStore } from "./dead-letter.ts";
import { withRetry, withTimeout, type RetryPolicy } from "./retry.ts";
import { errorText } from "../result.ts";
import type { AlertNotice, AlertSink, Deliverer, ShutdownReport, SinkStats } from "./sink.ts";

export interface QueuedSinkOptions {
  readonly name: string;
  readonly deliverer: Deliverer;
  readonly deadLetters: DeadLetterStore;
  readonly retry: RetryPolicy;
  /** Alerts waiting beyond this are dropped (and dead-lettered). */
  readonly queueSize: number;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Alerts delivered at once; 1 keeps them in order. */
  readonly concurrency?: number;
  readonly filter?: (n: AlertNotice) => boolean;
  /** Told of each alert given up on and each dead-letter write that failed, for the service's log. */
  readonly onError?: (message: string, detail: Record<string, unknown>) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

export const DEFAULT_SHUTDOWN_MS = 5000;

export function createQueuedSink(o: QueuedSinkOptions): AlertSink {
  const stats: SinkStats = { name: o.name, type: o.deliverer.type, sent: 0, failed: 0, retried: 0, dropped: 0, dead_lettered: 0, dead_letter_errors: 0, filtered: 0, queue_depth: 0, in_flight: 0 };
  const queue = new Ring<AlertNotice>(o.queueSize);
  const stop = new AbortController();
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const deliverer = withRetry(withTimeout(o.deliverer, o.timeoutMs), o.retry, () => void stats.retried++, o.random);
  const now = o.now ?? Date.now;
  const pendingLetters = new Set<Promise<void>>();
  const running = new Map<Promise<void>, AlertNotice>();
  let closing: Promise<ShutdownReport> | undefined;
  let idle: (() => void) | undefined;

  function deadLetter(notice: AlertNotice, reason: DeadLetterReason, attempts: number, error?: string) {
    const letter: DeadLetter = { sink: o.name, sink_type: o.deliverer.type, notice, reason, attempts, at: new Date(now()).toISOString(), ...(error !== undefined ? { error } : {}) };
    o.onError?.(`sink ${o.name}: alert ${notice.alert.id} not delivered (${reason})`, { sink: o.name, alert: notice.alert.id, reason, attempts, ...(error !== undefined ? { error } : {}) });
    const p = o.deadLetters
      .add(letter)
      .then(() => void stats.dead_lettered++)
      .catch((e: unknown) => {
        stats.dead_letter_errors++;
        o.onError?.(`sink ${o.name}: dead-letter list failed; alert ${notice.alert.id} is lost`, { sink: o.name, alert: notice.alert.id, error: errorText(e) });
      })
      .finally(() => pendingLetters.delete(p));
    pendingLetters.add(p);
  }

  async function work(notice: AlertNotice) {
    const r = await deliverer.deliver(notice, stop.signal);
    if (r.kind === "success") stats.sent++;
    else {
      stats.failed++;
      deadLetter(notice, stop.signal.aborted && r.kind === "retryable" ? "shutdown" : r.kind === "failure" ? "failed" : "retries_exhausted", r.attempts, r.error);
    }
  }

  function pump() {
    while (running.size < concurrency && queue.size > 0 && !stop.signal.aborted) {
      const notice = queue.shift()!;
      const p = work(notice).finally(() => {
        running.delete(p);
        stats.in_flight = running.size;
        stats.queue_depth = queue.size;
        pump();
      });
      running.set(p, notice);
    }
    stats.in_flight = running.size;
    stats.queue_depth = queue.size;
    if (running.size === 0 && queue.size === 0) idle?.();
  }

  async function shutdown(deadlineMs: number): Promise<ShutdownReport> {
    const drained = new Promise<void>((resolve) => {
      idle = resolve;
    });
    pump();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)))]);
    clearTimeout(timer);
    stop.abort();
    let abandoned = running.size;
    while (queue.size > 0) {
      deadLetter(queue.shift()!, "shutdown", 0);
      stats.dropped++;
      abandoned++;
    }
    stats.queue_depth = 0;
    await Promise.allSettled([...running.keys()]);
    await Promise.allSettled([...pendingLetters]);
    await o.deliverer.close?.().catch((e: unknown) => o.onError?.(`sink ${o.name}: close failed`, { sink: o.name, error: errorText(e) }));
    return { delivered: stats.sent, abandoned };
  }

  return {
    name: o.name,
    type: o.deliverer.type,
    offer(notice) {
      if (closing) {
        stats.dropped++;
        deadLetter(notice, "shutdown", 0);
        return false;
      }
      if (o.filter && !o.filter(notice)) {
        stats.filtered++;
        return false;
      }
      if (!queue.push(notice)) {
        stats.dropped++;
        deadLetter(notice, "queue_full", 0);
        return false;
      }
      pump();
      return true;
    },
    stats: () => ({ ...stats }),
    pending: () => [...running.values(), ...queue.items()],
    shutdown(deadlineMs = DEFAULT_SHUTDOWN_MS) {
      closing ??= shutdown(deadlineMs);
      return closing;
    },
  };
}

/** A fixed-capacity FIFO: no array shifting, no growth. */
class Ring<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  size = 0;
  constructor(private readonly capacity: number) {
    this.slots = new Array<T | undefined>(Math.max(1, capacity));
  }
  push(x: T): boolean {
    if (this.size >= this.capacity) return false;
    this.slots[(this.head + this.size) % this.slots.length] = x;
    this.size++;
    return true;
  }
  /** What it holds, oldest first. */
  items(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.slots[(this.head + i) % this.slots.length]!);
    return out;
  }
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const x = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.size--;
    return x;
  }
}
