/**
 * `longwatch alerts`: the alerts detection stored — list and show them, move them through their lifecycle
 * (open → acknowledged → resolved), record verdicts (a benign one teaches the next `detect` run), and suppress a
 * detector's alerts for a while.
 */
import { Argument, type Command, Option } from "commander";
import { parseIsoDate } from "../core/dates.ts";
import { type Alert, ALERT_STATES, type AlertState, VERIFICATIONS, type Verification } from "../core/record.ts";
import { SEVERITIES, type Severity } from "../core/severity.ts";
import { allDetectors } from "../detect/detectors/index.ts";
import { type AlertAction, actOnAlerts, suppressAlerts } from "../detect/alert-lifecycle.ts";
import { renderTable } from "../report/table.ts";
import { ALERT_FORMATS, type AlertFormat, alertBlock, renderAlerts } from "./alert-output.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { withStore } from "./store.ts";


/** Who is acting: --by, else LONGWATCH_USER, else the login name. */
function actor(ctx: CliContext, by: string | undefined): string {
  return by ?? ctx.io.env.LONGWATCH_USER ?? ctx.io.env.USER ?? ctx.io.env.LOGNAME ?? "cli";
}

async function act(ctx: CliContext, cmd: Command, ids: string[], action: AlertAction, o: { note?: string; by?: string }, say: (a: Alert) => string): Promise<void> {
  await withStore(cmd, ctx, async (s) => {
    const r = await actOnAlerts(s, ids, action, { actor: actor(ctx, o.by), at: new Date(ctx.now()).toISOString(), ...(o.note !== undefined ? { comment: o.note } : {}) });
    for (const a of r.changed) ctx.out(say(a));
    if (r.missing.length) throw new UsageError(`no alert ${r.missing.join(", ")}${r.changed.length ? ` (the others were changed)` : ""}`);
  });
}

function transition(ctx: CliContext, group: Command, name: "ack" | "resolve" | "reopen", state: AlertState, what: string): void {
  group
    .command(name)
    .description(what)
    .argument("<ids...>", "alert ids")
    .option("--note <text>", "why (kept with the alert and in its history)")
    .option("--by <name>", "who (default: LONGWATCH_USER or your login name)")
    .action(async (ids: string[], o: { note?: string; by?: string }, cmd: Command) => {
      await act(ctx, cmd, ids, { kind: name }, o, (a) => `${a.id} is now ${state}.`);
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
          const history = await s.alerts.history(id);
          const lines = history.map((e) => `    ${e.at}  ${e.actor}: ${e.action === "comment" ? "commented" : `${e.action} ${e.from ?? "—"} → ${e.to ?? "nobody"}`}${e.comment ? ` — ${e.comment}` : ""}`);
          ctx.out(
            `${alertBlock(a, ctx.colors(), true)}${d ? `\n  ${ctx.colors().bold("Why it matters:")} ${d.why}` : ""}\n  State: ${a.state}; verification: ${a.verification}${a.assignee ? `; assigned to ${a.assignee}` : ""}.` +
              (lines.length ? `\n  History:\n${lines.join("\n")}` : ""),
          );
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
      .argument("[more...]", "more alert ids with the same verdict")
      .option("--note <text>", "why (kept with the alert and in its history)")
      .option("--by <name>", "who (default: LONGWATCH_USER or your login name)")
      .action(async (id: string, verdict: Verification, more: string[], o: { note?: string; by?: string }, cmd: Command) => {
        await act(ctx, cmd, [id, ...more], { kind: "verify", verification: verdict }, o, (a) =>
          `${a.id} verified ${verdict}.${verdict === "benign_positive" ? " The next `longwatch detect --state …` run learns it, so the same behaviour stops alerting." : ""}`,
        );
      });
    group
      .command("assign")
      .description("give alerts to someone to look after (--nobody takes them back)")
      .argument("<ids...>", "alert ids")
      .option("--to <name>", "who looks after them")
      .option("--nobody", "assigned to nobody")
      .option("--note <text>", "why")
      .option("--by <name>", "who is assigning (default: LONGWATCH_USER or your login name)")
      .action(async (ids: string[], o: { to?: string; nobody?: boolean; note?: string; by?: string }, cmd: Command) => {
        if ((o.to === undefined) === (o.nobody !== true)) throw new UsageError("give --to NAME or --nobody");
        await act(ctx, cmd, ids, { kind: "assign", assignee: o.to ?? null }, o, (a) => `${a.id} is ${a.assignee ? `assigned to ${a.assignee}` : "assigned to nobody"}.`);
      });
    group
      .command("comment")
      .description("add a comment to an alert's history")
      .argument("<id>")
      .argument("<text>")
      .option("--by <name>", "who (default: LONGWATCH_USER or your login name)")
      .action(async (id: string, text: string, o: { by?: string }, cmd: Command) => {
        await act(ctx, cmd, [id], { kind: "comment" }, { note: text, ...(o.by !== undefined ? { by: o.by } : {}) }, (a) => `Comment added to ${a.id}.`);
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
        if (o.expires !== undefined && parseIsoDate(o.expires) === undefined) throw new UsageError(`--expires: "${o.expires}" is not an ISO 8601 date`);
        await withStore(cmd, ctx, async (s) => {
          const known = new Set<string>(allDetectors.map((d) => d.id));
          const request = { detector, reason: o.reason, ...(o.device ? { device_id: o.device } : {}), ...(o.key ? { key: o.key } : {}), ...(o.expires ? { expires: o.expires } : {}) };
          const sup = await suppressAlerts(s, request, new Date(ctx.now()).toISOString(), known);
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
