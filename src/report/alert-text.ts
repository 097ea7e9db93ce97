/**
 * The text of one alert for people: what was seen, what to do, where the evidence is. The CLI prints it, and the
 * alert sinks (e-mail, syslog) send the same words, so an alert reads the same wherever it arrives.
 */
import type { Alert } from "../core/record.ts";
import type { Colors } from "./colors.ts";

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
