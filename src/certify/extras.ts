/**
 * Standard-specific parts of an assessment: the UK PSTI draft statement of compliance (with the evidence behind each
 * requirement) and the EU CRA technical-documentation checklist with its dates and reporting deadlines.
 */
import { DAY_MS, parseIsoDate } from "../core/dates.ts";
import type { Assessment, CraChecklist, ProvisionResult, PstiStatement } from "./assessment.ts";
import type { Catalogue } from "./catalogue.ts";
import type { SectionAnswers } from "./questionnaire.ts";

export function pstiStatement(a: Assessment, c: Catalogue): PstiStatement {
  const soc = c.statement_of_compliance!;
  const s = a.statement ?? {};
  const subj = a.subject;
  const fields: PstiStatement["fields"] = [
    { label: "Product type", ...val(s.product_type ?? subj.name ?? subj.model_id, s.product_type !== undefined ? "answers" : "model record") },
    { label: "Batch or other identifier", ...val(s.batch, "answers") },
    { label: "Manufacturer", ...val(s.manufacturer ?? subj.manufacturer, s.manufacturer !== undefined ? "answers" : "model record") },
    { label: "Manufacturer's address", ...val(s.address, "answers") },
    { label: "Authorised representative (if any)", ...val(s.authorised_representative, "answers"), optional: true },
    { label: "Defined support period (security updates until)", ...val(subj.support_end, "model record (support_end)") },
    { label: "Signed by (name)", ...val(s.signatory, "answers") },
    { label: "Function of the signatory", ...val(s.function, "answers") },
    { label: "Place of issue", ...val(s.place, "answers") },
  ];
  const requirements = a.results.map((r) => ({ id: r.id, title: r.title, verdict: r.verdict, evidence: evidenceOf(r), ...(r.legal_ref !== undefined ? { legal_ref: r.legal_ref } : {}) }));
  const blockers: string[] = [];
  for (const r of a.results) {
    if (r.verdict !== "pass" && r.verdict !== "not_applicable") blockers.push(`Requirement ${r.id} (${r.title}) is ${r.verdict.replace("_", " ").toUpperCase()}.`);
  }
  for (const f of fields) if (f.value === undefined && !f.optional) blockers.push(`"${f.label}" is missing${f.source === "answers" ? " (uk-psti.statement in the answers file)" : ""}.`);
  return {
    ready: blockers.length === 0,
    blockers,
    fields,
    requirements,
    declaration:
      "This statement of compliance is prepared by or on behalf of the manufacturer. In the manufacturer's opinion, the manufacturer has complied with the applicable security requirements of Schedule 1 to the PSTI (Security Requirements for Relevant Connectable Products) Regulations 2023 for the product above.",
    verified: soc.verified,
    note: soc.note,
  };
}

function val(value: string | undefined, source: string): { value?: string; source: string } {
  return value !== undefined ? { value, source } : { source };
}

/** The evidence behind a verdict, as short lines a reader can check. */
export function evidenceOf(r: ProvisionResult): string[] {
  const out: string[] = [];
  if (r.not_applicable) out.push(`Not applicable: ${r.not_applicable.label} does not hold — ${r.not_applicable.why}`);
  if (r.answer?.evidence !== undefined) out.push(`Answer (${r.answer.file}:${r.answer.line}): ${r.answer.answer}; evidence: ${r.answer.evidence}`);
  else if (r.answer) out.push(`Answer (${r.answer.file}:${r.answer.line}): ${r.answer.answer}, no evidence given`);
  if (r.deemed) out.push(`Deemed compliance: ${r.deemed.route}${r.deemed.legal_ref !== undefined ? ` (${r.deemed.legal_ref})` : ""} via ${r.deemed.via.join(", ")}`);
  for (const e of r.rules) {
    if (e.state === "clean") out.push(`Scan: rule ${e.rule} found nothing on this model`);
    else if (e.state === "open") out.push(`Scan: rule ${e.rule} has ${e.open} open finding${e.open === 1 ? "" : "s"} on ${e.devices} device${e.devices === 1 ? "" : "s"}`);
    else if (e.state === "suppressed") out.push(`Scan: rule ${e.rule} findings suppressed (${(e.suppression_reasons ?? []).join("; ") || "no reason"})`);
  }
  return out;
}

export function craChecklist(a: Assessment, c: Catalogue, section: SectionAnswers | undefined, now: number): CraChecklist {
  const dates = c.dates.map((d) => ({ ...d, days_left: Math.ceil((parseIsoDate(d.date)! - now) / DAY_MS) }));
  const documentation = (c.technical_documentation?.items ?? []).map((item) => {
    const ans = section?.documentation.get(item.id);
    const state: CraChecklist["documentation"][number]["state"] = ans === undefined ? "unanswered" : ans.answer === "yes" ? "done" : ans.answer === "partly" ? "partly" : "missing";
    return { id: item.id, text: item.text, state, ...(ans?.evidence !== undefined ? { evidence: ans.evidence } : {}) };
  });
  const parts = [...new Set(a.results.map((r) => r.part ?? ""))];
  const annex_i = parts.map((part) => {
    const rs = a.results.filter((r) => (r.part ?? "") === part);
    return {
      part,
      pass: rs.filter((r) => r.verdict === "pass").length,
      fail: rs.filter((r) => r.verdict === "fail").length,
      open: rs.filter((r) => r.verdict === "inconclusive" || r.verdict === "not_assessed").length,
      not_applicable: rs.filter((r) => r.verdict === "not_applicable").length,
    };
  });
  const out: CraChecklist = {
    dates,
    reporting: c.reporting ? { channel: c.reporting.channel, deadlines: c.reporting.deadlines, ...(c.reporting.users !== undefined ? { users: c.reporting.users } : {}) } : { channel: "", deadlines: [] },
    support_period: c.support_period ?? [],
    documentation,
    annex_i,
  };
  if (c.technical_documentation?.note !== undefined) out.documentation_note = c.technical_documentation.note;
  return out;
}
