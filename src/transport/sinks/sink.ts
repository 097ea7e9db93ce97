/**
 * The contracts of alert sinks. A `Deliverer` is the thin I/O adapter (one attempt to hand one alert to a webhook, a
 * syslog receiver, an SMTP server …) and answers with a tagged result; `createQueuedSink` wraps it in what every sink
 * needs (filter, bounded queue, timeout, retries, dead letters, stats, shutdown), so adapters stay small and a slow or
 * hanging peer never stalls the caller.
 */
import type { Alert } from "../../core/record.ts";
import type { IoResult } from "../result.ts";

/** What happened to the alert: it opened, it was seen again or changed, or it was resolved. */
export type AlertChange = "open" | "update" | "resolve";

export interface AlertNotice {
  readonly alert: Alert;
  readonly change: AlertChange;
}

export interface Deliverer {
  /** Sink type, e.g. "webhook"; used in logs and metrics. */
  readonly type: string;
  /** One attempt. Must stop work when `signal` aborts (the attempt's timeout or a shutdown). Should not throw; a throw is read as retryable. */
  deliver(notice: AlertNotice, signal: AbortSignal): Promise<IoResult>;
  /** Releases connections; called once, by the sink's shutdown. */
  close?(): Promise<void>;
}

/** Counters for /metrics: all monotonic except `queue_depth` and `in_flight`. */
export interface SinkStats {
  readonly name: string;
  readonly type: string;
  /** Alerts the peer accepted. */
  sent: number;
  /** Alerts given up on (failed for good or out of retries); each is dead-lettered. */
  failed: number;
  /** Attempts after the first. */
  retried: number;
  /** Alerts refused because the queue was full, or still queued when a shutdown's deadline passed; each is dead-lettered. */
  dropped: number;
  /** Alerts written to the dead-letter list. */
  dead_lettered: number;
  /** Dead letters that could not be written (the dead-letter list itself failed): the only way an alert is lost. */
  dead_letter_errors: number;
  /** Alerts the sink's filter did not want. */
  filtered: number;
  queue_depth: number;
  in_flight: number;
}

export interface AlertSink {
  readonly name: string;
  readonly type: string;
  /** Never blocks and never throws: queues the alert, or counts it filtered or dropped. True when queued. */
  offer(notice: AlertNotice): boolean;
  stats(): SinkStats;
  /**
   * Alerts offered and neither delivered nor dead-lettered yet (in flight, then queued), oldest first. The service
   * keeps them with its checkpoint and offers them again after a crash: the alerts are committed with that
   * checkpoint, so the journal's replay does not raise them again, and without this a kill -9 would lose them unsaid.
   */
  pending?(): AlertNotice[];
  /** Stops taking alerts, delivers what is queued until the deadline, dead-letters the rest, closes. Idempotent. */
  shutdown(deadlineMs?: number): Promise<ShutdownReport>;
}

export interface ShutdownReport {
  readonly delivered: number;
  /** Alerts still queued or in flight at the deadline, moved to the dead-letter list. */
  readonly abandoned: number;
}
