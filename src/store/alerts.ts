/** Port: detection alerts, what people decided about them, and alert suppressions. */
import type { Alert, AlertState, Verification } from "../core/record.ts";
import type { Severity } from "../core/severity.ts";

export interface AlertFilter {
  state?: AlertState;
  detector?: string;
  device_id?: string;
  /** At least this severe. */
  severity?: Severity;
  limit?: number;
}

/** Suppresses a detector's alerts (on one device, for one key) until `expires`. */
export interface AlertSuppression {
  id: number;
  detector: string;
  device_id?: string;
  key?: string;
  reason: string;
  expires?: string;
  created_at: string;
}

/** Who changed an alert, when and why: every change people make is kept in the alert's history. */
export interface AlertChange {
  actor: string;
  at: string;
  comment?: string;
}

/** One entry of an alert's history. */
export interface AlertEvent {
  id: number;
  alert_id: string;
  at: string;
  actor: string;
  action: "state" | "verification" | "assignee" | "comment";
  from?: string;
  to?: string;
  comment?: string;
}

export interface AlertRepository {
  /**
   * Records alerts from a detection run. A stored alert keeps what people decided (state, verification); the run
   * updates its count, last_seen and evidence, and may resolve it.
   */
  upsert(alerts: readonly Alert[], at: string): Promise<void>;
  get(id: string): Promise<Alert | undefined>;
  /** Newest (last_seen) first, then by id. */
  list(filter?: AlertFilter): Promise<Alert[]>;
  /** Moves an alert to a state (recorded in its history, with the comment as its note); undefined when there is no such alert. */
  setState(id: string, state: AlertState, change: AlertChange): Promise<Alert | undefined>;
  /** Records a verdict; a benign one is queued as feedback for the next detection run (`pendingFeedback`). */
  verify(id: string, verification: Verification, change: AlertChange): Promise<Alert | undefined>;
  /** Gives the alert to someone (`null`: to nobody). */
  assign(id: string, assignee: string | null, change: AlertChange): Promise<Alert | undefined>;
  /** Adds a comment to the alert's history (`change.comment` is required). */
  comment(id: string, change: AlertChange & { comment: string }): Promise<Alert | undefined>;
  /** Everything people did to the alert, oldest first. */
  history(id: string): Promise<AlertEvent[]>;
  pendingFeedback(): Promise<Alert[]>;
  markFeedbackApplied(ids: readonly string[]): Promise<void>;
  addSuppression(s: Omit<AlertSuppression, "id" | "created_at">, createdAt: string): Promise<AlertSuppression>;
  removeSuppression(id: number): Promise<boolean>;
  /** Ordered by id. */
  suppressions(): Promise<AlertSuppression[]>;
}
