/**
 * The assessment document: what `longwatch certify` produces, saves and renders (JSON as is; text, HTML and PDF from
 * it). It is data with stable codes; every sentence a reader sees is built from these fields in report/.
 */
import type { Severity } from "../core/severity.ts";
import type { StandardRef } from "../core/standards.ts";
import type { FindingSample } from "./evidence.ts";
import type { AnswerValue, StatementDetails } from "./questionnaire.ts";

export const ASSESSMENT_SCHEMA = "longwatch/certify-assessment@1";

export const VERDICTS = ["fail", "inconclusive", "not_assessed", "pass", "not_applicable"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_LABELS: Record<Verdict, string> = {
  pass: "PASS",
  fail: "FAIL",
  not_applicable: "NOT APPLICABLE",
  not_assessed: "NOT ASSESSED",
  inconclusive: "INCONCLUSIVE",
};

export interface ConditionState {
  id: string;
  label: string;
  text: string;
  state: "holds" | "does-not-hold" | "unknown";
  why?: string;
  /** Where the state came from: the answers file, or the fleet data (e.g. models.yaml says ota_capable: true). */
  source?: "answers" | "fleet";
  line?: number;
  /** Decided per provision (EU CRA "where applicable"), so it differs from one provision to the next. */
  per_provision?: true;
}

/** What one audit rule that speaks to a provision says about this model. */
export interface RuleEvidence {
  rule: string;
  title: string;
  /** open: findings open; suppressed: only suppressed findings; clean: ran on this model's devices, found nothing. */
  state: "open" | "suppressed" | "clean" | "not-run" | "no-devices";
  open: number;
  suppressed: number;
  devices: number;
  devices_approximate?: boolean;
  worst?: Severity;
  suppression_reasons?: string[];
  /** The catalogue lists this rule as observing the whole provision (a clean result alone can pass it). */
  full: boolean;
  /** For full observers: how many of the model's devices have the fields the rule needs. */
  coverage?: { field: string; recorded: number; of: number }[];
  /** "detect": a detector; its findings are unresolved alerts, and it ran when detection recorded the model's flows. */
  source?: "detect";
}

export interface ProvisionResult {
  id: string;
  ref: StandardRef;
  title: string;
  status: "M" | "R";
  mandatory: boolean;
  notation: string;
  clause?: string;
  part?: string;
  legal_ref?: string;
  verdict: Verdict;
  /** One or two sentences: why this verdict. */
  reason: string;
  conditions: ConditionState[];
  not_applicable?: { condition: string; label: string; text: string; why: string; source: "answers" | "fleet" };
  rules: RuleEvidence[];
  answer?: { answer: AnswerValue; evidence?: string; note?: string; why?: string; file: string; line: number };
  deemed?: { route: string; legal_ref?: string; via: string[] };
  /** What to do next, for anything that is not PASS or NOT APPLICABLE. */
  todo?: string;
  /** Things the reader must know: unverified catalogue data, answers that contradict findings … */
  caveats: string[];
}

export interface VerdictCounts {
  total: number;
  pass: number;
  fail: number;
  inconclusive: number;
  not_assessed: number;
  not_applicable: number;
}

export interface AssessmentSummary extends VerdictCounts {
  applicable: number;
  /** PASS / applicable provisions (everything but NOT APPLICABLE), 0–1; null when nothing applies. */
  pass_rate: number | null;
  mandatory: VerdictCounts;
}

export interface NextStep {
  kind: "fix-findings" | "meet-provision" | "answer-questions" | "complete-evidence" | "keep-current";
  title: string;
  /** What to do, in plain words. */
  action: string;
  /** Why this step is among the most important. */
  why: string;
  provisions: string[];
  rule?: string;
  findings?: number;
  devices?: number;
}

/** Open (and suppressed) findings of one rule on this model, with the rule's own explanation. */
export interface FindingGroup {
  rule: string;
  title: string;
  severity?: Severity;
  rationale?: string;
  remediation?: string;
  open: number;
  suppressed: number;
  devices: number;
  samples: FindingSample[];
  provisions: string[];
}

export interface PstiStatement {
  ready: boolean;
  blockers: string[];
  fields: { label: string; value?: string; source: string; optional?: true }[];
  requirements: { id: string; title: string; legal_ref?: string; verdict: Verdict; evidence: string[] }[];
  declaration: string;
  verified: boolean;
  note: string;
}

export interface CraChecklist {
  dates: { date: string; what: string; days_left: number }[];
  reporting: { channel: string; users?: string; deadlines: { trigger: string; steps: { within: string; after: string; what: string }[] }[] };
  support_period: string[];
  documentation: { id: string; text: string; state: "done" | "missing" | "partly" | "unanswered"; evidence?: string }[];
  documentation_note?: string;
  /** Annex I results per part, for the documentation's "how each requirement applies". */
  annex_i: { part: string; pass: number; fail: number; open: number; not_applicable: number }[];
}

export interface Assessment {
  schema: typeof ASSESSMENT_SCHEMA;
  standard: { id: string; key: string; cli: string; version: string; title: string; published: string; source: string; about: string };
  subject: {
    model_id: string;
    name?: string;
    manufacturer?: string;
    devices: number;
    support_end?: string;
    ota_capable?: boolean;
    vuln_disclosure_url?: string;
    known_model: boolean;
    /** For a product line: the device models it is made of (`model_id` is then the line's name). */
    models?: string[];
  };
  generated_at: string;
  longwatch_version: string;
  scan: { id: number; started_at: string; finished_at?: string; rules: string[] } | null;
  answers: { file: string; answered_by?: string; answered_on?: string; rejected: number } | null;
  summary: AssessmentSummary;
  next_steps: NextStep[];
  results: ProvisionResult[];
  findings: FindingGroup[];
  statement?: StatementDetails;
  psti_statement?: PstiStatement;
  cra_checklist?: CraChecklist;
  notes: string[];
}
