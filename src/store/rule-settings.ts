/**
 * The settings each scan ran its rules with (table scan_rule_settings, both adapters): the SQL and row mapping the
 * SQLite and PostgreSQL findings repositories share. A row per rule the scan ran; params NULL when the scan was begun
 * without settings for it (then nothing can be said about them, and readers fall back to the rule's defaults).
 */
import type { Severity } from "../core/severity.ts";
import type { ScanRuleSettings, StoredRuleSettings } from "./findings.ts";

export interface RuleSettingsRow {
  scan_id: number | string;
  severity: string | null;
  params: string | null;
}

/** The newest finished scan's row for the one `?` rule. */
export const RULE_SETTINGS = "SELECT s.scan_id, s.severity, s.params FROM scan_rule_settings s JOIN scans c ON c.id = s.scan_id WHERE s.rule = ? AND c.finished_at IS NOT NULL ORDER BY s.scan_id DESC LIMIT 1";

/** Run when the `?` scan finishes: older scans' rows of the rules it ran go. */
export const PRUNE_RULE_SETTINGS = "DELETE FROM scan_rule_settings WHERE EXISTS (SELECT 1 FROM scan_rule_settings n WHERE n.scan_id = ? AND n.rule = scan_rule_settings.rule AND scan_rule_settings.scan_id < n.scan_id)";

/** The rows beginScan writes: one per rule run, its settings as JSON when given. */
export function ruleSettingRows(rules: readonly string[], settings: Readonly<Record<string, ScanRuleSettings>>): [rule: string, { severity: string | null; params: string | null }][] {
  return rules.map((rule) => {
    const s = Object.hasOwn(settings, rule) ? settings[rule] : undefined;
    return [rule, { severity: s?.severity ?? null, params: s ? JSON.stringify(s.params) : null }];
  });
}

export function storedRuleSettings(r: RuleSettingsRow): StoredRuleSettings | undefined {
  if (r.params === null) return undefined;
  return { scan_id: Number(r.scan_id), ...(r.severity !== null ? { severity: r.severity as Severity } : {}), params: JSON.parse(r.params) as Record<string, unknown> };
}
