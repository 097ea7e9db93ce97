/**
 * Per-sink filters: which alerts a sink wants (the pager only critical ones, the SIEM everything, a team only its
 * device group). Groups come from the inventory, which the transport layer does not know: the caller passes a lookup.
 */
import { z } from "zod";
import { SEVERITIES, severityRank } from "../../core/severity.ts";
import type { AlertChange, AlertNotice } from "./sink.ts";

export const ALERT_CHANGES = ["open", "update", "resolve"] as const satisfies readonly AlertChange[];

export const SinkFilterSchema = z
  .object({
    min_severity: z.enum(SEVERITIES).optional().describe("Only alerts at least this severe."),
    detectors: z.array(z.string().min(1)).min(1).optional().describe("Only alerts from these detectors."),
    groups: z.array(z.string().min(1)).min(1).optional().describe("Only alerts about devices in one of these inventory groups."),
    changes: z.array(z.enum(ALERT_CHANGES)).min(1).default(["open"]).describe("Which changes to send: open (new alerts), update (seen again, stronger evidence), resolve."),
  })
  .strict();
export type SinkFilter = z.infer<typeof SinkFilterSchema>;

/** The inventory groups of a device; empty when unknown. */
export type GroupLookup = (deviceId: string) => readonly string[];

export function compileFilter(f: SinkFilter, groupsOf: GroupLookup = () => []): (n: AlertNotice) => boolean {
  const min = f.min_severity === undefined ? -1 : severityRank(f.min_severity);
  const detectors = f.detectors ? new Set(f.detectors) : undefined;
  const groups = f.groups ? new Set(f.groups) : undefined;
  const changes = new Set<AlertChange>(f.changes);
  return (n) =>
    changes.has(n.change) &&
    severityRank(n.alert.severity) >= min &&
    (detectors === undefined || detectors.has(n.alert.detector)) &&
    (groups === undefined || groupsOf(n.alert.device_id).some((g) => groups.has(g)));
}
