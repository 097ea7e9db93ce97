/** The row of an alert's history as both adapters store it (table alert_events), and the event it reads as. */
import type { AlertEvent } from "./alerts.ts";

export interface EventRow {
  id: number;
  alert_id: string;
  at: string;
  actor: string;
  action: string;
  from_value: string | null;
  to_value: string | null;
  comment: string | null;
}

export function eventOf(r: EventRow): AlertEvent {
  const e: AlertEvent = { id: r.id, alert_id: r.alert_id, at: r.at, actor: r.actor, action: r.action as AlertEvent["action"] };
  if (r.from_value !== null) e.from = r.from_value;
  if (r.to_value !== null) e.to = r.to_value;
  if (r.comment !== null) e.comment = r.comment;
  return e;
}

