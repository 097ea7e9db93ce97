import { Option } from "commander";
import { allRules, findRule } from "../audit/rules/index.ts";
import { csvLine } from "../formats/csv.ts";
import { explainRule, ruleParams } from "../report/explain.ts";
import { renderTable } from "../report/table.ts";
import type { CommandModule } from "./command.ts";
import { UsageError } from "./context.ts";

export const rulesCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("rules")
      .description("list every audit rule with its severity and the standards it maps to")
      .addOption(new Option("--format <format>", "output format").choices(["table", "json", "ndjson", "csv"]).default("table"))
      .action((o: { format: string }) => {
        const rows = allRules.map((r) => ({ id: r.id, family: r.family, severity: r.severity, title: r.title, standards: r.standards }));
        if (o.format === "json") ctx.out(JSON.stringify(allRules.map((r) => ({ ...r, params: ruleParams(r), start: undefined })), null, 2));
        else if (o.format === "ndjson") for (const r of rows) ctx.out(JSON.stringify(r));
        else if (o.format === "csv") ctx.out([csvLine(["id", "family", "severity", "title", "standards"]), ...rows.map((r) => csvLine([r.id, r.family, r.severity, r.title, r.standards]))].join("\n"));
        else ctx.out(renderTable(["RULE", "FAMILY", "SEVERITY", "STANDARDS"], rows.map((r) => [r.id, r.family, r.severity, r.standards.join(" ")]), { maxWidth: 40 }));
      });
    program
      .command("explain")
      .description("explain a rule: why it matters and how to fix what it finds")
      .argument("<rule>", "rule id, e.g. default-password")
      .action((id: string) => {
        const rule = findRule(id);
        if (!rule) throw new UsageError(`no rule "${id}"; \`longwatch rules\` lists them`);
        ctx.out(explainRule(rule, ctx.colors()));
      });
  },
};
