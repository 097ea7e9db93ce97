/**
 * Which audit rules speak to which provision of a catalogue. Rules declare `standards` refs in the ids of each
 * standard's rule catalogue (ETSI: V3.1.3); a catalogue with `rule_refs_via` (ETSI V2.1.1) maps them through each
 * provision's counterparts. Rules are the single source of that link: the catalogues never list which rules can fail
 * a provision, only (in `observed_by`) which rules observe all of it.
 */
import { parseStandardRef, type StandardRef } from "../core/standards.ts";
import type { Catalogue } from "./catalogue.ts";

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
