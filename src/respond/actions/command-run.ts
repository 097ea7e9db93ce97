/**
 * Runs a configured program (a site's own script: open a ticket, block an IP on a firewall, call a provider Longwatch
 * has no connector for) with templated arguments — directly, never through a shell, with a timeout and a minimal
 * environment. Only commands named in the config can run, and every substituted value is checked against the
 * command's `allowed` pattern. Two actions share this: `command` (irreversible) and `command-reversible`, which
 * requires the command to declare `reverse_args` (and ideally `verify_args`), so a reversal is a real call.
 */
import { execFile } from "node:child_process";
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import type { ActionCall, StateDoc } from "../action.ts";
import type { RespondSettings } from "../settings.ts";
import { fillTemplate, templateValues } from "../template.ts";

export const CommandParams = z.object({ command: z.string().min(1) }).strict();
export type CommandP = z.output<typeof CommandParams>;
type Configured = RespondSettings["connectors"]["commands"][string];

export function configured(call: ActionCall<CommandP>, reversible: boolean): Configured {
  const c = call.ctx.settings.connectors.commands[call.params.command];
  if (!c) throw new LongwatchError("invalid_config", `respond.connectors.commands has no command "${call.params.command}"`);
  if (reversible && c.reverse_args === undefined) throw new LongwatchError("invalid_config", `command "${call.params.command}" declares no reverse_args, so it cannot run as a reversible action; use the action "command"`);
  return c;
}

export async function argv(call: ActionCall<CommandP>, args: readonly string[], key: string): Promise<string[]> {
  const c = configured(call, false);
  const device = call.target.kind === "device" ? await call.ctx.device(call.target.id) : undefined;
  const values = templateValues(call.target, device, call.ctx.responseId, key);
  const allowed = new RegExp(c.allowed);
  return args.map((a, i) => fillTemplate(a, values, allowed, `command ${call.params.command} argument ${i + 1}`));
}

export interface RunResult extends StateDoc {
  exit_code: number;
  stdout: string;
  stderr: string;
}

/** Runs the program and returns its exit code and the start of its output (never throws for a non-zero exit). */
export function run(c: Configured, args: string[], key: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(c.path, args, { shell: false, timeout: c.timeout, maxBuffer: 1 << 20, env: { PATH: "/usr/local/bin:/usr/bin:/bin", LONGWATCH_IDEMPOTENCY_KEY: key } }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      if (e && typeof e.code === "string") return reject(new LongwatchError("invalid_config", `cannot run ${c.path}: ${e.code}`, { path: c.path }));
      if (e?.killed) return reject(new LongwatchError("upstream_failed", `${c.path} did not finish within ${c.timeout} ms and was stopped`, { path: c.path }));
      resolve({ exit_code: typeof e?.code === "number" ? e.code : 0, stdout: stdout.slice(0, 2000), stderr: stderr.slice(0, 2000) });
    });
  });
}

export async function planCommand(call: ActionCall<CommandP>, reversible: boolean) {
  const c = configured(call, reversible);
  const args = await argv(call, c.args, "<key>");
  return { summary: `Run ${c.path} ${args.join(" ")}`.trim(), before: null, after: { command: call.params.command, path: c.path, args }, noop: false, warnings: c.verify_args === undefined ? ["The command declares no verify_args: it is verified by its exit code only."] : [] };
}

export async function applyCommand(call: ActionCall<CommandP>, reversible: boolean, key: string) {
  const c = configured(call, reversible);
  const args = await argv(call, c.args, key);
  const r = await run(c, args, key);
  if (r.exit_code !== 0) throw new LongwatchError("upstream_failed", `${c.path} exited with code ${r.exit_code}: ${r.stderr.trim().slice(0, 300)}`, { exit_code: r.exit_code });
  return { after: { command: call.params.command, exit_code: 0 }, receipt: { key, exit_code: r.exit_code, stdout: r.stdout }, warnings: [] };
}

export async function verifyCommand(call: ActionCall<CommandP>, reversible: boolean, key: string) {
  const c = configured(call, reversible);
  if (c.verify_args === undefined) return { ok: true, observed: { exit_code: 0 }, warnings: ["Verified by the command's exit code only (no verify_args configured)."] };
  const r = await run(c, await argv(call, c.verify_args, key), key);
  return r.exit_code === 0 ? { ok: true, observed: { exit_code: 0, stdout: r.stdout }, warnings: [] } : { ok: false, observed: { exit_code: r.exit_code, stdout: r.stdout }, reason: `the verify command exited with code ${r.exit_code}`, warnings: [] };
}
