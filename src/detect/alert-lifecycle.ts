/**
 * The alert lifecycle as library calls: acknowledge, resolve, reopen, verify, assign, comment — one alert or many at
 * once, always with who, when and why — and detector suppressions. The CLI and the service call these; the store
 * keeps every change in the alert's history.
 */
import { LongwatchError } from "../core/errors.ts";
import type { Alert, AlertState, Verification } from "../core/record.ts";
import type { AlertChange, AlertSuppression, StoreTx } from "../store/store.ts";

export type AlertAction =
  | { kind: "ack" }
  | { kind: "resolve" }
  | { kind: "reopen" }
  | { kind: "verify"; verification: Verification }
  | { kind: "assign"; assignee: string | null }
  | { kind: "comment" };

export const ALERT_ACTIONS = ["ack", "resolve", "reopen", "verify", "assign", "comment"] as const;

const TARGET: Record<"ack" | "resolve" | "reopen", AlertState> = { ack: "acknowledged", resolve: "resolved", reopen: "open" };

export interface AlertActionResult {
  /** The alerts as they are now, in the order asked. */
  changed: Alert[];
  /** Ids that name no alert (nothing was done for them). */
  missing: string[];
}

/** Applies one action to every alert named, in one transaction: all of them change, or (on an error) none. */
export async function actOnAlerts(store: StoreTx, ids: readonly string[], action: AlertAction, change: AlertChange): Promise<AlertActionResult> {
  if (ids.length === 0) throw new LongwatchError("usage", "name at least one alert");
  if (!change.actor.trim()) throw new LongwatchError("usage", "say who is making the change (actor)");
  if (action.kind === "comment" && !change.comment?.trim()) throw new LongwatchError("usage", "a comment needs its text");
  return store.transaction(async (tx) => {
    const out: AlertActionResult = { changed: [], missing: [] };
    for (const id of [...new Set(ids)]) {
      const a = await apply(tx, id, action, change);
      if (a) out.changed.push(a);
      else out.missing.push(id);
    }
    return out;
  });
}

function apply(tx: StoreTx, id: string, action: AlertAction, change: AlertChange): Promise<Alert | undefined> {
  switch (action.kind) {
    case "ack":
    case "resolve":
    case "reopen":
      return tx.alerts.setState(id, TARGET[action.kind], change);
    case "verify":
      return tx.alerts.verify(id, action.verification, change);
    case "assign":
      return tx.alerts.assign(id, action.assignee, change);
    case "comment":
      return tx.alerts.comment(id, { ...change, comment: change.comment! });
  }
}

export interface AlertSuppressionRequest {
  detector: string;
  device_id?: string;
  key?: string;
  reason: string;
  expires?: string;
}

/** Suppresses a detector's alerts (optionally on one device, for one key) until `expires`. */
export async function suppressAlerts(store: StoreTx, request: AlertSuppressionRequest, at: string, known: ReadonlySet<string>): Promise<AlertSuppression> {
  if (!known.has(request.detector)) throw new LongwatchError("not_found", `no detector "${request.detector}"`, { detector: request.detector });
  if (request.reason.trim().length < 3) throw new LongwatchError("usage", "say why these alerts are suppressed (reason)");
  return store.alerts.addSuppression(request, at);
}
