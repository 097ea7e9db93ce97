/**
 * The answers file: one YAML file per model with what Longwatch cannot observe. Top level: `model`, who answered and
 * when, then one section per catalogue key (`etsi-en-303-645-v3.1.3`, `uk-psti` …) with `conditions` (does a
 * condition or feature hold?) and `provisions` (is it met, and where is the proof?).
 *
 * Bad entries are reported with file:line:column and left out; the rest is used (the project's "bad input never
 * stops the world"). Empty values mean "not answered yet", so a fresh skeleton parses cleanly.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import type { Catalogue, CatalogueSet } from "./catalogue.ts";
import { suggest } from "./suggest.ts";
import { nodeIssue, readYaml, type SourceIssue, type YamlSource } from "./yaml-source.ts";

export const ANSWER_VALUES = ["yes", "no", "partly", "not-applicable"] as const;
export type AnswerValue = (typeof ANSWER_VALUES)[number];

export interface ConditionAnswer {
  holds: boolean;
  why?: string;
  line: number;
}

export interface ProvisionAnswer {
  answer: AnswerValue;
  evidence?: string;
  note?: string;
  why?: string;
  line: number;
}

/** Fields of the UK PSTI statement of compliance that only the manufacturer can supply. */
export const STATEMENT_FIELDS = ["product_type", "batch", "manufacturer", "address", "authorised_representative", "signatory", "function", "place"] as const;
export type StatementDetails = Partial<Record<(typeof STATEMENT_FIELDS)[number], string>>;

export interface SectionAnswers {
  conditions: Map<string, ConditionAnswer>;
  provisions: Map<string, ProvisionAnswer>;
  /** EU CRA technical documentation checklist items (VII.1 …). */
  documentation: Map<string, ProvisionAnswer>;
  statement: StatementDetails;
}

export interface Answers {
  file: string;
  model?: string;
  modelLine?: number;
  answeredBy?: string;
  answeredOn?: string;
  sections: Map<string, SectionAnswers>;
}

const TOP_FIELDS = ["model", "answered_by", "answered_on"];
const ENTRY_FIELDS = ["answer", "evidence", "note", "why"];

export function emptySection(): SectionAnswers {
  return { conditions: new Map(), provisions: new Map(), documentation: new Map(), statement: {} };
}

export function parseAnswers(text: string, file: string, set: CatalogueSet): { answers: Answers; issues: SourceIssue[] } {
  const src = readYaml(text, file);
  const answers: Answers = { file, sections: new Map() };
  const issues = [...src.issues];
  if (issues.some((i) => i.severity === "error")) return { answers, issues };
  const root = src.doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { answers, issues };
  if (!isMap(root)) return { answers, issues: [...issues, nodeIssue(src, root, "an answers file is a mapping: model, answered_by, answered_on and one section per standard")] };
  const p = new Parser(src, set, issues);
  for (const pair of root.items) {
    const key = p.key(pair);
    if (key === undefined) continue;
    if (TOP_FIELDS.includes(key)) {
      const v = p.text(pair.value as Node, key);
      if (v === undefined) continue;
      if (key === "model") {
        answers.model = v;
        answers.modelLine = src.lines.linePos((pair.key as Node).range![0]).line;
      } else if (key === "answered_by") answers.answeredBy = v;
      else {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) p.issue(pair.value, `answered_on: "${v}" is not a date like 2026-11-25`);
        else answers.answeredOn = v;
      }
      continue;
    }
    const catalogue = set.get(key);
    if (!catalogue) {
      p.issue(pair.key, unknownSectionMessage(key, set));
      continue;
    }
    answers.sections.set(key, p.section(pair.value as Node, catalogue));
  }
  return { answers, issues };
}

function unknownSectionMessage(key: string, set: CatalogueSet): string {
  const versions = set.all.filter((c) => c.cli === key).map((c) => c.key);
  if (versions.length) return `"${key}": say which version this section answers: ${versions.join(" or ")}`;
  return `unknown key "${key}": expected ${TOP_FIELDS.join(", ")} or a standard section (${set.all.map((c) => c.key).join(", ")})`;
}

class Parser {
  constructor(
    private readonly src: YamlSource,
    private readonly set: CatalogueSet,
    private readonly issues: SourceIssue[],
  ) {}

  issue(node: unknown, message: string, severity: SourceIssue["severity"] = "error"): void {
    this.issues.push(nodeIssue(this.src, node, message, severity));
  }

  line(node: unknown): number {
    const n = node as Node | null;
    return n?.range ? this.src.lines.linePos(n.range[0]).line : 0;
  }

  key(pair: Pair): string | undefined {
    if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === "object") {
      this.issue(pair.key, "keys must be plain words or ids");
      return undefined;
    }
    return String(pair.key.value);
  }

  /** A scalar as trimmed text; lists of scalars (several pieces of evidence) are joined with "; ". Empty → undefined. */
  text(node: Node | null, what: string): string | undefined {
    if (node === null || node === undefined) return undefined;
    if (isScalar(node)) {
      if (node.value === null) return undefined;
      if (typeof node.value === "object") return this.fail(node, `${what}: expected text`);
      const s = String(node.value).trim();
      return s === "" ? undefined : s;
    }
    if (isSeq(node)) {
      const parts = node.items.map((i) => this.text(i as Node, what)).filter((x): x is string => x !== undefined);
      return parts.length ? parts.join("; ") : undefined;
    }
    return this.fail(node, `${what}: expected text or a list of texts, not a mapping`);
  }

  private fail(node: unknown, message: string): undefined {
    this.issue(node, message);
    return undefined;
  }

  private map(node: Node | null, what: string): YAMLMap | undefined {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (!isMap(node)) return this.fail(node, `${what}: expected a mapping`);
    return node;
  }

  section(node: Node | null, c: Catalogue): SectionAnswers {
    const out = emptySection();
    const m = this.map(node, c.key);
    if (!m) return out;
    const allowed = ["conditions", "provisions", ...(c.technical_documentation ? ["documentation"] : []), ...(c.statement_of_compliance ? ["statement"] : [])];
    for (const pair of m.items) {
      const key = this.key(pair);
      if (key === "conditions") this.conditions(pair.value as Node, c, out);
      else if (key === "provisions") this.provisions(pair.value as Node, c, out);
      else if (key === "documentation" && allowed.includes(key)) this.documentation(pair.value as Node, c, out);
      else if (key === "statement" && allowed.includes(key)) this.statement(pair.value as Node, c, out);
      else if (key !== undefined) this.issue(pair.key, `${c.key}: unknown key "${key}" (expected ${allowed.join(", ")})`);
    }
    return out;
  }

  private conditions(node: Node | null, c: Catalogue, out: SectionAnswers): void {
    const m = this.map(node, `${c.key}.conditions`);
    if (!m) return;
    for (const pair of m.items) {
      const id = this.key(pair);
      if (id === undefined) continue;
      const cond = c.conditions.get(id);
      if (!cond) {
        this.issue(pair.key, `${c.key}: no condition "${id}" (this standard has ${[...c.conditions.keys()].join(", ") || "none"})`);
        continue;
      }
      if (cond.per_provision) {
        this.issue(pair.key, `${id} is decided per provision: answer not-applicable (with why) on each provision it does not apply to`);
        continue;
      }
      const e = this.map(pair.value as Node, id);
      if (!e) continue;
      let holds: boolean | undefined;
      let why: string | undefined;
      for (const f of e.items) {
        const k = this.key(f);
        if (k === "holds") holds = this.yesNo(f.value as Node, `${id}.holds`);
        else if (k === "why") why = this.text(f.value as Node, `${id}.why`);
        else if (k !== undefined) this.issue(f.key, `${id}: unknown field "${k}" (expected holds, why)`);
      }
      if (holds === undefined) continue;
      if (!holds && why === undefined) {
        this.issue(pair.key, `${id}: holds is no, so every provision that depends on it becomes not applicable; say why in "why" (a justification is required)`);
        continue;
      }
      out.conditions.set(id, { holds, ...(why !== undefined ? { why } : {}), line: this.line(pair.key) });
    }
  }

  private provisions(node: Node | null, c: Catalogue, out: SectionAnswers): void {
    const m = this.map(node, `${c.key}.provisions`);
    if (!m) return;
    for (const pair of m.items) {
      const id = this.key(pair);
      if (id === undefined) continue;
      const prov = c.byId.get(id);
      if (!prov) {
        this.issue(pair.key, `${c.key}: no provision "${id}"${suggest(id, [...c.byId.keys()])}`);
        continue;
      }
      const a = this.entry(pair, id);
      if (!a) continue;
      if (a.answer === "not-applicable") {
        const perProvision = prov.appliesIf.find((x) => x.per_provision);
        if (!perProvision) {
          const how = prov.appliesIf.length
            ? `it is not applicable only when one of its conditions (${prov.appliesIf.map((x) => x.id).join(", ")}) is answered as not holding under conditions:`
            : `it has no condition, so it always applies (${prov.mandatory ? "mandatory" : "recommended"})`;
          this.issue(pair.value, `${id}: answer must be yes, no or partly; ${how}`);
          continue;
        }
        if (a.why === undefined) {
          this.issue(pair.value, `${id}: not-applicable needs "why" (the reason from your ${perProvision.label})`);
          continue;
        }
      }
      if (a.answer === "yes" && a.evidence === undefined) {
        this.issue(pair.value, `${id}: answered yes without evidence; it stays INCONCLUSIVE until "evidence" says where the proof is`, "warning");
      }
      out.provisions.set(id, a);
    }
  }

  private documentation(node: Node | null, c: Catalogue, out: SectionAnswers): void {
    const m = this.map(node, `${c.key}.documentation`);
    if (!m) return;
    const ids = new Set(c.technical_documentation!.items.map((i) => i.id));
    for (const pair of m.items) {
      const id = this.key(pair);
      if (id === undefined) continue;
      if (!ids.has(id)) {
        this.issue(pair.key, `${c.key}.documentation: no item "${id}" (items are ${[...ids].join(", ")})`);
        continue;
      }
      const a = this.entry(pair, id);
      if (a?.answer === "not-applicable") this.issue(pair.value, `${id}: answer yes, no or partly`);
      else if (a) out.documentation.set(id, a);
    }
  }

  private statement(node: Node | null, c: Catalogue, out: SectionAnswers): void {
    const m = this.map(node, `${c.key}.statement`);
    if (!m) return;
    for (const pair of m.items) {
      const k = this.key(pair);
      if (k === undefined) continue;
      if (!(STATEMENT_FIELDS as readonly string[]).includes(k)) {
        this.issue(pair.key, `statement: unknown field "${k}" (expected ${STATEMENT_FIELDS.join(", ")})`);
        continue;
      }
      const v = this.text(pair.value as Node, `statement.${k}`);
      if (v !== undefined) out.statement[k as (typeof STATEMENT_FIELDS)[number]] = v;
    }
  }

  /** One `{ answer, evidence, note, why }` entry; undefined when unanswered or invalid. */
  private entry(pair: Pair, id: string): ProvisionAnswer | undefined {
    const e = this.map(pair.value as Node, id);
    if (!e) return undefined;
    let answer: AnswerValue | undefined;
    const fields: Partial<Record<"evidence" | "note" | "why", string>> = {};
    for (const f of e.items) {
      const k = this.key(f);
      if (k === "answer") answer = this.answer(f.value as Node, id);
      else if (k === "evidence" || k === "note" || k === "why") {
        const v = this.text(f.value as Node, `${id}.${k}`);
        if (v !== undefined) fields[k] = v;
      } else if (k !== undefined) this.issue(f.key, `${id}: unknown field "${k}" (expected ${ENTRY_FIELDS.join(", ")})`);
    }
    if (answer === undefined) return undefined;
    return { answer, ...fields, line: this.line(pair.key) };
  }

  private answer(node: Node | null, id: string): AnswerValue | undefined {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node)) return this.fail(node, `${id}.answer: expected yes, no or partly`);
    const v = node.value;
    if (v === true) return "yes";
    if (v === false) return "no";
    const s = String(v).trim().toLowerCase();
    if (s === "") return undefined;
    const a = ANSWER_ALIASES[s];
    if (a === undefined) return this.fail(node, `${id}.answer: "${String(v)}" is not one of yes, no, partly (or not-applicable where the provision allows it)`);
    return a;
  }

  private yesNo(node: Node | null, what: string): boolean | undefined {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node)) return this.fail(node, `${what}: expected yes or no`);
    const v = node.value;
    if (typeof v === "boolean") return v;
    const s = String(v).trim().toLowerCase();
    if (s === "") return undefined;
    if (["yes", "y", "true"].includes(s)) return true;
    if (["no", "n", "false"].includes(s)) return false;
    return this.fail(node, `${what}: "${String(v)}" is not yes or no`);
  }
}

const ANSWER_ALIASES: Record<string, AnswerValue> = {
  yes: "yes",
  y: "yes",
  true: "yes",
  met: "yes",
  no: "no",
  n: "no",
  false: "no",
  "not met": "no",
  partly: "partly",
  partial: "partly",
  partially: "partly",
  "not-applicable": "not-applicable",
  "not applicable": "not-applicable",
  "n/a": "not-applicable",
  na: "not-applicable",
};
