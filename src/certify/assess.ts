/**
 * The assessment: one verdict per provision for one device model, from fleet evidence (audit findings of the latest
 * scan) and the answers file. Pure: everything it needs is passed in, so tests and reports are reproducible.
 *
 * The verdict rules (also in docs/certify.md), first match wins:
 *   1. FAIL           an open finding of a rule that speaks to the provision concerns this model.
 *   2. NOT APPLICABLE the provision is conditional and one of its conditions does not hold (answered, or read from
 *                     fleet data), with the reason. Unconditional provisions can never be not applicable.
 *   3. answered       no → FAIL; partly → INCONCLUSIVE; yes with evidence → PASS; yes without evidence → INCONCLUSIVE.
 *   4. PASS           deemed compliant through a verified route (UK PSTI → ETSI EN 303 645 V2.1.1) that passes.
 *   5. PASS           every rule the catalogue lists as observing the whole provision ran on all devices with the
 *                     data it needs and found nothing.
 *   6. INCONCLUSIVE   only suppressed findings; or observers lack data on some devices; or rules that cover part of
 *                     the provision found nothing (partial evidence: an answer is needed).
 *   7. NOT ASSESSED   nothing observes it and it is not answered.
 */
import type { RuleMeta } from "../audit/rule.ts";
import type { DeviceModel } from "../core/fleet.ts";
import { blockingCondition, conditionStates } from "./applicability.ts";
import {
  ASSESSMENT_SCHEMA,
  type Assessment,
  type AssessmentSummary,
  type FindingGroup,
  type ProvisionResult,
  type RuleEvidence,
  type VerdictCounts,
} from "./assessment.ts";
import type { Catalogue, CatalogueSet, Provision } from "./catalogue.ts";
import type { FleetEvidence, ModelEvidence } from "./evidence.ts";
import { craChecklist, pstiStatement } from "./extras.ts";
import { nextSteps } from "./next-steps.ts";
import type { Answers, SectionAnswers } from "./questionnaire.ts";
import { rulesByProvision, type RuleRefs } from "./rule-map.ts";

export type RuleInfo = Pick<RuleMeta, "id" | "title" | "severity" | "standards" | "rationale" | "remediation"> & {
  /** A detector used as a rule: its findings are unresolved alerts (certify/detection-evidence.ts). */
  evidenceFrom?: "detect";
};

export interface AssessInput {
  catalogue: Catalogue;
  set: CatalogueSet;
  rules: readonly RuleInfo[];
  evidence: FleetEvidence;
  modelId: string;
  answers?: Answers;
  /** Answers entries left out because they were invalid (reported separately with their lines). */
  rejectedAnswers?: number;
  now: number;
  version: string;
}

export function assess(input: AssessInput): Assessment {
  return new Assessor(input).run();
}

class Assessor {
  private readonly me: ModelEvidence | undefined;
  private readonly model: DeviceModel | undefined;
  private readonly section: SectionAnswers | undefined;
  private readonly ruleInfo: Map<string, RuleInfo>;
  private readonly byProvision: Map<string, string[]>;
  private readonly related = new Map<string, Assessment>();

  constructor(private readonly input: AssessInput) {
    this.me = input.evidence.models.get(input.modelId);
    this.model = this.me?.model;
    this.section = input.answers?.sections.get(input.catalogue.key);
    this.ruleInfo = new Map(input.rules.map((r) => [r.id, r]));
    // Findings of rules this Longwatch does not know (a newer version scanned) still count, by their own refs.
    const refs: RuleRefs[] = [...input.rules];
    for (const o of this.me?.rules.values() ?? []) if (!this.ruleInfo.has(o.rule)) refs.push({ id: o.rule, standards: o.standards });
    this.byProvision = rulesByProvision(input.catalogue, refs);
  }

  run(): Assessment {
    const { catalogue: c, evidence, now } = this.input;
    const results = c.provisions.map((p) => this.provision(p));
    const summary = summarise(results);
    const m = this.model;
    const a: Assessment = {
      schema: ASSESSMENT_SCHEMA,
      standard: { id: c.standard, key: c.key, cli: c.cli, version: c.version, title: c.title, published: c.published, source: c.source, about: c.about },
      subject: { model_id: this.input.modelId, devices: this.me?.devices ?? 0, known_model: m !== undefined },
      generated_at: new Date(now).toISOString(),
      longwatch_version: this.input.version,
      scan: evidence.scan ? { id: evidence.scan.id, started_at: evidence.scan.started_at, rules: evidence.scan.rules, ...(evidence.scan.finished_at ? { finished_at: evidence.scan.finished_at } : {}) } : null,
      answers: this.input.answers
        ? {
            file: this.input.answers.file,
            rejected: this.input.rejectedAnswers ?? 0,
            ...(this.input.answers.answeredBy !== undefined ? { answered_by: this.input.answers.answeredBy } : {}),
            ...(this.input.answers.answeredOn !== undefined ? { answered_on: this.input.answers.answeredOn } : {}),
          }
        : null,
      summary,
      next_steps: [],
      results,
      findings: this.findingGroups(results),
      notes: this.notes(results),
    };
    if (m?.name !== undefined) a.subject.name = m.name;
    if (m?.manufacturer !== undefined) a.subject.manufacturer = m.manufacturer;
    if (m?.support_end !== undefined) a.subject.support_end = m.support_end;
    if (m?.ota_capable !== undefined) a.subject.ota_capable = m.ota_capable;
    if (m?.vuln_disclosure_url !== undefined) a.subject.vuln_disclosure_url = m.vuln_disclosure_url;
    if (this.section && Object.keys(this.section.statement).length) a.statement = this.section.statement;
    a.next_steps = nextSteps(a);
    if (c.statement_of_compliance) a.psti_statement = pstiStatement(a, c);
    if (c.reporting || c.technical_documentation) a.cra_checklist = craChecklist(a, c, this.section, now);
    return a;
  }

  private provision(p: Provision): ProvisionResult {
    const answer = this.section?.provisions.get(p.id);
    const conditions = conditionStates(p, this.section, this.model, answer);
    const rules = (this.byProvision.get(p.id) ?? []).map((id) => this.ruleEvidence(p, id));
    const r: ProvisionResult = {
      id: p.id,
      ref: p.ref,
      title: p.title,
      status: p.status,
      mandatory: p.mandatory,
      notation: p.notation,
      verdict: "not_assessed",
      reason: "",
      conditions,
      rules,
      caveats: [],
    };
    if (p.clause !== undefined) r.clause = p.clause;
    if (p.part !== undefined) r.part = p.part;
    if (p.legalRef !== undefined) r.legal_ref = p.legalRef;
    if (answer) {
      r.answer = { answer: answer.answer, file: this.input.answers!.file, line: answer.line };
      if (answer.evidence !== undefined) r.answer.evidence = answer.evidence;
      if (answer.note !== undefined) r.answer.note = answer.note;
      if (answer.why !== undefined) r.answer.why = answer.why;
    }
    if (p.wording === "unverified") r.caveats.push("The exact wording of this provision could not be verified for this catalogue; read it in the standard.");
    if (!p.statusVerified && p.statusNote !== undefined) r.caveats.push(p.statusNote);
    decide(r, p, this.deemed(p), this.input.answers?.file, this.me?.devices ?? 0);
    const open = r.rules.filter((e) => e.state === "open");
    if (open.length) {
      // Teach right where the FAIL is: what each rule behind it says to do.
      const fixes = open.map((e) => ({ title: e.title, fix: this.ruleInfo.get(e.rule)?.remediation ?? `see \`longwatch explain ${e.rule}\`` }));
      const detect = open.some((e) => this.ruleInfo.get(e.rule)?.evidenceFrom === "detect");
      const scan = open.some((e) => this.ruleInfo.get(e.rule)?.evidenceFrom !== "detect");
      const again = [scan ? "run `longwatch scan`" : "", detect ? "resolve or verify the alerts (`longwatch alerts`) once fixed" : ""].filter(Boolean).join(" and ");
      r.todo = `${fixes.length === 1 ? fixes[0]!.fix : fixes.map((f) => `${f.title}: ${f.fix}`).join(" ")} Then ${again} and assess again.`;
    }
    return r;
  }

  private ruleEvidence(p: Provision, ruleId: string): RuleEvidence {
    const info = this.ruleInfo.get(ruleId);
    const o = this.me?.rules.get(ruleId);
    const devices = this.me?.devices ?? 0;
    const ran = this.input.evidence.scan?.rules.includes(ruleId) === true || this.me?.detected?.has(ruleId) === true;
    const observer = p.observedBy.find((x) => x.rule === ruleId);
    const e: RuleEvidence = { rule: ruleId, title: info?.title ?? ruleId, state: "not-run", open: o?.open ?? 0, suppressed: o?.suppressed ?? 0, devices: o?.devices ?? 0, full: observer !== undefined };
    if (info?.evidenceFrom === "detect") e.source = "detect";
    if (o?.devicesApproximate) e.devices_approximate = true;
    if (o?.worst !== undefined) e.worst = o.worst;
    if (o?.suppressionReasons.length) e.suppression_reasons = o.suppressionReasons;
    if (e.open > 0) e.state = "open";
    else if (e.suppressed > 0) e.state = "suppressed";
    else if (ran) e.state = devices > 0 ? "clean" : "no-devices";
    if (observer) {
      e.coverage = observer.needs.map((need) => {
        const [scope, field] = need.split(".") as ["device" | "model", string];
        if (scope === "model") return { field: need, recorded: this.model && (this.model as Record<string, unknown>)[field] !== undefined ? devices : 0, of: devices };
        return { field: need, recorded: this.me?.deviceFields.get(field) ?? 0, of: devices };
      });
    }
    return e;
  }

  /** A verified deemed-compliance route that passes in its own catalogue, assessed for the same model and answers. */
  private deemed(p: Provision): ProvisionResult["deemed"] | undefined {
    for (const route of p.deemed) {
      if (route.external || !route.verified || route.catalogue === undefined || !route.provisions?.length) continue;
      const target = this.input.set.get(route.catalogue);
      if (!target) continue;
      let other = this.related.get(target.key);
      if (!other) {
        other = assess({ ...this.input, catalogue: target });
        this.related.set(target.key, other);
      }
      const [first, ...rest] = route.provisions.map((id) => other.results.find((x) => x.id === id)!);
      // The first provision named must pass; the others ("where relevant") must pass or not apply.
      if (first?.verdict === "pass" && rest.every((x) => x.verdict === "pass" || x.verdict === "not_applicable")) {
        const d: NonNullable<ProvisionResult["deemed"]> = { route: route.route, via: route.provisions.map((id) => `${target.standard}:${id} (V${target.version})`) };
        if (route.legal_ref !== undefined) d.legal_ref = route.legal_ref;
        return d;
      }
    }
    return undefined;
  }

  private findingGroups(results: readonly ProvisionResult[]): FindingGroup[] {
    const groups = new Map<string, FindingGroup>();
    for (const r of results) {
      for (const e of r.rules) {
        if (e.state !== "open" && e.state !== "suppressed") continue;
        let g = groups.get(e.rule);
        if (!g) {
          const info = this.ruleInfo.get(e.rule);
          const o = this.me!.rules.get(e.rule)!;
          g = { rule: e.rule, title: e.title, open: o.open, suppressed: o.suppressed, devices: o.devices, samples: o.samples, provisions: [] };
          if (o.worst !== undefined) g.severity = o.worst;
          if (info) {
            g.rationale = info.rationale;
            g.remediation = info.remediation;
          }
          groups.set(e.rule, g);
        }
        g.provisions.push(r.id);
      }
    }
    return [...groups.values()].sort((a, b) => b.open - a.open || a.rule.localeCompare(b.rule));
  }

  private notes(results: readonly ProvisionResult[]): string[] {
    const notes: string[] = [];
    const { evidence, catalogue } = this.input;
    if (!evidence.scan) notes.push("No scan has been run yet, so no fleet evidence was used: run `longwatch scan` and assess again.");
    if (!this.me || this.me.devices === 0) notes.push(`No devices of model ${this.input.modelId} are in the inventory, so no rule could observe it.`);
    if (!this.input.answers) notes.push("No answers file was found for this model: everything Longwatch cannot observe is NOT ASSESSED. Create one with `longwatch certify init`.");
    const unverified = catalogue.provisions.filter((p) => p.wording === "unverified").map((p) => p.id);
    if (unverified.length) notes.push(`The wording of ${unverified.join(", ")} could not be verified while this catalogue was written; their ids and statuses are right, their titles only say what they are about.`);
    const statusNotes = catalogue.provisions.filter((p) => !p.statusVerified).map((p) => p.id);
    if (statusNotes.length) notes.push(`The status of ${statusNotes.join(", ")} is not fully verified; see the caveat on each.`);
    if (results.some((r) => r.rules.some((e) => e.devices_approximate))) notes.push("Some device counts are upper bounds (very large findings sets).");
    notes.push("This is a self-assessment prepared with Longwatch from your data and answers. It is not a certificate and does not replace reading the standard.");
    return notes;
  }
}

/** Applies the verdict rules in order (see the file header). */
function decide(r: ProvisionResult, p: Provision, deemed: ProvisionResult["deemed"] | undefined, answersFile: string | undefined, devices: number): void {
  const open = r.rules.filter((e) => e.state === "open");
  const suppressed = r.rules.filter((e) => e.state === "suppressed");
  const clean = r.rules.filter((e) => e.state === "clean");
  const blocking = blockingCondition(r.conditions);
  const a = r.answer;
  const where = answersFile ?? "the answers file";

  if (open.length) {
    const n = open.reduce((s, e) => s + e.open, 0);
    r.verdict = "fail";
    r.reason = `Longwatch found ${n} open finding${n === 1 ? "" : "s"} on this model: ${open.map((e) => `${e.title} (${e.rule})`).join("; ")}.`;
    if (blocking) r.caveats.push(`The answers say ${blocking.label} does not hold, which would make this provision not applicable, but the scan found problems it covers: check that answer.`);
    if (a?.answer === "yes") r.caveats.push("The answers say this is met, but the scan contradicts it.");
    return;
  }
  if (blocking) {
    r.verdict = "not_applicable";
    const why = blocking.why !== undefined && blocking.why !== "" ? blocking.why : "no reason given";
    r.reason = `Not applicable: ${blocking.label} — ${lowerFirst(blocking.text)} — does not hold (${blocking.source === "fleet" ? "from fleet data" : "answered"}: ${why}).`;
    r.not_applicable = { condition: blocking.id, label: blocking.label, text: blocking.text, why, source: blocking.source ?? "answers" };
    return;
  }
  const cleanNote = clean.length ? ` The scan found no problems (${clean.map((e) => e.rule).join(", ")}).` : "";
  if (a) {
    if (a.answer === "no") {
      r.verdict = "fail";
      r.reason = "The answers say this is not met.";
      r.todo = p.guidance;
    } else if (a.answer === "partly") {
      r.verdict = "inconclusive";
      r.reason = `The answers say this is only partly met.${a.note !== undefined ? ` Note: ${a.note}` : ""}`;
      r.todo = `Finish it: ${p.guidance} Then change the answer to yes and give the evidence.`;
    } else if (a.answer === "yes" && a.evidence !== undefined) {
      r.verdict = "pass";
      r.reason = `Met, with evidence: ${a.evidence}.${cleanNote}`;
      if (suppressed.length) r.caveats.push(`Findings of ${suppressed.map((e) => e.rule).join(", ")} are suppressed for this model; make sure the reasons still hold.`);
    } else {
      r.verdict = "inconclusive";
      r.reason = "Answered yes, but without evidence.";
      r.todo = `Add "evidence" to ${p.id} in ${where}: a link or document that shows it (policy page, test report, design document).`;
    }
    return;
  }
  if (deemed) {
    r.verdict = "pass";
    r.deemed = deemed;
    r.reason = `Deemed compliant through ${deemed.route}${deemed.legal_ref !== undefined ? ` (${deemed.legal_ref})` : ""}: ${deemed.via.join(", ")} pass.`;
    return;
  }
  const observers = r.rules.filter((e) => e.full);
  const fullyObserved = observers.length > 0 && observers.length === p.observedBy.length && observers.every((e) => e.state === "clean" && (e.coverage ?? []).every((c) => c.recorded === c.of));
  if (fullyObserved) {
    r.verdict = "pass";
    const on = devices === 1 ? "the only device" : `all ${devices} devices`;
    r.reason = `Observed: ${observers.map((e) => e.rule).join(", ")} ran on ${on} of this model with the data ${observers.length === 1 ? "it needs" : "they need"} and found nothing.`;
    return;
  }
  r.verdict = "inconclusive";
  if (suppressed.length) {
    r.reason = `The only findings are suppressed (${suppressed.map((e) => `${e.rule}: ${(e.suppression_reasons ?? ["no reason recorded"]).join("; ")}`).join(" | ")}).`;
    r.todo = `Confirm the provision is met: answer ${p.id} in ${where} with evidence, or lift the suppression if the reason no longer holds.`;
    return;
  }
  const gaps = observers.flatMap((e) => (e.state === "clean" ? (e.coverage ?? []).filter((c) => c.recorded < c.of).map((c) => ({ e, c })) : []));
  if (gaps.length) {
    r.reason = `Partly observed: ${gaps.map(({ e, c }) => `${e.rule} could only check ${c.recorded} of ${c.of} devices (${c.field} is not recorded for the others)`).join("; ")}.`;
    r.todo = `Record ${[...new Set(gaps.map((g) => g.c.field))].join(", ")} for every device of this model in the inventory and scan again, or answer ${p.id} with evidence.`;
    return;
  }
  if (clean.length) {
    r.reason = `Partly observed: ${clean.map((e) => e.rule).join(", ")} ran and found nothing, but ${clean.length === 1 ? "that rule covers" : "those rules cover"} only part of what this provision asks.`;
    r.todo = `Answer ${p.id} in ${where} with evidence for the rest: ${p.guidance}`;
    return;
  }
  r.verdict = "not_assessed";
  const unknown = r.conditions.filter((s) => s.state === "unknown" && !s.per_provision);
  const perProvision = r.conditions.find((s) => s.per_provision);
  r.reason = r.rules.length
    ? `No evidence yet: ${r.rules.map((e) => `${e.rule} (${e.state === "no-devices" ? "no devices of this model" : e.source === "detect" ? "no alerts, and no flows of this model recorded by detection in the last 30 days" : "not run in the latest scan"})`).join(", ")}, and it is not answered.`
    : "Longwatch cannot observe this; it is not answered yet.";
  r.todo = `${unknown.length ? `First say whether ${unknown.map((s) => s.label).join(" and ")} hold${unknown.length === 1 ? "s" : ""} (conditions section). If so, ` : ""}${unknown.length ? "answer" : "Answer"} ${p.id} in ${where}${perProvision ? ` (or not-applicable, with the reason from your ${perProvision.label}, if it does not apply)` : ""}: ${p.guidance}`;
}

function lowerFirst(s: string): string {
  const t = s.replace(/\.$/, "");
  return /^[A-Z][a-z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}

export function countVerdicts(results: readonly { verdict: ProvisionResult["verdict"] }[]): VerdictCounts {
  const c: VerdictCounts = { total: results.length, pass: 0, fail: 0, inconclusive: 0, not_assessed: 0, not_applicable: 0 };
  for (const r of results) c[r.verdict]++;
  return c;
}

function summarise(results: readonly ProvisionResult[]): AssessmentSummary {
  const all = countVerdicts(results);
  const applicable = all.total - all.not_applicable;
  return { ...all, applicable, pass_rate: applicable > 0 ? all.pass / applicable : null, mandatory: countVerdicts(results.filter((r) => r.mandatory)) };
}
