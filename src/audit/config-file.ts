/**
 * The scan config file (YAML or JSON): rule settings and suppressions kept in version control next to the inventory.
 *
 *   rules:
 *     cert-expiring: { params: { days: 60 } }
 *   suppressions:
 *     - rule: sim-public-ip
 *       device_id: meter-0042          # or fingerprint: …, or neither for the whole rule
 *       reason: reachable only through the operator's firewall
 *       expires: 2027-06-30
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseIsoDate } from "../core/dates.ts";
import { resolveConfigPaths } from "../formats/config-paths.ts";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { fileParamNames } from "./file-params.ts";
import type { Suppression } from "../store/store.ts";
import { parseRuleSettings, type RuleSettings } from "./config.ts";
import type { Rule } from "./rule.ts";

const SuppressionSchema = z
  .object({
    rule: z.string().min(1),
    fingerprint: z.string().regex(/^[0-9a-f]{32}$/, "is not a finding fingerprint (32 hex characters)").optional(),
    device_id: z.string().min(1).optional(),
    reason: z.string().min(3, "must say why (at least a few words)"),
    expires: z.string().refine((s) => parseIsoDate(s) !== undefined, "is not an ISO 8601 date").optional(),
  })
  .strict();

// `respond:` belongs to respond/config.ts; it may share the file so that one longwatch.yaml configures a site.
const ConfigSchema = z.object({ rules: z.unknown().optional(), suppressions: z.array(SuppressionSchema).default([]), respond: z.unknown().optional() }).strict();

export interface ScanConfig {
  settings: Map<string, RuleSettings>;
  suppressions: Suppression[];
}

export class ConfigError extends Error {}

export function loadScanConfig(file: string, rules: readonly Rule[]): ScanConfig {
  const read = readYamlText(readFileSync(file, "utf8"), { uniqueKeys: false });
  if (!read.ok) throw new ConfigError(yamlProblemText(file, read));
  const at = (path: readonly PropertyKey[]) => {
    const line = read.lineOf(path);
    return line !== undefined ? `:${line}` : "";
  };
  // Files a rule's parameters name are relative to this file (not to the working directory).
  for (const r of rules) resolveConfigPaths(read.value, file, fileParamNames(r.params).map((p) => ["rules", r.id, "params", p]));
  const parsed = ConfigSchema.safeParse(read.value ?? {});
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${file}${at(i.path)}: ${i.path.join(".")}: ${i.message}`).join("\n"));
  const settings = parseRuleSettings(parsed.data.rules, rules);
  if (!settings.ok) throw new ConfigError(settings.errors.map((e) => `${file}${at(e.split(":")[0]!.split("."))}: ${e}`).join("\n"));
  const known = new Set(rules.map((r) => r.id));
  const suppressions = parsed.data.suppressions.map((s, i): Suppression => {
    if (!known.has(s.rule) && s.rule !== "*") throw new ConfigError(`${file}${at(["suppressions", i, "rule"])}: suppressions.${i}.rule: no rule "${s.rule}"`);
    const out: Suppression = { id: -(i + 1), rule: s.rule, reason: s.reason, created_at: "config" };
    if (s.fingerprint !== undefined) out.fingerprint = s.fingerprint;
    if (s.device_id !== undefined) out.device_id = s.device_id;
    if (s.expires !== undefined) out.expires = s.expires;
    return out;
  });
  return { settings: settings.settings, suppressions };
}
