/**
 * User settings for rules, from the `rules:` section of a config file:
 *
 *   rules:
 *     cert-expiring: { params: { days: 60 } }
 *     sim-public-ip: { enabled: false }
 *     no-ota: { severity: low }
 *
 * Each rule's params are validated against that rule's own schema, so a typo is an error that names the rule and key.
 */
import { z } from "zod";
import { SEVERITIES, type Severity } from "../core/severity.ts";
import type { Rule } from "./rule.ts";

export interface RuleSettings {
  enabled?: boolean;
  severity?: Severity;
  params?: unknown;
}

const SettingsSchema = z
  .object({ enabled: z.boolean().optional(), severity: z.enum(SEVERITIES).optional(), params: z.record(z.string(), z.unknown()).optional() })
  .strict();

export type ConfigResult = { ok: true; settings: Map<string, RuleSettings> } | { ok: false; errors: string[] };

export function parseRuleSettings(raw: unknown, rules: readonly Rule[]): ConfigResult {
  const errors: string[] = [];
  const settings = new Map<string, RuleSettings>();
  if (raw === undefined || raw === null) return { ok: true, settings };
  if (typeof raw !== "object" || Array.isArray(raw)) return { ok: false, errors: ["rules: must be a mapping of rule id to settings"] };
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const [id, value] of Object.entries(raw)) {
    const rule = byId.get(id);
    if (!rule) {
      errors.push(`rules.${id}: no such rule (see \`longwatch rules\`)`);
      continue;
    }
    const s = SettingsSchema.safeParse(value ?? {});
    if (!s.success) {
      for (const i of s.error.issues) errors.push(`rules.${id}.${i.path.join(".")}: ${i.message}`);
      continue;
    }
    const out: RuleSettings = {};
    if (s.data.enabled !== undefined) out.enabled = s.data.enabled;
    if (s.data.severity !== undefined) out.severity = s.data.severity;
    const p = rule.params.safeParse(s.data.params ?? {});
    if (!p.success) {
      for (const i of p.error.issues) errors.push(`rules.${id}.params.${i.path.join(".")}: ${i.message}`);
      continue;
    }
    out.params = p.data;
    settings.set(id, out);
  }
  return errors.length ? { ok: false, errors } : { ok: true, settings };
}
