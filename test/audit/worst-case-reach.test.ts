/**
 * single-point-of-compromise findings name a what-if target and how many devices it reaches, not the devices: the
 * scan summary (JSON, table, HTML chart) showed 0 devices for the rule next to "one CA reaches N devices". A finding
 * now says how many it reaches (Finding.reach) and the summaries count at least the largest reach, labelled "≥".
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pc from "picocolors";
import { singlePointOfCompromise } from "../../src/audit/rules/worst-case.ts";
import { renderHtmlReport } from "../../src/report/html.ts";
import { ScanSummary } from "../../src/report/summary.ts";
import { renderScanSummary } from "../../src/report/terminal.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { audit } from "../helpers/fleet.ts";
import { CA_X, seedFleet } from "../whatif/fleet.ts";

const RULE = "single-point-of-compromise";

async function scanned() {
  const store = openSqliteStore(":memory:");
  await seedFleet(store);
  const { findings } = await audit(store, [singlePointOfCompromise]);
  const spc = findings.filter((f) => f.rule === RULE);
  const summary = new ScanSummary();
  for (const f of findings) summary.add(f);
  return { store, spc, summary };
}

describe("single-point-of-compromise: the devices it reaches reach the summary", () => {
  it("each finding says how many devices it reaches, without listing them", async () => {
    const { store, spc } = await scanned();
    const ca = spc.find((f) => f.evidence.target === `ca:${CA_X}`)!;
    assert.ok(ca, "the shared CA is a single point of compromise");
    assert.equal(ca.devices, undefined);
    assert.equal(ca.reach, ca.evidence.devices);
    assert.ok(ca.reach! > 1);
    await store.close();
  });

  it("JSON, table and HTML chart give the rule at least its largest reach, labelled as a lower bound, never 0", async () => {
    const { store, spc, summary } = await scanned();
    const widest = Math.max(...spc.map((f) => f.reach!));
    const json = JSON.parse(JSON.stringify(summary.toJSON())) as { top_rules: { rule: string; devices: number; reach: number; devicesAtLeast: boolean; devicesBySeverity: Record<string, number> }[] };
    const row = json.top_rules.find((r) => r.rule === RULE)!;
    assert.equal(row.devices, widest);
    assert.equal(row.reach, widest);
    assert.equal(row.devicesAtLeast, true);
    assert.equal(Object.values(row.devicesBySeverity).reduce((a, b) => a + b, 0), widest, "the chart's segments add up to the count");

    const text = renderScanSummary({ devices: 20, rules: 1, date: "2026-11-25", imports: [] }, summary, [], new Map(), pc.createColors(false));
    const line = text.split("\n").find((l) => l.includes(RULE))!;
    assert.match(line, new RegExp(`${RULE}\\s+\\S+\\s+${spc.length}\\s+≥ ${widest}\\b`));
    assert.match(text, /≥ N: at least N devices/);
    // Only fleet-level findings: the scan's devices affected are at least the widest reach too, not 0.
    assert.equal(summary.toJSON().affected_devices, widest);
    assert.equal(summary.toJSON().affected_devices_at_least, true);
    assert.match(text, new RegExp(`open findings on ≥ ${widest} devices`));

    const html = renderHtmlReport({ title: "t", generatedAt: "now", devices: 20, summary, findings: spc, totalFindings: spc.length, fixed: [], rules: new Map() });
    const chart = html.slice(html.indexOf("Devices affected, by rule"));
    assert.match(chart, new RegExp(`class="lbl">${RULE}</text>.*?class="val">≥ ${widest}<title>at least ${widest} devices`, "s"));
    assert.match(html, new RegExp(`\\(reaches ${widest} devices\\)`));
    assert.match(html, new RegExp(`open findings on ≥ ${widest} devices`));
    await store.close();
  });

  it("a rule whose findings list devices is exact (no ≥)", () => {
    const s = new ScanSummary();
    s.add({ rule: "r", severity: "high", devices: ["a", "b"], title: "t", evidence: {}, standards: [], fingerprint: "x", status: "new" });
    const r = s.topRules(1)[0]!;
    assert.equal(r.devices, 2);
    assert.equal(r.devicesAtLeast, false);
    assert.equal(r.reach, 0);
  });
});
