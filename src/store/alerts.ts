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

export interface AlertRepository {
  /**
   * Records alerts from a detection run. A stored alert keeps what people decided (state, verification); the run
   * updates its count, last_seen and evidence, and may resolve it.
   */
  upsert(alerts: readonly Alert[], at: string): Promise<void>;
  get(id: string): Promise<Alert | undefined>;
  /** Newest (last_seen) first, then by id. */
  list(filter?: AlertFilter): Promise<Alert[]>;
  setState(id: string, state: AlertState, note: string | undefined, at: string): Promise<Alert | undefined>;
  /** Records a verdict; a benign one is queued as feedback for the next detection run (`pendingFeedback`). */
  verify(id: string, verification: Verification, note: string | undefined, at: string): Promise<Alert | undefined>;
  pendingFeedback(): Promise<Alert[]>;
  markFeedbackApplied(ids: readonly string[]): Promise<void>;
  addSuppression(s: Omit<AlertSuppression, "id" | "created_at">, createdAt: string): Promise<AlertSuppression>;
  removeSuppression(id: number): Promise<boolean>;
  /** Ordered by id. */
  suppressions(): Promise<AlertSuppression[]>;
}
