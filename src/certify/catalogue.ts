/**
 * Standard catalogues: loads data/standards/*.yaml, checks them (schema, unique ids, conditions that exist, version
 * mappings that resolve) and gives the assessment a resolved, typed view. Loaded once per process.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StandardId, StandardRef } from "../core/standards.ts";
import { CatalogueSchema, type CatalogueFile, type ConditionFile, type DeemedRoute, type ObservedBy } from "./catalogue-schema.ts";
import { formatIssue, nodeAtPath, nodeIssue, readYaml, type SourceIssue } from "./yaml-source.ts";

export type Condition = ConditionFile;

export interface Provision {
  id: string;
  ref: StandardRef;
  status: "M" | "R";
  mandatory: boolean;
  /** The ICS-style status, e.g. `M`, `MF(a)`, `MCF(14,e)`, `RC(3)`: what the standard's tables show. */
  notation: string;
  appliesIf: Condition[];
  title: string;
  guidance: string;
  clause?: string;
  part?: string;
  legalRef?: string;
  wording?: "unverified" | "secondary";
  statusVerified: boolean;
  statusNote?: string;
  /** Ids in the catalogue audit rules reference (for V2.1.1: the V3.1.3 counterparts). */
  ruleIds: string[];
  deemed: DeemedRoute[];
  observedBy: ObservedBy[];
}

export interface Catalogue extends Omit<CatalogueFile, "conditions" | "provisions" | "default"> {
  standard: StandardId;
  isDefault: boolean;
  conditions: Map<string, Condition>;
  provisions: Provision[];
  byId: Map<string, Provision>;
  file: string;
}

export class CatalogueError extends Error {
  constructor(readonly issues: SourceIssue[]) {
    super(`invalid standard catalogue:\n${issues.map(formatIssue).join("\n")}`);
  }
}

export const DEFAULT_CATALOGUE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "data", "standards");

/** Parses one catalogue file; throws CatalogueError with file:line positions when it is not valid. */
export function parseCatalogue(yamlText: string, file: string): Catalogue {
  const src = readYaml(yamlText, file);
  const errors = src.issues.filter((i) => i.severity === "error");
  if (errors.length) throw new CatalogueError(errors);
  const parsed = CatalogueSchema.safeParse(src.value);
  if (!parsed.success) {
    throw new CatalogueError(parsed.error.issues.map((i) => nodeIssue(src, nodeAtPath(src.doc, i.path), `${i.path.join(".")}: ${i.message}`)));
  }
  const c = parsed.data;
  const issues: SourceIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push(nodeIssue(src, nodeAtPath(src.doc, path), message));

  const conditions = new Map<string, Condition>();
  c.conditions.forEach((cond, i) => {
    if (conditions.has(cond.id)) at(["conditions", i, "id"], `condition ${cond.id} is listed twice`);
    conditions.set(cond.id, cond);
  });
  const clauses = c.clauses.map((cl) => cl.id).sort((a, b) => b.length - a.length);
  const provisions: Provision[] = [];
  const byId = new Map<string, Provision>();
  c.provisions.forEach((p, i) => {
    if (byId.has(p.id)) at(["provisions", i, "id"], `provision ${p.id} is listed twice`);
    const appliesIf: Condition[] = [];
    for (const id of p.applies_if) {
      const cond = conditions.get(id);
      if (cond) appliesIf.push(cond);
      else at(["provisions", i, "applies_if"], `provision ${p.id}: no condition "${id}" in this catalogue`);
    }
    if (p.v3 !== undefined && c.rule_refs_via === undefined) at(["provisions", i, "v3"], `provision ${p.id}: v3 needs rule_refs_via at the top`);
    if (c.rule_refs_via !== undefined && p.v3 === undefined) at(["provisions", i], `provision ${p.id}: needs v3 (its counterparts in ${c.rule_refs_via})`);
    const clause = clauses.find((cl) => p.id.startsWith(`${cl}-`) || p.id.startsWith(`${cl}.`));
    const prov: Provision = {
      id: p.id,
      ref: `${c.standard}:${p.id}`,
      status: p.status,
      mandatory: p.status === "M",
      notation: notation(p.status, appliesIf),
      appliesIf,
      title: p.title ?? "",
      guidance: p.guidance ?? "",
      statusVerified: p.status_verified,
      ruleIds: p.v3 ?? [p.id],
      deemed: p.deemed_compliance,
      observedBy: p.observed_by,
    };
    if (clause !== undefined) prov.clause = clause;
    if (p.part !== undefined) prov.part = p.part;
    if (p.legal_ref !== undefined) prov.legalRef = p.legal_ref;
    if (p.wording !== undefined) prov.wording = p.wording;
    if (p.status_note !== undefined) prov.statusNote = p.status_note;
    provisions.push(prov);
    byId.set(p.id, prov);
  });
  if (issues.length) throw new CatalogueError(issues);
  const { conditions: _c, provisions: _p, default: isDefault, ...rest } = c;
  return { ...rest, isDefault: isDefault === true, conditions, provisions, byId, file };
}

/**
 * `M`, `R`, plus `C` when a condition and `F` when a feature decides applicability, with their numbers/letters:
 * condition-14 + feature-e → `MCF(14,e)`. Other condition kinds (PSTI, CRA) show as `C(name)`.
 */
function notation(status: "M" | "R", conds: readonly Condition[]): string {
  if (conds.length === 0) return status;
  const cs = conds.filter((c) => !c.id.startsWith("feature-"));
  const fs = conds.filter((c) => c.id.startsWith("feature-"));
  const short = (c: Condition) => c.id.replace(/^(condition|feature)-/, "");
  return `${status}${cs.length ? "C" : ""}${fs.length ? "F" : ""}(${[...cs, ...fs].map(short).join(",")})`;
}

export class CatalogueSet {
  readonly all: Catalogue[];
  private readonly byKey: Map<string, Catalogue>;

  constructor(catalogues: Catalogue[]) {
    this.all = [...catalogues].sort((a, b) => a.key.localeCompare(b.key));
    this.byKey = new Map(this.all.map((c) => [c.key, c]));
    this.check();
  }

  get(key: string): Catalogue | undefined {
    return this.byKey.get(key);
  }

  /** The catalogue for a CLI standard name and optional version; the default version when none is given. */
  find(cli: string, version?: string): Catalogue | undefined {
    const matches = this.all.filter((c) => c.cli === cli);
    if (version === undefined) return matches.find((c) => c.isDefault) ?? (matches.length === 1 ? matches[0] : undefined);
    return matches.find((c) => c.version === version);
  }

  versions(cli: string): string[] {
    return this.all.filter((c) => c.cli === cli).map((c) => c.version);
  }

  /** CLI names, in a stable order. */
  standards(): string[] {
    return [...new Set(this.all.map((c) => c.cli))];
  }

  /** The catalogue whose ids audit rules use for a standard: the one that does not map through another. */
  ruleCatalogue(standard: StandardId): Catalogue | undefined {
    return this.all.find((c) => c.standard === standard && c.rule_refs_via === undefined);
  }

  /** Cross-catalogue checks: mappings and deemed-compliance routes must point at provisions that exist. */
  private check(): void {
    const problems: string[] = [];
    for (const c of this.all) {
      if (c.rule_refs_via !== undefined) {
        const target = this.byKey.get(c.rule_refs_via);
        if (!target) problems.push(`${c.file}: rule_refs_via names unknown catalogue ${c.rule_refs_via}`);
        else for (const p of c.provisions) for (const id of p.ruleIds) if (!target.byId.has(id)) problems.push(`${c.file}: ${p.id} maps to ${id}, which ${target.key} does not have`);
      }
      for (const p of c.provisions) {
        if (p.title === "" || p.guidance === "") {
          const source = c.rule_refs_via !== undefined && p.ruleIds.length === 1 ? this.byKey.get(c.rule_refs_via)?.byId.get(p.ruleIds[0]!) : undefined;
          if (source) {
            // A V2.1.1 provision that did not change in substance takes its words from its V3.1.3 counterpart.
            if (p.title === "") p.title = source.title;
            if (p.guidance === "") p.guidance = source.guidance;
          } else problems.push(`${c.file}: ${p.id} needs a title and guidance`);
        }
        for (const r of p.deemed) {
          if (r.external) continue;
          const target = r.catalogue !== undefined ? this.byKey.get(r.catalogue) : undefined;
          if (!target) problems.push(`${c.file}: ${p.id}: deemed-compliance route names unknown catalogue ${r.catalogue ?? "(none)"}`);
          else for (const id of r.provisions ?? []) if (!target.byId.has(id)) problems.push(`${c.file}: ${p.id}: route provision ${id} is not in ${target.key}`);
        }
      }
    }
    const defaults = new Map<string, number>();
    for (const c of this.all) if (c.isDefault) defaults.set(c.cli, (defaults.get(c.cli) ?? 0) + 1);
    for (const cli of this.standards()) {
      const n = this.all.filter((c) => c.cli === cli).length;
      if (n > 1 && defaults.get(cli) !== 1) problems.push(`${cli}: ${n} versions need exactly one marked default: true`);
    }
    if (problems.length) throw new Error(`standard catalogues are inconsistent:\n${problems.join("\n")}`);
  }
}

export function loadCatalogueSet(dir: string = DEFAULT_CATALOGUE_DIR): CatalogueSet {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
  return new CatalogueSet(files.map((f) => parseCatalogue(readFileSync(join(dir, f), "utf8"), join(dir, f))));
}

let shipped: CatalogueSet | undefined;

/** The catalogues shipped in data/standards, loaded on first use. */
export function catalogues(): CatalogueSet {
  shipped ??= loadCatalogueSet();
  return shipped;
}
