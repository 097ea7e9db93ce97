/** `longwatch suppress add|list|remove`: accept a finding, a rule on one device, or a whole rule, for a reason. */
import type { Command } from "commander";
import { findRule } from "../audit/rules/index.ts";
import { formatIsoDate, parseIsoDate } from "../core/dates.ts";
import { renderTable } from "../report/table.ts";
import type { CommandModule } from "./command.ts";
import { UsageError } from "./context.ts";
import { withStore } from "./store.ts";

export const suppressCommand: CommandModule = {
  register(program, ctx) {
    const group = program.command("suppress").description("accept findings for a stated reason, optionally until a date");
    group
      .command("add")
      .description("suppress a rule's findings: one finding (--fingerprint), one device (--device), or all")
      .argument("<rule>", "rule id")
      .requiredOption("--reason <text>", "why this is accepted (kept with the suppression and shown in reports)")
      .option("--fingerprint <fp>", "only this finding (fingerprint from the json/csv/sarif output)")
      .option("--device <id>", "only this device")
      .option("--expires <date>", "stop suppressing after this date (ISO 8601)")
      .action(async (rule: string, o: { reason: string; fingerprint?: string; device?: string; expires?: string }, cmd: Command) => {
        if (!findRule(rule)) throw new UsageError(`no rule "${rule}"; \`longwatch rules\` lists them`);
        if (o.fingerprint !== undefined && !/^[0-9a-f]{32}$/.test(o.fingerprint)) throw new UsageError("--fingerprint: expected 32 hex characters");
        if (o.expires !== undefined && parseIsoDate(o.expires) === undefined) throw new UsageError(`--expires: "${o.expires}" is not an ISO 8601 date`);
        if (o.reason.trim().length < 3) throw new UsageError("--reason: say why this is accepted");
        await withStore(cmd, ctx, async (store) => {
          const s = await store.findings.addSuppression(
            { rule, reason: o.reason.trim(), ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}), ...(o.device ? { device_id: o.device } : {}), ...(o.expires ? { expires: o.expires } : {}) },
            formatIsoDate(Date.now()),
          );
          ctx.out(`Suppression ${s.id} added: ${rule}${o.fingerprint ? ` finding ${o.fingerprint}` : o.device ? ` on ${o.device}` : " (all findings)"}${o.expires ? ` until ${o.expires}` : ""}. It applies from the next scan.`);
        });
      });
    group
      .command("list")
      .description("list suppressions")
      .action(async (_o: unknown, cmd: Command) => {
        await withStore(cmd, ctx, async (store) => {
          const all = await store.findings.suppressions();
          if (all.length === 0) return ctx.out("No suppressions.");
          ctx.out(renderTable(["ID", "RULE", "SCOPE", "EXPIRES", "REASON"], all.map((s) => [String(s.id), s.rule, s.fingerprint ?? s.device_id ?? "all", s.expires ?? "never", s.reason])));
        });
      });
    group
      .command("remove")
      .description("remove a suppression by id")
      .argument("<id>")
      .action(async (id: string, _o: unknown, cmd: Command) => {
        if (!/^\d+$/.test(id)) throw new UsageError("<id> must be a number (see `longwatch suppress list`)");
        await withStore(cmd, ctx, async (store) => {
          if (!(await store.findings.removeSuppression(Number(id)))) throw new UsageError(`no suppression ${id}`);
          ctx.out(`Suppression ${id} removed.`);
        });
      });
  },
};
