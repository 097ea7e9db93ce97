/**
 * Opens a rotation task for a credential that must change — a default or shared password, a leaked key — listing
 * every device that shares it, so the work is tracked to the last device. Reversing closes the task.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";

const Params = z.object({ reason: z.string().min(3).max(500).default("shared or default credential") }).strict();
type P = z.output<typeof Params>;

export const credentialRotate = defineAction({
  id: "credential-rotate",
  title: "Open a credential rotation task",
  target: "credential",
  reversible: true,
  description: "Opens a task to rotate the credential on every device that shares it (target: DEVICE/SERVICE/USERNAME or model:MODEL/SERVICE/USERNAME).",
  params: Params,

  async plan({ ctx, target }: ActionCall<P>) {
    const devices = await ctx.records.devicesSharingCredential(target.id);
    return { summary: `Open a task to rotate ${target.id} on ${devices.length} device(s).`, before: { devices: devices.length }, after: { task: "open", devices: devices.length }, noop: false, warnings: devices.length === 0 ? ["No stored device has this credential."] : [] };
  },

  async apply({ ctx, target, params }: ActionCall<P>) {
    const devices = await ctx.records.devicesSharingCredential(target.id);
    const t = await ctx.records.openRotationTask({ credential: target.id, devices, reason: params.reason, responseId: ctx.responseId, at: new Date(ctx.now()).toISOString() });
    return { after: { task: t.id, devices: devices.length }, receipt: { task: t.id, existing: t.existing }, warnings: t.existing ? [`Rotation task ${t.id} was already open for this credential.`] : [] };
  },

  async verify({ ctx }: ActionCall<P>, applied: ApplyResult) {
    const t = await ctx.records.rotationTask(applied.receipt.task as number);
    return t?.state === "open" ? { ok: true, observed: { task: t.id, state: t.state, devices: t.devices.length }, warnings: [] } : { ok: false, observed: { task: applied.receipt.task, state: t?.state ?? null }, reason: "the rotation task is not open", warnings: [] };
  },

  async reverse({ ctx }: ActionCall<P>, applied: ApplyResult) {
    if (applied.receipt.existing === true) return { after: { task: applied.receipt.task }, warnings: ["The task existed before this response; it stays open."] };
    if (!(await ctx.records.closeRotationTask(applied.receipt.task as number, "reversed", new Date(ctx.now()).toISOString()))) throw new LongwatchError("not_found", `rotation task ${String(applied.receipt.task)} does not exist`);
    return { after: { task: applied.receipt.task, state: "closed" }, warnings: [] };
  },
});
