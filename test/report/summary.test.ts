/**
 * Issue 18.7: a device counts once per rule, however many findings of the rule name it (the demo's
 * vulnerable-component showed 5,740 devices where 2,368 were affected). Checked in the summary, its JSON, the
 * terminal table and the HTML chart.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pc from "picocolors";
import type { Finding } from "../../src/core/finding.ts";
import type { Severity } from "../../src/core/severity.ts";
import { renderHtmlReport } from "../../src/report/html.ts";
import { ScanSummary } from "../../src/report/summary.ts";
import { renderScanSummary } from "../../src/report/terminal.ts";

const finding = (rule: string, severity: Severity, devices: string[], fp: string): Finding => ({ rule, severity, model_id: "m", devices, title: rule, evidence: {}, standards: [], fingerprint: fp, status: "new" });

function sample(): ScanSummary {
  const s = new ScanSummary();
  // Three components of one firmware, each a finding over the same three devices; one of them critical for d-1 only.
  s.add(finding("vulnerable-component", "medium", ["d-1", "d-2", "d-3"], "a"));
  s.add(finding("vulnerable-component", "high", ["d-1", "d-2", "d-3"], "b"));
  s.add(finding("vulnerable-component", "critical", ["d-1"], "c"));
  s.add({ rule: "insecure-service", severity: "high", device_id: "d-1", title: "t", evidence: {}, standards: [], fingerprint: "d", status: "new" });
  return s;
}

describe("scan summary counts distinct devices", () => {
  it("per rule, each device once, under the worst severity it has for the rule", () => {
    const s = sample();
    const r = s.topRules(10).find((x) => x.rule === "vulnerable-component")!;
    assert.equal(r.findings, 3);
    assert.equal(r.devices, 3);
    assert.deepEqual(r.devicesBySeverity, { critical: 1, high: 2, medium: 0, low: 0, info: 0 });
    assert.equal(s.affectedDevices, 3);
    assert.equal(s.toJSON().top_rules.find((x) => x.rule === "vulnerable-component")!.devices, 3);
  });

  it("the terminal table and the HTML chart show the distinct count", () => {
    const s = sample();
    const text = renderScanSummary({ devices: 3, rules: 2, date: "2026-11-25", imports: [] }, s, [], new Map(), pc.createColors(false));
    const line = text.split("\n").find((l) => l.includes("vulnerable-component"))!;
    assert.match(line, /vulnerable-component\s+\S+\s+3\s+3\b/);
    const html = renderHtmlReport({ title: "t", generatedAt: "now", devices: 3, summary: s, findings: [], totalFindings: 4, fixed: [], rules: new Map() });
    const chart = html.slice(html.indexOf("Devices affected, by rule"));
    assert.match(chart, /class="lbl">vulnerable-component<\/text>.*?class="val">3<\/text>/s);
    assert.doesNotMatch(chart, /class="val">7<\/text>/);
    assert.match(chart, /vulnerable-component: 2 devices, high/);
  });
});
