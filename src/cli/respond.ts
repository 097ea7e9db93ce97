/**
 * `longwatch respond`: act on what Longwatch found — quarantine a device on the broker, suspend or lock its SIM,
 * revoke a certificate, open a rotation task, call a webhook or a command — through proposals that a second person
 * approves, dry runs by default, verification after every change, reversal, and a log that proves what happened.
 */
import { writeOutputFile } from "./output.ts";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { RESPONSE_STATES, type ResponseState, type Target } from "../core/response.ts";
import { actionById, allActions } from "../respond/actions/index.ts";
import { pause, pauseState, respondTo, resume, sweep } from "../respond/automatic.ts";
import { loadRespondSettings } from "../respond/config.ts";
import type { RespondDeps } from "../respond/context.ts";
import { apply, approvalNeeded, approve, confirm, escalate, propose, reject, reverse, verify } from "../respond/engine.ts";
import { verifyLog } from "../respond/log.ts";
import { renderTable } from "../report/table.ts";
import type { Finding } from "../core/finding.ts";
import { type CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { logTable, planBlock, responseBlock, responseTable, revokedCsv } from "./respond-output.ts";
import { withStore } from "./store.ts";

interface GroupOpts {
  config?: string;
  as?: string;
}

function group(cmd: Command): GroupOpts {
  let c: Command | null = cmd;
  while (c && c.name() !== "respond") c = c.parent;
  return (c?.opts() ?? {}) as GroupOpts;
}

function actor(ctx: CliContext, cmd: Command): string {
  return group(cmd).as ?? ctx.io.env.LONGWATCH_ACTOR ?? userInfo().username;
}

async function withDeps<T>(ctx: CliContext, cmd: Command, fn: (d: RespondDeps) => Promise<T>): Promise<T> {
  const file = group(cmd).config ?? ctx.io.env.LONGWATCH_CONFIG;
  const settings = loadRespondSettings(file === undefined ? undefined : resolve(ctx.io.cwd, file));
  return withStore(cmd, ctx, (store) => fn({ store, settings, env: ctx.io.env, now: () => ctx.now() }));
}

/** `device:ID` (or a bare ID), `cert:SHA256`, `credential:DEVICE/SERVICE/USERNAME`. */
export function parseTarget(s: string): Target {
  const m = /^(device|cert|certificate|credential):(.+)$/.exec(s);
  if (!m) return { kind: "device", id: s };
  const kind = m[1] === "cert" || m[1] === "certificate" ? "certificate" : (m[1] as "device" | "credential");
  const id = kind === "certificate" ? m[2]!.toLowerCase().replaceAll(":", "") : m[2]!;
  if (kind === "certificate" && !/^[0-9a-f]{64}$/.test(id)) throw new UsageError(`cert:${m[2]}: a certificate is named by its SHA-256 fingerprint (64 hex digits)`);
  return { kind, id };
}

/** `--param key=value` (value read as JSON when it is JSON, text otherwise) and `--params JSON`. */
function params(list: string[], json: string | undefined): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  if (json !== undefined) {
    try {
      out = JSON.parse(json) as Record<string, unknown>;
    } catch {
      throw new UsageError("--params: not a JSON object");
    }
    if (out === null || typeof out !== "object" || Array.isArray(out)) throw new UsageError("--params: not a JSON object");
  }
  for (const p of list) {
    const i = p.indexOf("=");
    if (i <= 0) throw new UsageError(`--param ${p}: write key=value`);
    const raw = p.slice(i + 1);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      v = raw;
    }
    out[p.slice(0, i)] = v;
  }
  return out;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const FORMATS = ["table", "json"] as const;

export const respondCommand: CommandModule = {
  register(program, ctx) {
    const g = program
      .command("respond")
      .description("act on findings and alerts: plan, approve, apply, verify, reverse — with four eyes, dry runs and a tamper-evident log")
      .option("--config <file>", "config file with a respond: section (connectors, approvals, playbooks); also LONGWATCH_CONFIG")
      .option("--as <name>", "who is acting (also LONGWATCH_ACTOR; default: your user name)");

    g.command("actions")
      .description("the actions Longwatch can take, what they act on and whether they can be undone")
      .option("--verbose", "say what each one does")
      .addOption(new Option("--format <f>").choices([...FORMATS]).default("table"))
      .action((o: { verbose?: boolean; format: string }) => {
        if (o.format === "json") return ctx.out(JSON.stringify(allActions.map(({ id, title, target, reversible, description, escalation }) => ({ id, title, target, reversible, description, ...(escalation ? { escalation } : {}) })), null, 2));
        ctx.out(o.verbose ? allActions.map((a) => `${ctx.colors().bold(a.id)} (${a.target}, ${a.reversible ? "reversible" : "irreversible"})\n  ${a.description}`).join("\n\n") : renderTable(["ACTION", "TARGET", "REVERSIBLE", "TITLE"], allActions.map((a) => [a.id, a.target, a.reversible ? "yes" : "no", a.title])));
      });

    g.command("plan")
      .description("propose an action on a target and show what it would change (nothing changes yet)")
      .argument("<action>", "an action id (longwatch respond actions)")
      .argument("<target>", "device:ID (or ID), cert:SHA256, credential:DEVICE/SERVICE/USERNAME")
      .requiredOption("--reason <text>", "why (kept in the log)")
      .option("--param <key=value>", "an action parameter (repeatable)", collect, [])
      .option("--params <json>", "all parameters as a JSON object")
      .option("--offline", "plan without reading the target's current state")
      .addOption(new Option("--format <f>").choices([...FORMATS]).default("table"))
      .action(async (action: string, target: string, o: { reason: string; param: string[]; params?: string; offline?: boolean; format: string }, cmd: Command) => {
        if (!actionById(action)) throw new UsageError(`no action "${action}" (see longwatch respond actions)`);
        await withDeps(ctx, cmd, async (d) => {
          const r = await propose(d, actor(ctx, cmd), { action, target: parseTarget(target), params: params(o.param, o.params), reason: o.reason, ...(o.offline ? { offline: true } : {}) });
          ctx.out(o.format === "json" ? JSON.stringify(r, null, 2) : `Proposed:\n${responseBlock(r, ctx.colors(), approvalNeeded(d, r))}`);
        });
      });

    g.command("approve")
      .description("approve someone else's proposal (four eyes); the approval expires")
      .argument("<id>")
      .option("--note <text>")
      .action(async (id: string, o: { note?: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => ctx.out(responseBlock(await approve(d, actor(ctx, cmd), id, o.note), ctx.colors(), true)));
      });

    g.command("reject")
      .description("decline a proposal")
      .argument("<id>")
      .requiredOption("--reason <text>")
      .action(async (id: string, o: { reason: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => ctx.out(responseBlock(await reject(d, actor(ctx, cmd), id, o.reason), ctx.colors(), true)));
      });

    g.command("apply")
      .description("show what applying would do (the default, a dry run), or carry it out with --execute and verify it")
      .argument("<id>")
      .option("--execute", "really make the change")
      .action(async (id: string, o: { execute?: boolean }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const out = await apply(d, actor(ctx, cmd), id, { execute: o.execute === true });
          if (!out.executed) {
            ctx.out(`Dry run — nothing was changed. Applying ${id} would:\n${planBlock(out.plan, ctx.colors())}\nRun again with --execute to carry it out.`);
            return;
          }
          ctx.out(responseBlock(out.response, ctx.colors(), true));
          if (out.response.state === "failed") ctx.exit(1);
        });
      });

    g.command("verify")
      .description("read the result back from the broker or provider again")
      .argument("<id>")
      .action(async (id: string, _o: unknown, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const r = await verify(d, actor(ctx, cmd), id);
          ctx.out(responseBlock(r, ctx.colors(), true));
          if (r.state === "failed") ctx.exit(1);
        });
      });

    g.command("reverse")
      .description("undo an applied response (reversible actions only)")
      .argument("<id>")
      .option("--reason <text>")
      .action(async (id: string, o: { reason?: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => ctx.out(responseBlock(await reverse(d, actor(ctx, cmd), id, o.reason), ctx.colors(), true)));
      });

    g.command("escalate")
      .description("propose the stronger action this one declares (e.g. mqtt-quarantine → mqtt-disable) on the same target")
      .argument("<id>")
      .requiredOption("--reason <text>")
      .action(async (id: string, o: { reason: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const r = await escalate(d, actor(ctx, cmd), id, o.reason);
          ctx.out(`Proposed:\n${responseBlock(r, ctx.colors(), approvalNeeded(d, r))}`);
        });
      });

    g.command("confirm")
      .description("keep an automatic response: its time-to-live no longer reverses it")
      .argument("<id>")
      .option("--note <text>")
      .action(async (id: string, o: { note?: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => ctx.out(responseBlock(await confirm(d, actor(ctx, cmd), id, o.note), ctx.colors(), true)));
      });

    g.command("list", { isDefault: true })
      .description("responses, newest first")
      .addOption(new Option("--state <s>").choices([...RESPONSE_STATES]))
      .option("--action <id>")
      .option("--target <id>")
      .option("--limit <n>", "at most this many", "200")
      .addOption(new Option("--format <f>").choices([...FORMATS]).default("table"))
      .action(async (o: { state?: ResponseState; action?: string; target?: string; limit: string; format: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const rs = await d.store.responses.list({ ...(o.state ? { state: o.state } : {}), ...(o.action ? { action: o.action } : {}), ...(o.target ? { target_id: o.target } : {}), limit: Number(o.limit) || 200 });
          ctx.out(o.format === "json" ? JSON.stringify(rs, null, 2) : responseTable(rs, ctx.colors()));
        });
      });

    g.command("show")
      .description("one response in full")
      .argument("<id>")
      .addOption(new Option("--format <f>").choices([...FORMATS]).default("table"))
      .action(async (id: string, o: { format: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const r = await d.store.responses.get(id);
          if (!r) throw new UsageError(`no response ${id}`);
          ctx.out(o.format === "json" ? JSON.stringify(r, null, 2) : responseBlock(r, ctx.colors(), approvalNeeded(d, r)));
        });
      });

    g.command("log")
      .description("the hash-chained response log; --verify checks every line, --format jsonl exports it")
      .option("--verify", "check the chain and name the first line that does not hold")
      .addOption(new Option("--format <f>").choices(["table", "jsonl"]).default("table"))
      .option("--output <file>", "write the export to a file")
      .action(async (o: { verify?: boolean; format: string; output?: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          if (o.verify) {
            const v = await verifyLog(d.store.responses);
            if (v.ok) ctx.out(`The response log holds: ${v.lines} line(s), chain intact. Head hash: ${v.head || "(empty)"}\nKeep the head hash somewhere else; a later check against it also catches a rewritten tail.`);
            else {
              ctx.err(`The response log has been tampered with: ${v.broken!.reason}. The ${v.lines - 1} line(s) before it hold (head ${v.head || "(none)"}).`);
              ctx.exit(1);
            }
            return;
          }
          const all = [];
          for await (const page of d.store.responses.log()) all.push(...page);
          const text = o.format === "jsonl" ? all.map((e) => JSON.stringify(e)).join("\n") : logTable(all);
          if (o.output) {
            writeOutputFile(resolve(ctx.io.cwd, o.output), text + (text ? "\n" : ""));
            ctx.err(`Wrote ${all.length} log line(s) to ${o.output}.`);
          } else ctx.out(text);
        });
      });

    g.command("pause")
      .description("stop every automatic response (people can still act)")
      .requiredOption("--reason <text>")
      .action(async (o: { reason: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          await pause(d, actor(ctx, cmd), o.reason);
          ctx.out("Automatic response is paused: no playbook applies or reverses anything until `longwatch respond resume`.");
        });
      });

    g.command("resume")
      .description("let automatic response run again")
      .action(async (_o: unknown, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          await resume(d, actor(ctx, cmd));
          ctx.out("Automatic response resumed.");
        });
      });

    g.command("status")
      .description("whether automatic response is on, paused, and how much of its budget is used")
      .action(async (_o: unknown, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const p = await pauseState(d);
          const a = d.settings.automatic;
          const used = await d.store.responses.automaticTargetsSince(new Date(d.now() - a.budget.per).toISOString());
          ctx.out([`Automatic response: ${!a.enabled ? "off (respond.automatic.enabled is false)" : p.paused ? `paused by ${p.by} at ${p.at}: ${p.reason}` : "on"}`, `Budget: ${used} of ${a.budget.devices} devices used in the last ${Math.round(a.budget.per / 60_000)} min; time-to-live ${Math.round(a.ttl / 60_000)} min.`, `Playbooks: ${d.settings.playbooks.map((x) => `${x.name} (${x.mode})`).join(", ") || "none"}`].join("\n"));
        });
      });

    g.command("run")
      .description("run the playbooks over the stored open alerts and the latest scan's findings")
      .action(async (_o: unknown, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const alerts = await d.store.alerts.list({ state: "open", limit: 100_000 });
          const findings: Finding[] = [];
          for await (const page of d.store.findings.current()) findings.push(...page);
          const out = await respondTo(d, { alerts, findings });
          ctx.out(`Playbooks: ${out.proposed.length} proposed, ${out.applied.length} applied automatically, ${out.waiting.length} waiting for a person, ${out.skipped.length} skipped.`);
          for (const w of out.waiting) ctx.out(`  ${w.response.id} ${w.response.action} ${w.response.target.id}: ${w.why}`);
          for (const e of out.errors) ctx.err(`  ${e.target}: ${e.message}`);
          if (out.errors.length) ctx.exit(1);
        });
      });

    g.command("sweep")
      .description("reverse automatic responses whose time-to-live ran out without confirmation")
      .action(async (_o: unknown, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const s = await sweep(d);
          ctx.out(s.paused ? "Automatic response is paused: nothing reversed." : `Reversed ${s.reversed.length} expired automatic response(s).${s.skipped.length ? ` ${s.skipped.length} left alone: reversed or being reversed by another process, or confirmed meanwhile.` : ""}`);
          for (const e of s.errors) ctx.err(`  ${e.id}: ${e.message}`);
          if (s.errors.length) ctx.exit(1);
        });
      });

    g.command("revoked")
      .description("export the certificates marked revoked (to load into the broker or CA)")
      .addOption(new Option("--format <f>").choices(["table", "json", "csv"]).default("table"))
      .action(async (o: { format: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const list = await d.store.responses.revoked();
          ctx.out(o.format === "json" ? JSON.stringify(list, null, 2) : o.format === "csv" ? revokedCsv(list) : list.length === 0 ? "No certificates are marked revoked." : renderTable(["FINGERPRINT", "SERIAL", "REASON", "REVOKED", "DEVICES"], list.map((r) => [r.fingerprint, r.serial ?? "", r.reason, r.revoked_at, String(r.devices.length)])));
        });
      });

    g.command("tasks")
      .description("credential rotation tasks")
      .addOption(new Option("--state <s>").choices(["open", "closed"]))
      .addOption(new Option("--format <f>").choices([...FORMATS]).default("table"))
      .action(async (o: { state?: "open" | "closed"; format: string }, cmd: Command) => {
        await withDeps(ctx, cmd, async (d) => {
          const list = await d.store.responses.tasks(o.state ? { state: o.state } : {});
          ctx.out(o.format === "json" ? JSON.stringify(list, null, 2) : list.length === 0 ? "No rotation tasks." : renderTable(["ID", "STATE", "CREDENTIAL", "DEVICES", "OPENED", "REASON"], list.map((t) => [String(t.id), t.state, t.credential, String(t.devices.length), t.opened_at, t.reason])));
        });
      });
  },
};
