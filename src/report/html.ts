/**
 * The HTML scan report: one self-contained file (inline CSS and SVG, no scripts or requests to anywhere) that a
 * manager can read: charts of findings by severity and by rule, the worst devices, the most serious findings, and
 * the explanation of every rule that fired. Every value from the inventory is escaped.
 */
import type { Rule } from "../audit/rule.ts";
import type { Finding } from "../core/finding.ts";
import { SEVERITIES, type Severity } from "../core/severity.ts";
import { coverageLines, type ScanCoverage } from "./coverage.ts";
import type { ScanSummary } from "./summary.ts";

const COLOR: Record<Severity, string> = { critical: "#7f1d1d", high: "#dc2626", medium: "#f59e0b", low: "#0ea5e9", info: "#94a3b8" };

export function esc(v: unknown): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const n = (x: number) => x.toLocaleString("en-US");

export interface HtmlReportInput {
  title: string;
  generatedAt: string;
  devices: number;
  summary: ScanSummary;
  /** The most serious findings, already selected and ordered. */
  findings: Finding[];
  totalFindings: number;
  fixed: Finding[];
  rules: ReadonlyMap<string, Rule>;
  /** Extra sections other engines contribute (e.g. the lifecycle forecast chart), already HTML. */
  extraSections?: string[];
  /** What the audit could not look at (report/coverage.ts). */
  coverage?: ScanCoverage;
}

function coverageSection(c: ScanCoverage): string {
  const rows = coverageLines(c)
    .map((g) => `<tr><td>${esc(g.label)}</td><td>${g.devices === null ? "not measured" : `${n(g.devices)} of ${n(c.devices)}`}</td><td>${esc(g.meaning)}</td></tr>`)
    .join("");
  return `<h2>Coverage</h2><p class="muted">Rules raise no finding where they have nothing to read: for these devices a missing finding is not a clean result.</p><table><tr><th>Gap</th><th>Devices</th><th>What it means</th></tr>${rows}</table>`;
}

function severityChart(s: ScanSummary): string {
  const max = Math.max(1, ...SEVERITIES.map((x) => s.bySeverity[x]));
  const rowH = 28;
  const bars = SEVERITIES.map((sev, i) => {
    const w = Math.round((s.bySeverity[sev] / max) * 380);
    const y = i * rowH;
    return `<text x="0" y="${y + 18}" class="lbl">${sev}</text><rect x="80" y="${y + 4}" width="${w}" height="18" fill="${COLOR[sev]}" rx="3"/><text x="${86 + w}" y="${y + 18}" class="val">${n(s.bySeverity[sev])}</text>`;
  }).join("");
  return `<svg role="img" aria-label="Findings by severity" viewBox="0 0 560 ${SEVERITIES.length * rowH}" width="560">${bars}</svg>`;
}

function ruleChart(s: ScanSummary): string {
  const rules = s.topRules(15);
  if (rules.length === 0) return "";
  // Devices, not findings: one finding about a firmware can cover thousands of devices.
  const max = Math.max(1, ...rules.map((r) => r.devices));
  const rowH = 24;
  const rows = rules.map((r, i) => {
    const y = i * rowH;
    let x = 230;
    const segs = SEVERITIES.map((sev) => {
      const w = (r.devicesBySeverity[sev] / max) * 300;
      const seg = w > 0 ? `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="16" fill="${COLOR[sev]}"><title>${esc(`${r.rule}: ${r.devicesBySeverity[sev]} devices, ${sev}`)}</title></rect>` : "";
      x += w;
      return seg;
    }).join("");
    const val = r.devicesAtLeast ? `<text x="${(x + 6).toFixed(1)}" y="${y + 16}" class="val">≥ ${n(r.devices)}<title>${esc(`at least ${n(r.devices)} devices: the rule's findings say how many devices each reaches without listing them (they may overlap)`)}</title></text>` : `<text x="${(x + 6).toFixed(1)}" y="${y + 16}" class="val">${n(r.devices)}</text>`;
    return `<text x="0" y="${y + 16}" class="lbl">${esc(r.rule)}</text>${segs}${val}`;
  }).join("");
  const legend = SEVERITIES.map((sev, i) => `<rect x="${230 + i * 70}" y="${rules.length * rowH + 8}" width="10" height="10" fill="${COLOR[sev]}"/><text x="${244 + i * 70}" y="${rules.length * rowH + 17}" class="val">${sev}</text>`).join("");
  return `<svg role="img" aria-label="Devices affected by rule and severity" viewBox="0 0 640 ${rules.length * rowH + 26}" width="640">${rows}${legend}</svg>`;
}

function findingRow(f: Finding): string {
  const where = f.device_id ?? (f.devices ? `${f.model_id ?? ""} (${n(f.devices.length)} devices)` : f.reach !== undefined ? `${f.model_id ?? "fleet"} (reaches ${n(f.reach)} devices)` : (f.model_id ?? ""));
  return `<tr><td><span class="sev ${f.severity}">${f.severity}</span></td><td><a href="#rule-${esc(f.rule)}">${esc(f.rule)}</a></td><td>${esc(where)}</td><td>${esc(f.title)}</td><td>${esc(f.status)}${f.suppression ? ` — ${esc(f.suppression.reason)}` : ""}</td></tr>`;
}

function ruleSection(r: Rule): string {
  return `<section class="rule" id="rule-${esc(r.id)}"><h3>${esc(r.id)} — ${esc(r.title)} <span class="sev ${r.severity}">${r.severity}</span></h3>
<p><strong>Why it matters.</strong> ${esc(r.rationale)}</p><p><strong>What to do.</strong> ${esc(r.remediation)}</p>
<p class="std">Standards: ${r.standards.map((s) => `<code>${esc(s)}</code>`).join(" ")}</p></section>`;
}

export function renderHtmlReport(r: HtmlReportInput): string {
  const s = r.summary;
  const fired = s.topRules(1000).map((t) => r.rules.get(t.rule)).filter((x): x is Rule => x !== undefined);
  const worst = s.worstDevices(15);
  const cards = SEVERITIES.filter((x) => x !== "info")
    .map((sev) => `<div class="card"><div class="num" style="color:${COLOR[sev]}">${n(s.bySeverity[sev])}</div><div>${sev}</div></div>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(r.title)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#0f172a}
h1{margin:0 0 4px}h2{margin-top:36px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}.muted{color:#64748b}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid #e2e8f0;border-radius:8px;padding:10px 16px;min-width:110px}
.card .num{font-size:28px;font-weight:700}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #f1f5f9;vertical-align:top}th{background:#f8fafc}
.sev{display:inline-block;border-radius:4px;padding:0 6px;color:#fff;font-size:12px;text-transform:uppercase}
.sev.critical{background:${COLOR.critical}}.sev.high{background:${COLOR.high}}.sev.medium{background:${COLOR.medium}}.sev.low{background:${COLOR.low}}.sev.info{background:${COLOR.info}}
svg .lbl{font-size:12px;fill:#0f172a}svg .val{font-size:12px;fill:#475569}.rule{border-left:4px solid #e2e8f0;padding-left:12px;margin:18px 0}
code{background:#f1f5f9;padding:0 4px;border-radius:3px;font-size:12px}@media print{h2{break-after:avoid}.rule{break-inside:avoid}}
</style></head><body>
<h1>${esc(r.title)}</h1>
<div class="muted">Generated ${esc(r.generatedAt)} · ${n(r.devices)} devices · ${n(s.open)} open findings on ${s.affectedAtLeast ? "≥ " : ""}${n(s.affectedDevices)} devices · ${n(s.byStatus.new)} new · ${n(r.fixed.length)} fixed since the last scan · ${n(s.byStatus.suppressed)} suppressed</div>
<div class="cards">${cards}</div>
${r.coverage ? coverageSection(r.coverage) : ""}
<h2>Findings by severity</h2>${severityChart(s)}
<h2>Devices affected, by rule</h2>${ruleChart(s) || "<p>No findings.</p>"}
${(r.extraSections ?? []).join("\n")}
<h2>Devices with the most serious findings</h2>
${worst.length ? `<table><tr><th>Device</th><th>Critical</th><th>High</th><th>Medium</th><th>Low</th></tr>${worst.map((d) => `<tr><td>${esc(d.device_id)}</td><td>${d.bySeverity.critical}</td><td>${d.bySeverity.high}</td><td>${d.bySeverity.medium}</td><td>${d.bySeverity.low}</td></tr>`).join("")}</table>` : "<p>None.</p>"}
<h2>Most serious findings</h2>
<p class="muted">${r.findings.length < r.totalFindings ? `The ${n(r.findings.length)} most serious of ${n(r.totalFindings)} findings; the JSON, CSV and SARIF outputs list them all.` : `All ${n(r.totalFindings)} findings.`}</p>
<table><tr><th>Severity</th><th>Rule</th><th>Device / model</th><th>Finding</th><th>Status</th></tr>${r.findings.map(findingRow).join("")}</table>
${r.fixed.length ? `<h2>Fixed since the last scan</h2><table><tr><th>Severity</th><th>Rule</th><th>Device / model</th><th>Finding</th><th>Status</th></tr>${r.fixed.slice(0, 500).map(findingRow).join("")}</table>` : ""}
<h2>What the rules mean and what to do</h2>
${fired.map(ruleSection).join("\n") || "<p>No rule fired.</p>"}
</body></html>
`;
}

/** Keeps the `limit` most serious findings from a stream, in severity order. */
export class MostSerious {
  private readonly buckets = new Map<Severity, Finding[]>(SEVERITIES.map((s) => [s, []]));
  constructor(private readonly limit: number) {}

  add(f: Finding): void {
    if (f.status === "fixed") return;
    const b = this.buckets.get(f.severity)!;
    if (b.length < this.limit) b.push(f);
  }

  list(): Finding[] {
    return SEVERITIES.flatMap((s) => this.buckets.get(s)!).slice(0, this.limit);
  }
}
