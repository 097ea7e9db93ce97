/**
 * SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format), so scan results load into code-scanning
 * dashboards. Rules carry their help text; each finding is a result located at its device (a logical location of kind
 * "resource") or, for group findings, at its model; the fingerprint goes into partialFingerprints so a viewer tracks
 * a finding across scans, and the scan's new/unchanged/fixed status becomes baselineState.
 */
import type { RuleMeta } from "../audit/rule.ts";
import type { Finding } from "../core/finding.ts";
import type { Severity } from "../core/severity.ts";
import type { Sink } from "./findings-out.ts";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note", info: "note" };
/** GitHub code scanning reads `security-severity` (0-10) to rank security results. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "0.0" };
const BASELINE = { new: "new", unchanged: "unchanged", suppressed: "unchanged", fixed: "absent" } as const;

export interface SarifRun {
  toolVersion: string;
  rules: readonly RuleMeta[];
  startTimeUtc: string;
  endTimeUtc: string;
  scanId: number;
}

function sarifRule(r: RuleMeta) {
  return {
    id: r.id,
    name: r.title.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : "")),
    shortDescription: { text: r.title },
    fullDescription: { text: r.rationale },
    help: {
      text: `${r.rationale}\n\nWhat to do: ${r.remediation}\n\nStandards: ${r.standards.join(", ")}`,
      markdown: `${r.rationale}\n\n**What to do:** ${r.remediation}\n\n**Standards:** ${r.standards.map((s) => `\`${s}\``).join(", ")}`,
    },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: ["security", "iot", r.family, ...r.standards], "security-severity": SECURITY_SEVERITY[r.severity], precision: "high" },
  };
}

function sarifResult(f: Finding, ruleIndex: Map<string, number>) {
  const location = f.device_id !== undefined
    ? { name: f.device_id, fullyQualifiedName: f.model_id !== undefined ? `${f.model_id}/${f.device_id}` : f.device_id, kind: "resource" }
    : { name: f.model_id ?? "fleet", fullyQualifiedName: f.model_id ?? "fleet", kind: "module" };
  const result: Record<string, unknown> = {
    ruleId: f.rule,
    level: f.status === "fixed" ? "none" : LEVEL[f.severity],
    message: { text: f.title },
    locations: [{ logicalLocations: [location] }],
    partialFingerprints: { "longwatch/v1": f.fingerprint },
    baselineState: BASELINE[f.status],
    properties: { severity: f.severity, status: f.status, standards: f.standards, evidence: f.evidence, ...(f.devices ? { devices: f.devices } : {}), ...(f.reach !== undefined ? { reach: f.reach } : {}) },
  };
  const idx = ruleIndex.get(f.rule);
  if (idx !== undefined) result.ruleIndex = idx;
  if (f.status === "fixed") result.kind = "pass";
  if (f.suppression) result.suppressions = [{ kind: "external", status: "accepted", justification: f.suppression.reason }];
  return result;
}

export async function writeSarif(sink: Sink, run: SarifRun, pages: AsyncIterable<Finding[]>, fixed: readonly Finding[]): Promise<void> {
  const ruleIndex = new Map(run.rules.map((r, i) => [r.id, i]));
  const head = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "Longwatch", version: run.toolVersion, informationUri: "https://github.com/longwatch-iot/longwatch", rules: run.rules.map(sarifRule) } },
        automationDetails: { id: `longwatch/scan/${run.scanId}` },
        invocations: [{ executionSuccessful: true, startTimeUtc: run.startTimeUtc, endTimeUtc: run.endTimeUtc }],
        columnKind: "unicodeCodePoints",
        results: [] as unknown[],
      },
    ],
  };
  const text = JSON.stringify(head);
  const cut = text.lastIndexOf('"results":[]') + '"results":['.length;
  await sink(text.slice(0, cut));
  let first = true;
  const emit = async (fs: readonly Finding[]) => {
    if (fs.length === 0) return;
    await sink((first ? "" : ",") + fs.map((f) => JSON.stringify(sarifResult(f, ruleIndex))).join(","));
    first = false;
  };
  for await (const page of pages) await emit(page);
  await emit(fixed);
  await sink(`${text.slice(cut)}\n`);
}
