/**
 * `longwatch alerts`: the alerts detection stored — list and show them, move them through their lifecycle
 * (open → acknowledged → resolved), record verdicts (a benign one teaches the next `detect` run), and suppress a
 * detector's alerts for a while.
 */
import { Argument, type Command, Option } from "commander";
import { parseIsoDate } from "../core/dates.ts";
import { ALERT_STATES, type AlertState, VERIFICATIONS, type Verification } from "../core/record.ts";
import { SEVERITIES, type Severity } from "../core/severity.ts";
import { allDetectors } from "../detect/detectors/index.ts";
import { renderTable } from "../report/table.ts";
import { ALERT_FORMATS, type AlertFormat, alertBlock, renderAlerts } from "./alert-output.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { withStore } from "./store.ts";


function transition(ctx: CliContext, group: Command, name: string, state: AlertState, what: string): void {
  group
    .command(name)
    .description(what)
    .argument("<ids...>", "alert ids")
    .option("--note <text>", "why (kept with the alert)")
    .action(async (ids: string[], o: { note?: string }, cmd: Command) => {
      await withStore(cmd, ctx, async (s) => {
        for (const id of ids) {
          const a = await s.alerts.setState(id, state, o.note, new Date().toISOString());
          if (!a) throw new UsageError(`no alert ${id}`);
          ctx.out(`${id} is now ${state}.`);
        }
      });
    });
}

export const alertsCommand: CommandModule = {
  register(program, ctx) {
    const group = program.command("alerts").description("list, explain, acknowledge, resolve, verify and suppress detection alerts");
    group
      .command("list", { isDefault: true })
      .description("stored alerts, newest first")
      .addOption(new Option("--state <state>").choices([...ALERT_STATES]))
      .option("--detector <id>")
      .option("--device <id>")
      .addOption(new Option("--severity <min>", "at least this severe").choices([...SEVERITIES]))
      .option("--limit <n>", "at most this many", "200")
      .addOption(new Option("--format <format>").choices([...ALERT_FORMATS]).default("table"))
      .action(async (o: { state?: AlertState; detector?: string; device?: string; severity?: Severity; limit: string; format: AlertFormat }, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const alerts = await s.alerts.list({ ...(o.state ? { state: o.state } : {}), ...(o.detector ? { detector: o.detector } : {}), ...(o.device ? { device_id: o.device } : {}), ...(o.severity ? { severity: o.severity } : {}), limit: Number(o.limit) || 200 });
          ctx.out(renderAlerts(alerts, o.format, ctx.colors(), 0));
        });
      });
    group
      .command("show")
      .description("one alert in full: what was seen, compared with what, what to do, and the evidence")
      .argument("<id>")
      .action(async (id: string, _o: unknown, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const a = await s.alerts.get(id);
          if (!a) throw new UsageError(`no alert ${id}`);
          const d = allDetectors.find((x) => x.id === a.detector);
          ctx.out(`${alertBlock(a, ctx.colors(), true)}${d ? `\n  ${ctx.colors().bold("Why it matters:")} ${d.why}` : ""}\n  State: ${a.state}; verification: ${a.verification}.`);
        });
      });
    transition(ctx, group, "ack", "acknowledged", "acknowledge: someone is looking at it");
    transition(ctx, group, "resolve", "resolved", "resolve: dealt with");
    transition(ctx, group, "reopen", "open", "reopen an acknowledged or resolved alert");
    group
      .command("verify")
      .description("record a verdict; benign_positive teaches the detector at the next `detect --state` run")
      .argument("<id>")
      .addArgument(new Argument("<verdict>", VERIFICATIONS.join(" | ")).choices([...VERIFICATIONS]))
      .option("--note <text>")
      .action(async (id: string, verdict: Verification, o: { note?: string }, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const a = await s.alerts.verify(id, verdict, o.note, new Date().toISOString());
          if (!a) throw new UsageError(`no alert ${id}`);
          ctx.out(`${id} verified ${verdict}.${verdict === "benign_positive" ? " The next `longwatch detect --state …` run learns it, so the same behaviour stops alerting." : ""}`);
        });
      });
    group
      .command("suppress")
      .description("stop raising a detector's alerts (on one device, for one key) until a date")
      .argument("<detector>")
      .option("--device <id>")
      .option("--key <key>", "only alerts with this key (e.g. host:ntp.example.com)")
      .requiredOption("--reason <text>")
      .option("--expires <date>", "ISO 8601; without it the suppression lasts until removed")
      .action(async (detector: string, o: { device?: string; key?: string; reason: string; expires?: string }, cmd: Command) => {
        if (!allDetectors.some((d) => d.id === detector)) throw new UsageError(`no detector "${detector}"`);
        if (o.expires !== undefined && parseIsoDate(o.expires) === undefined) throw new UsageError(`--expires: "${o.expires}" is not an ISO 8601 date`);
        await withStore(cmd, ctx, async (s) => {
          const sup = await s.alerts.addSuppression({ detector, reason: o.reason, ...(o.device ? { device_id: o.device } : {}), ...(o.key ? { key: o.key } : {}), ...(o.expires ? { expires: o.expires } : {}) }, new Date().toISOString());
          ctx.out(`Alert suppression ${sup.id} added; it applies from the next detect run.`);
        });
      });
    group
      .command("unsuppress")
      .description("remove an alert suppression")
      .argument("<id>")
      .action(async (id: string, _o: unknown, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          if (!(await s.alerts.removeSuppression(Number(id)))) throw new UsageError(`no alert suppression ${id}`);
          ctx.out(`Alert suppression ${id} removed.`);
        });
      });
    group
      .command("suppressions")
      .description("list alert suppressions")
      .action(async (_o: unknown, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const list = await s.alerts.suppressions();
          ctx.out(list.length === 0 ? "No alert suppressions." : renderTable(["ID", "DETECTOR", "DEVICE", "KEY", "EXPIRES", "REASON"], list.map((x) => [String(x.id), x.detector, x.device_id ?? "*", x.key ?? "*", x.expires ?? "never", x.reason])));
        });
      });
  },
};
