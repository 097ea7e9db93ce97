/**
 * Differences between two assessments of the same model and standard: which provisions got better or worse, and how
 * the pass rate moved. Works on the JSON documents (saved in the store or written with --format json).
 */
import { ASSESSMENT_SCHEMA, VERDICT_LABELS, type Assessment, type Verdict } from "./assessment.ts";

/** Better verdicts rank higher; NOT APPLICABLE sits apart (a change to or from it is a "changed", not better or worse). */
const RANK: Record<Verdict, number> = { fail: 0, not_assessed: 1, inconclusive: 2, pass: 3, not_applicable: -1 };

export interface VerdictChange {
  id: string;
  title: string;
  mandatory: boolean;
  before?: Verdict;
  after?: Verdict;
  direction: "improved" | "regressed" | "changed" | "added" | "removed";
  reason_after?: string;
}

export interface AssessmentDiff {
  standard: string;
  model_id: string;
  before: { generated_at: string; pass_rate: number | null; fail: number };
  after: { generated_at: string; pass_rate: number | null; fail: number };
  changes: VerdictChange[];
  improved: number;
  regressed: number;
  warnings: string[];
}

export function diffAssessments(before: Assessment, after: Assessment): AssessmentDiff {
  const warnings: string[] = [];
  if (before.standard.key !== after.standard.key) warnings.push(`Different standards: ${before.standard.key} and ${after.standard.key}; only provisions with the same id are compared.`);
  if (before.subject.model_id !== after.subject.model_id) warnings.push(`Different models: ${before.subject.model_id} and ${after.subject.model_id}.`);
  const old = new Map(before.results.map((r) => [r.id, r]));
  const changes: VerdictChange[] = [];
  for (const r of after.results) {
    const o = old.get(r.id);
    old.delete(r.id);
    if (o && o.verdict === r.verdict) continue;
    const c: VerdictChange = { id: r.id, title: r.title, mandatory: r.mandatory, after: r.verdict, direction: "added", reason_after: r.reason };
    if (o) {
      c.before = o.verdict;
      const [b, a] = [RANK[o.verdict], RANK[r.verdict]];
      c.direction = b < 0 || a < 0 ? "changed" : a > b ? "improved" : "regressed";
    }
    changes.push(c);
  }
  for (const o of old.values()) changes.push({ id: o.id, title: o.title, mandatory: o.mandatory, before: o.verdict, direction: "removed" });
  const order = { regressed: 0, improved: 1, changed: 2, added: 3, removed: 4 };
  changes.sort((x, y) => order[x.direction] - order[y.direction] || Number(y.mandatory) - Number(x.mandatory));
  return {
    standard: after.standard.key,
    model_id: after.subject.model_id,
    before: { generated_at: before.generated_at, pass_rate: before.summary.pass_rate, fail: before.summary.fail },
    after: { generated_at: after.generated_at, pass_rate: after.summary.pass_rate, fail: after.summary.fail },
    changes,
    improved: changes.filter((c) => c.direction === "improved").length,
    regressed: changes.filter((c) => c.direction === "regressed").length,
    warnings,
  };
}

/** Checks that a parsed JSON document is an assessment this version understands; returns a reason when not. */
export function assessmentProblem(doc: unknown): string | undefined {
  if (typeof doc !== "object" || doc === null) return "not a JSON object";
  const d = doc as Partial<Assessment>;
  if (d.schema !== ASSESSMENT_SCHEMA) return `not a Longwatch assessment (schema is ${JSON.stringify(d.schema ?? null)}, expected ${ASSESSMENT_SCHEMA}); write one with \`longwatch certify --format json\``;
  if (!Array.isArray(d.results) || !d.standard || !d.subject || !d.summary) return "assessment is missing results, standard, subject or summary";
  return undefined;
}

export function verdictLabel(v: Verdict | undefined): string {
  return v === undefined ? "—" : VERDICT_LABELS[v];
}
