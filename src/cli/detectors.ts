/** `longwatch detectors [ID]`: what each detector looks for, its warm-up and parameters with their defaults. */
import { Option } from "commander";
import { z } from "zod";
import { allDetectors } from "../detect/detectors/index.ts";
import { renderTable } from "../report/table.ts";
import type { CommandModule } from "./command.ts";
import { UsageError } from "./context.ts";

function paramsOf(schema: z.ZodType): { name: string; default: unknown; description: string }[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, { default?: unknown; description?: string }> };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({ name, default: p.default, description: p.description ?? "" }));
}

export const detectorsCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("detectors")
      .description("list the behaviour detectors, or explain one (what it looks for, warm-up, parameters)")
      .argument("[id]")
      .addOption(new Option("--format <format>").choices(["table", "json"]).default("table"))
      .action((id: string | undefined, o: { format: string }) => {
        const list = id ? allDetectors.filter((d) => d.id === id) : allDetectors;
        if (id && list.length === 0) throw new UsageError(`no detector "${id}"`);
        const docs = list.map((d) => ({ id: d.id, title: d.title, severity: d.severity, kinds: d.kinds, warmup: d.warmup, why: d.why, action: d.action, params: paramsOf(d.params) }));
        if (o.format === "json") return ctx.out(JSON.stringify(docs, null, 2));
        if (!id) return ctx.out(renderTable(["DETECTOR", "SEVERITY", "RECORDS", "TITLE"], docs.map((d) => [d.id, d.severity, d.kinds.join(","), d.title])));
        const d = docs[0]!;
        const c = ctx.colors();
        ctx.out([`${c.bold(d.id)} — ${d.title} (${d.severity}; reads ${d.kinds.join(", ")})`, "", d.why, "", `${c.bold("Warm-up:")} ${d.warmup}`, `${c.bold("What to do:")} ${d.action}`, "", c.bold("Parameters (set in detect --config):"), ...d.params.map((p) => `  ${p.name} = ${JSON.stringify(p.default)}  ${c.dim(p.description)}`)].join("\n"));
      });
  },
};
