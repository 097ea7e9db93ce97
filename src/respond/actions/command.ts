/** Runs a configured command once; it cannot be undone by Longwatch. See command-run.ts. */
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";
import { applyCommand, type CommandP, CommandParams, planCommand, verifyCommand } from "./command-run.ts";

export const command = defineAction({
  id: "command",
  title: "Run a configured command",
  target: "device",
  reversible: false,
  description: "Runs a program named in the config with the device's values as arguments (no shell, with a timeout).",
  params: CommandParams,
  plan: (call: ActionCall<CommandP>) => planCommand(call, false),
  apply: (call: ActionCall<CommandP>, key: string) => applyCommand(call, false, key),
  verify: (call: ActionCall<CommandP>, applied: ApplyResult) => verifyCommand(call, false, applied.receipt.key as string),
});
