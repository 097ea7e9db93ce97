/** `longwatch privacy report --model M`: where a model's data goes, against its declaration, with what changed. */
import { writeOutputFile } from "./output.ts";
import { type Command, Option } from "commander";
import { buildPrivacyReport } from "../flows/report.ts";
import { privacyHtml, privacyTable } from "../report/privacy.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { withExistingStore } from "./store.ts";

export function periodStart(flag: string, v: string, now: number): number {
  const m = /^(\d+)([hdw])$/.exec(v);
  if (m) return now - Number(m[1]) * { h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as "h" | "d" | "w"];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`${flag}: "${v}" is neither a duration like 7d, 24h, 4w nor an ISO 8601 date`);
  return t;
}

export const privacyCommand: CommandModule = {
  register(program, ctx: CliContext) {
    const group = program.command("privacy").description("where device data goes: destinations, parties, countries and personal data against what is declared");
    group
      .command("report")
      .description("a model's destinations × purpose × party × country × volume per day, against its declaration, with changes since the last report")
      .requiredOption("--model <model_id>", "device model")
      .option("--since <when>", "start of the period: 30d, 24h, 4w or an ISO date", "30d")
      .addOption(new Option("--format <format>", "output format").choices(["table", "json", "html"]).default("table"))
      .option("--out <file>", "write the report here instead of stdout")
      .option("--no-save", "do not keep this report as the baseline for the next one")
      .action(async (o: { model: string; since: string; format: string; out?: string; save: boolean }, cmd: Command) => {
        const now = ctx.now();
        const since = new Date(periodStart("--since", o.since, now)).toISOString().slice(0, 10);
        const until = new Date(now + 86_400_000).toISOString().slice(0, 10);
        await withExistingStore(cmd, ctx, async (store) => {
          const model = (await store.fleet.models()).find((m) => m.model_id === o.model);
          const [days, devices, previous] = await Promise.all([store.flows.modelDays(o.model, since, until), store.flows.modelDevices(o.model, since, until), store.flows.latestReport(o.model)]);
          if (!model && days.length === 0) throw new UsageError(`no model "${o.model}" and no flows recorded for it`);
          const r = buildPrivacyReport({ modelId: o.model, days, devices, since, until, now, ...(model?.flows ? { declaration: model.flows } : {}), ...(previous ? { previous } : {}) });
          if (o.save) await store.flows.saveReport({ model_id: o.model, created_at: r.generated_at, doc: r });
          const text = o.format === "json" ? `${JSON.stringify(r, null, 2)}\n` : o.format === "html" ? privacyHtml(r) : privacyTable(r);
          if (o.out) {
            writeOutputFile(o.out, text);
            ctx.err(`Wrote ${o.out}`);
          } else ctx.out(text);
        });
      });
  },
};
