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

export function paintSeverity(s: Alert["severity"], c: Colors): string {
  const label = s.toUpperCase();
  return s === "critical" ? c.bold(c.red(label)) : s === "high" ? c.red(label) : s === "medium" ? c.yellow(label) : c.dim(label);
}

export function alertBlock(a: Alert, c: Colors, withEvidence = false): string {
  const record = a.evidence.record as { at?: string } | undefined;
  const lines = [
    `${paintSeverity(a.severity, c)} ${c.bold(a.detector)} on ${c.bold(a.device_id)}  ${c.dim(`${a.first_seen}${a.count > 1 ? ` … ${a.last_seen}, seen ${a.count}×` : ""}  confidence ${a.confidence}  ${a.id}${a.state !== "open" ? `  ${a.state}` : ""}`)}`,
    `  ${a.summary}`,
    `  ${c.bold("What to do:")} ${a.action}`,
  ];
  if (record?.at) lines.push(`  ${c.dim(`Evidence: ${record.at} (longwatch alerts show ${a.id})`)}`);
  if (withEvidence) lines.push(`  ${c.bold("Evidence:")}`, ...JSON.stringify(a.evidence, null, 2).split("\n").map((l) => `    ${l}`));
  return lines.join("\n");
}

function alertTable(alerts: readonly Alert[], c: Colors): string {
  const rows = bySeverity(alerts).map((a) => [paintSeverity(a.severity, c), a.detector, a.device_id, a.first_seen, String(a.count), a.id, a.summary]);
  return `${renderTable(["SEVERITY", "DETECTOR", "DEVICE", "FIRST SEEN", "COUNT", "ID", "WHAT WAS SEEN"], rows, { maxWidth: 28 })}\n\n${c.dim("`longwatch alerts show ID` explains an alert with its evidence and what to do; --format json gives everything.")}`;
}
