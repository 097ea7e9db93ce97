/** docs/rules.md: every rule's explanation and parameters, rendered from the rule registry (`npm run gen:docs`). */
import type { Rule } from "../audit/rule.ts";
import { RULE_FAMILIES } from "../audit/rule.ts";
import { ruleParams } from "./explain.ts";

export function rulesMarkdown(rules: readonly Rule[]): string {
  const out: string[] = [
    "# Audit rules",
    "",
    "Generated from the rule registry by `npm run gen:docs`; `longwatch explain RULE` prints the same text. Set a rule's",
    "parameters, severity or `enabled: false` in the config file (`longwatch scan --config longwatch.yaml`):",
    "",
    "```yaml",
    "rules:",
    "  cert-expiring: { params: { days: 60 } }",
    "  sim-public-ip: { severity: critical }",
    "```",
    "",
    "| rule | family | severity | standards |",
    "|---|---|---|---|",
    ...rules.map((r) => `| [\`${r.id}\`](#${r.id}) | ${r.family} | ${r.severity} | ${r.standards.map((s) => `\`${s}\``).join(" ")} |`),
  ];
  for (const family of RULE_FAMILIES) {
    const inFamily = rules.filter((r) => r.family === family);
    if (inFamily.length === 0) continue;
    out.push("", `## ${family[0]!.toUpperCase()}${family.slice(1)}`);
    for (const r of inFamily) {
      out.push("", `### ${r.id}`, "", `**${r.title}.** Default severity: ${r.severity}. Standards: ${r.standards.map((s) => `\`${s}\``).join(", ")}.${r.attack?.length ? ` MITRE ATT&CK: ${r.attack.map((t) => `[${t}](https://attack.mitre.org/techniques/${t.replace(".", "/")}/)`).join(", ")}.` : ""}`, "", `*Why it matters.* ${r.rationale}`, "", `*What to do.* ${r.remediation}`);
      const params = ruleParams(r);
      if (params.length) {
        out.push("", "| parameter | default | meaning |", "|---|---|---|");
        for (const p of params) out.push(`| \`${p.name}\` | \`${JSON.stringify(p.default)}\` | ${p.description ?? ""} |`);
      }
    }
  }
  return `${out.join("\n")}\n`;
}
