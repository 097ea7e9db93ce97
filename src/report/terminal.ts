/** The scan summary people read in a terminal: what is wrong, where, and what to do first. */
import type { Rule } from "../audit/rule.ts";
import type { Colors } from "./colors.ts";
import type { Finding } from "../core/finding.ts";
import { SEVERITIES, type Severity } from "../core/severity.ts";
import { coverageLines, type ScanCoverage } from "./coverage.ts";
import type { ScanSummary } from "./summary.ts";
import { renderTable } from "./table.ts";

export interface ScanHeader {
  devices: number;
  rules: number;
  date: string;
  imports: string[];
  coverage?: ScanCoverage;
}

const n = (x: number) => x.toLocaleString("en-US");

export function severityColor(c: Colors, s: Severity): (t: string) => string {
  switch (s) {
    case "critical":
      return (t) => c.bold(c.red(t));
    case "high":
      return c.red;
    case "medium":
      return c.yellow;
    case "low":
      return c.cyan;
    default:
      return c.dim;
  }
}

export function renderScanSummary(h: ScanHeader, s: ScanSummary, fixed: Finding[], rules: ReadonlyMap<string, Rule>, c: Colors): string {
  const out: string[] = [];
  out.push(c.bold(`Longwatch scan — ${n(h.devices)} devices, ${h.rules} rules, ${h.date}`));
  for (const line of h.imports) out.push(`  ${line}`);
  if (h.coverage) {
    const gaps = coverageLines(h.coverage).filter((g) => g.devices !== 0);
    if (gaps.length) {
      out.push("", c.bold("Not covered") + c.dim(" (no finding for these devices is not a clean result)"));
      out.push(
        renderTable(
          ["GAP", "DEVICES", "WHAT IT MEANS"],
          gaps.map((g) => [g.label, g.devices === null ? "-" : `${n(g.devices)} of ${n(h.coverage!.devices)}`, g.meaning]),
          { maxWidth: 80, align: ["left", "right", "left"] },
        ).replace(/^/gm, "  "),
      );
    } else out.push("", c.green("Coverage: every device has a firmware inventory, a certificate, credentials and traffic."));
  }
  out.push("");
  if (s.open === 0) {
    out.push(c.green("No open findings."));
  } else {
    out.push(`${c.bold(n(s.open))} open findings on ${s.affectedAtLeast ? "≥ " : ""}${n(s.affectedDevices)} devices  (${n(s.byStatus.new)} new, ${n(s.byStatus.unchanged)} unchanged, ${n(fixed.length)} fixed since the last scan, ${n(s.byStatus.suppressed)} suppressed)`);
    out.push("");
    const max = Math.max(...SEVERITIES.map((x) => s.bySeverity[x]));
    for (const sev of SEVERITIES) {
      const k = s.bySeverity[sev];
      const bar = "█".repeat(k === 0 ? 0 : Math.max(1, Math.round((k / max) * 40)));
      out.push(`  ${severityColor(c, sev)(sev.padEnd(8))} ${n(k).padStart(9)}  ${severityColor(c, sev)(bar)}`);
    }
    out.push("", c.bold("Top problems"));
    const top = s.topRules(10);
    out.push(
      renderTable(
        ["RULE", "SEVERITY", "FINDINGS", "DEVICES", "WHAT"],
        top.map((r) => [r.rule, severityColor(c, r.severity)(r.severity), n(r.findings), `${r.devicesAtLeast ? "≥ " : ""}${n(r.devices)}`, rules.get(r.rule)?.title ?? ""]),
        { maxWidth: 40, align: ["left", "left", "right", "right", "left"] },
      ).replace(/^/gm, "  "),
    );
    if (top.some((r) => r.devicesAtLeast)) out.push(c.dim("  ≥ N: at least N devices — the rule's findings say how many devices each reaches without listing them (they may overlap); `longwatch whatif compromise TARGET` lists them."));
    const worst = s.worstDevices(10);
    if (worst.length) {
      out.push("", c.bold("Devices with the most serious findings"));
      out.push(
        renderTable(
          ["DEVICE", "CRITICAL", "HIGH", "MEDIUM", "LOW"],
          worst.map((d) => [d.device_id, n(d.bySeverity.critical), n(d.bySeverity.high), n(d.bySeverity.medium), n(d.bySeverity.low)]),
          { maxWidth: 40, align: ["left", "right", "right", "right", "right"] },
        ).replace(/^/gm, "  "),
      );
    }
    const first = s.topRules(1)[0];
    if (first) out.push("", `Start with ${c.bold(first.rule)}: run ${c.bold(`longwatch explain ${first.rule}`)} to see why it matters and how to fix it.`);
  }
  if (fixed.length) {
    out.push("", c.green(`Fixed since the last scan: ${n(fixed.length)}`));
    const byRule = new Map<string, number>();
    for (const f of fixed) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
    for (const [rule, k] of [...byRule].sort((a, b) => b[1] - a[1]).slice(0, 5)) out.push(`  ${rule}: ${n(k)}`);
  }
  return out.join("\n");
}
