/** Every audit rule Longwatch ships, by family. Adding a rule = one module in a family file + its tests. */
import type { Rule } from "../rule.ts";
import { connectivityRules } from "./connectivity.ts";
import { credentialRules } from "./credentials.ts";
import { exposureRules } from "./exposure.ts";
import { lifecycleRules } from "./lifecycle.ts";
import { identityRules } from "./identity.ts";
import { inventoryRules } from "./inventory.ts";
import { updateRules } from "./updates.ts";
import { vulnerabilityRules } from "./vulnerabilities.ts";
import { worstCaseRules } from "./worst-case.ts";

export const allRules: readonly Rule[] = [...credentialRules, ...identityRules, ...updateRules, ...connectivityRules, ...exposureRules, ...vulnerabilityRules, ...lifecycleRules, ...inventoryRules, ...worstCaseRules];

export function findRule(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}
