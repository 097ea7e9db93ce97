/** Runs a configured command that declares how to undo itself (`reverse_args`); see command-run.ts. */
import { LongwatchError } from "../../core/errors.ts";
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";
import { applyCommand, argv, type CommandP, CommandParams, configured, planCommand, run, verifyCommand } from "./command-run.ts";

export const commandReversible = defineAction({
  id: "command-reversible",
  title: "Run a configured command that can be undone",
  target: "device",
  reversible: true,
  description: "Runs a program named in the config (no shell, with a timeout); reversing runs its reverse_args.",
  params: CommandParams,
  plan: (call: ActionCall<CommandP>) => planCommand(call, true),
  apply: (call: ActionCall<CommandP>, key: string) => applyCommand(call, true, key),
  verify: (call: ActionCall<CommandP>, applied: ApplyResult) => verifyCommand(call, true, applied.receipt.key as string),
  async reverse(call: ActionCall<CommandP>, applied: ApplyResult) {
    const c = configured(call, true);
    const key = applied.receipt.key as string;
    const r = await run(c, await argv(call, c.reverse_args!, key), key);
    if (r.exit_code !== 0) throw new LongwatchError("upstream_failed", `the reverse command exited with code ${r.exit_code}: ${r.stderr.trim().slice(0, 300)}`, { exit_code: r.exit_code });
    return { after: { command: call.params.command, reversed: true }, warnings: [] };
  },
});
