/**
 * Renders alerts for people and machines. People get, per alert, what was seen and how unusual it is (the summary),
 * what to do, and where the evidence is; with many alerts, a table. Machines get JSON, NDJSON or CSV with the
 * FORMATS.md fields.
 */
import type { Alert } from "../core/record.ts";
import { severityRank } from "../core/severity.ts";
import { csvLine } from "../formats/csv.ts";
import { renderTable } from "../report/table.ts";
import type { Colors } from "../report/colors.ts";
import { alertBlock, paintSeverity } from "../report/alert-text.ts";

export { alertBlock, paintSeverity };

export const ALERT_FORMATS = ["table", "json", "ndjson", "csv"] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

const CSV_COLUMNS = ["id", "detector", "device_id", "model_id", "key", "severity", "confidence", "first_seen", "last_seen", "count", "state", "verification", "summary", "action", "evidence"] as const;

export function renderAlerts(alerts: readonly Alert[], format: AlertFormat, c: Colors, detailLimit = 20): string {
  switch (format) {
    case "json":
      return JSON.stringify(alerts, null, 2);
    case "ndjson":
      return alerts.map((a) => JSON.stringify(a)).join("\n");
    case "csv":
      return [csvLine([...CSV_COLUMNS]), ...alerts.map((a) => csvLine(CSV_COLUMNS.map((k) => (k === "evidence" ? JSON.stringify(a.evidence) : a[k]))))].join("\n");
    default:
      return alerts.length === 0 ? "No alerts." : alerts.length <= detailLimit ? bySeverity(alerts).map((a) => alertBlock(a, c)).join("\n\n") : alertTable(alerts, c);
  }
}

function bySeverity(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.first_seen.localeCompare(b.first_seen) || a.id.localeCompare(b.id));
}

function alertTable(alerts: readonly Alert[], c: Colors): string {
  const rows = bySeverity(alerts).map((a) => [paintSeverity(a.severity, c), a.detector, a.device_id, a.first_seen, String(a.count), a.id, a.summary]);
  return `${renderTable(["SEVERITY", "DETECTOR", "DEVICE", "FIRST SEEN", "COUNT", "ID", "WHAT WAS SEEN"], rows, { maxWidth: 28 })}\n\n${c.dim("`longwatch alerts show ID` explains an alert with its evidence and what to do; --format json gives everything.")}`;
}
