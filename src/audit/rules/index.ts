/** Every audit rule Longwatch ships, by family. Adding a rule = one module in a family file + its tests. */
import type { Rule } from "../rule.ts";
import { connectivityRules } from "./connectivity.ts";
import { credentialRules } from "./credentials.ts";
import { exposureRules } from "./exposure.ts";
import { identityRules } from "./identity.ts";
import { updateRules } from "./updates.ts";

export const allRules: readonly Rule[] = [...credentialRules, ...identityRules, ...updateRules, ...connectivityRules, ...exposureRules];

export function findRule(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}
