/**
 * The three most important next steps of an assessment. Candidates are scored so that, in order: mandatory
 * provisions failed by open findings (worst severity, most devices first), mandatory provisions the answers say are
 * unmet or only partly met, unanswered mandatory questions, then the same for recommendations. One step per rule: a
 * rule failing three provisions is one piece of work.
 */
import { severityRank, type Severity } from "../core/severity.ts";
import type { Assessment, NextStep, ProvisionResult } from "./assessment.ts";

interface Candidate {
  score: number;
  step: NextStep;
}

export function nextSteps(a: Assessment): NextStep[] {
  const candidates: Candidate[] = [];
  const failing = new Map(a.results.filter((r) => r.verdict === "fail").map((r) => [r.id, r]));

  for (const g of a.findings) {
    if (g.open === 0) continue;
    const provs = g.provisions.map((id) => failing.get(id)).filter((r): r is ProvisionResult => r !== undefined);
    if (!provs.length) continue;
    const mandatory = provs.filter((r) => r.mandatory);
    const sev: Severity = g.severity ?? "medium";
    candidates.push({
      score: (mandatory.length ? 1000 : 400) + severityRank(sev) * 60 + Math.log10(g.devices + 1) * 10,
      step: {
        kind: "fix-findings",
        title: `Fix: ${lowerFirst(g.title)}`,
        action: g.remediation ?? `See \`longwatch explain ${g.rule}\` for what to do.`,
        why: `${g.open} open ${sev} finding${g.open === 1 ? "" : "s"}${g.devices ? ` on ${g.devices} device${g.devices === 1 ? "" : "s"}` : ""}; ${describe(provs)} fail${provs.length === 1 ? "s" : ""} because of ${g.open === 1 ? "it" : "them"}.`,
        provisions: provs.map((r) => r.id),
        rule: g.rule,
        findings: g.open,
        devices: g.devices,
      },
    });
  }

  for (const r of a.results) {
    const byFindings = r.rules.some((e) => e.state === "open");
    if (byFindings) continue;
    if (r.verdict === "fail" || (r.verdict === "inconclusive" && r.answer?.answer === "partly")) {
      const partly = r.verdict !== "fail";
      candidates.push({
        score: (r.mandatory ? 900 : 300) - (partly ? 40 : 0),
        step: {
          kind: "meet-provision",
          title: `${partly ? "Finish" : "Meet"} ${r.id}: ${lowerFirst(r.title)}`,
          action: r.todo ?? "",
          why: `The answers say this ${r.mandatory ? "mandatory" : "recommended"} provision is ${partly ? "only partly met" : "not met"}.`,
          provisions: [r.id],
        },
      });
    }
  }

  const noEvidence = a.results.filter((r) => r.verdict === "inconclusive" && r.answer?.answer === "yes");
  if (noEvidence.length) {
    const mandatory = noEvidence.filter((r) => r.mandatory).length;
    candidates.push({
      score: (mandatory ? 700 : 250) + Math.min(noEvidence.length, 50),
      step: {
        kind: "complete-evidence",
        title: `Add evidence to ${noEvidence.length} answer${noEvidence.length === 1 ? "" : "s"} marked yes`,
        action: `In ${a.answers?.file ?? "the answers file"}, give ${noEvidence.length === 1 ? "provision" : "provisions"} ${list(noEvidence)} ${noEvidence.length === 1 ? "an" : "each an"} "evidence" entry: a link or document that shows the provision is met (policy page, test report, design note). A claim without evidence does not count as PASS.`,
        why: `${mandatory ? `${mandatory} of them ${mandatory === 1 ? "is" : "are"} mandatory; ` : ""}an assessor (or a regulator) will ask for this proof first.`,
        provisions: noEvidence.map((r) => r.id),
      },
    });
  }

  const file = a.answers?.file;
  const open = a.results.filter((r) => r.verdict === "not_assessed");
  if (open.length) {
    const mandatory = open.filter((r) => r.mandatory);
    candidates.push({
      score: (mandatory.length ? 800 : 200) + Math.min(mandatory.length || open.length, 50),
      step: {
        kind: "answer-questions",
        title: `Answer the ${open.length} open question${open.length === 1 ? "" : "s"}${mandatory.length ? ` (${mandatory.length} mandatory)` : ""}`,
        action: `${file ? `Fill in ${file}` : `Run \`longwatch certify init --model ${a.subject.model_id} --standard ${a.standard.cli}${a.standard.cli === "etsi-en-303-645" ? ` --version ${a.standard.version}` : ""}\` and fill in the file it writes`}: first say which conditions hold, then for each provision answer yes, no or partly and say where the evidence is. Every question is explained in the file.`,
        why: `Longwatch cannot observe ${mandatory.length ? list(mandatory) : list(open)}; until they are answered the assessment cannot pass them.`,
        provisions: open.map((r) => r.id),
      },
    });
  }

  // Partly observed or only suppressed findings: the scan gives some evidence, an answer has to complete it.
  const partial = a.results.filter((r) => r.verdict === "inconclusive" && r.answer === undefined);
  if (partial.length) {
    const mandatory = partial.filter((r) => r.mandatory);
    const gaps = [...new Set(partial.flatMap((r) => r.rules.flatMap((e) => (e.coverage ?? []).filter((c) => c.recorded < c.of).map((c) => c.field))))];
    candidates.push({
      score: (mandatory.length ? 780 : 180) + Math.min(mandatory.length || partial.length, 50),
      step: {
        kind: "complete-evidence",
        title: `Confirm the ${partial.length} provision${partial.length === 1 ? "" : "s"} the scan could only partly check`,
        action: `The scan found nothing wrong for ${list(partial)}, but cannot see everything ${partial.length === 1 ? "it asks" : "they ask"}. Answer ${partial.length === 1 ? "it" : "each"} in ${file ?? "the answers file"} with evidence for the rest (for example the link to the published policy or support period).${gaps.length ? ` Also record ${gaps.join(", ")} for every device of this model in the inventory, so the scan can check it.` : ""}`,
        why: `These are the quickest to close: the fleet data already supports them${mandatory.length ? `, and ${mandatory.length} ${mandatory.length === 1 ? "is" : "are"} mandatory` : ""}.`,
        provisions: partial.map((r) => r.id),
      },
    });
  }

  const steps = candidates.sort((x, y) => y.score - x.score).slice(0, 3).map((c) => c.step);
  if (steps.length < 3) {
    const na = a.results.filter((r) => r.verdict === "not_applicable");
    if (na.length && steps.length < 3) {
      steps.push({
        kind: "keep-current",
        title: "Keep the not-applicable reasons on record",
        action: `Check that the reasons given for the ${na.length} not-applicable provision${na.length === 1 ? "" : "s"} are written so that someone else can follow them, and keep them with your technical documentation.`,
        why: "A provision treated as not applicable must be justified; that justification is part of the evidence.",
        provisions: na.map((r) => r.id),
      });
    }
    if (steps.length < 3) {
      steps.push({
        kind: "keep-current",
        title: "Keep the assessment current",
        action: `Run \`longwatch scan\` and \`longwatch certify --standard ${a.standard.cli}\` after every firmware release and at least every quarter, and compare with \`longwatch certify diff\`; review the answers whenever the product changes.`,
        why: "An assessment is only true for the firmware, fleet and answers it was made from; new weaknesses appear long after shipping.",
        provisions: [],
      });
    }
    if (steps.length < 3) {
      steps.push({
        kind: "keep-current",
        title: "File this report with the product's technical documentation",
        action: "Save the PDF (--format pdf --out FILE) and the answers file next to the technical documentation, so that an assessor or a market surveillance authority can follow every verdict to its evidence.",
        why: "Self-assessment is only credible when every verdict can be traced; regulators ask for this record.",
        provisions: [],
      });
    }
  }
  return steps;
}

function describe(provs: readonly ProvisionResult[]): string {
  const m = provs.filter((r) => r.mandatory).length;
  const kind = m === provs.length ? "mandatory " : m === 0 ? "recommended " : "";
  return `${kind}provision${provs.length === 1 ? "" : "s"} ${list(provs)}`;
}

function list(rs: readonly { id: string }[], max = 6): string {
  const ids = rs.map((r) => r.id);
  return ids.length > max ? `${ids.slice(0, max).join(", ")} and ${ids.length - max} more` : ids.join(", ");
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
