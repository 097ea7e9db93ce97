/**
 * Which audit rules speak to which provision of a catalogue. Rules declare `standards` refs in the ids of each
 * standard's rule catalogue (ETSI: V3.1.3); a catalogue with `rule_refs_via` (ETSI V2.1.1) maps them through each
 * provision's counterparts. Rules are the single source of that link: the catalogues never list which rules can fail
 * a provision, only (in `observed_by`) which rules observe all of it.
 */
import { parseStandardRef, type StandardRef } from "../core/standards.ts";
import type { Catalogue, CatalogueSet } from "./catalogue.ts";
import { suggest } from "./suggest.ts";

export interface RuleRefs {
  id: string;
  standards: readonly StandardRef[];
}

/** provision id → ids of the rules whose findings are evidence on it. */
export function rulesByProvision(c: Catalogue, rules: Iterable<RuleRefs>): Map<string, string[]> {
  const viaRuleId = new Map<string, string[]>();
  for (const p of c.provisions) {
    for (const rid of p.ruleIds) {
      const list = viaRuleId.get(rid);
      if (list) list.push(p.id);
      else viaRuleId.set(rid, [p.id]);
    }
  }
  const out = new Map<string, string[]>();
  for (const rule of rules) {
    for (const ref of rule.standards) {
      const parsed = parseStandardRef(ref);
      if (!parsed || parsed.standard !== c.standard) continue;
      for (const pid of viaRuleId.get(parsed.provision) ?? []) {
        const list = out.get(pid);
        if (!list) out.set(pid, [rule.id]);
        else if (!list.includes(rule.id)) list.push(rule.id);
      }
    }
  }
  return out;
}

/**
 * Rule refs that are not `<STANDARD>:<provision>` or name a provision the standard does not have. Empty when
 * consistent; a test keeps it so for every shipped rule.
 */
export function ruleRefProblems(rules: readonly RuleRefs[], set: CatalogueSet): string[] {
  const problems: string[] = [];
  for (const rule of rules) {
    for (const ref of rule.standards) {
      const parsed = parseStandardRef(ref);
      if (!parsed) {
        problems.push(`rule ${rule.id}: "${ref}" is not <STANDARD>:<provision>`);
        continue;
      }
      const c = set.ruleCatalogue(parsed.standard);
      if (!c) problems.push(`rule ${rule.id}: no catalogue for ${parsed.standard}`);
      else if (!c.byId.has(parsed.provision)) problems.push(`rule ${rule.id}: ${ref} is not a provision of ${c.key}${suggest(parsed.provision, [...c.byId.keys()])}`);
    }
  }
  return problems;
}

/** Catalogue `observed_by` entries must name a rule of the registry that declares that very provision. */
export function observedByProblems(rules: readonly RuleRefs[], set: CatalogueSet): string[] {
  const problems: string[] = [];
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const c of set.all) {
    for (const p of c.provisions) {
      for (const o of p.observedBy) {
        const rule = byId.get(o.rule);
        if (!rule) problems.push(`${c.key} ${p.id}: observed_by names unknown rule ${o.rule}`);
        else if (!(rulesByProvision(c, [rule]).get(p.id) ?? []).includes(rule.id)) problems.push(`${c.key} ${p.id}: observed_by rule ${o.rule} does not declare this provision in its standards`);
      }
    }
  }
  return problems;
}
