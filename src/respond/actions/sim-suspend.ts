/**
 * Suspends the device's SIM at its connectivity provider: no data, no SMS, and (on most plans) no charges, whatever
 * the device does. The strongest network-side response; reversing reactivates the SIM. Providers carry the change
 * out asynchronously, so verify polls until the SIM reads back as suspended.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";
import { pollSim } from "../connectors/sim.ts";
import { providerFor, simOf } from "../connectors/sim-target.ts";

const Params = z.object({ provider: z.enum(["1nce", "emnify", "kore"]).optional() }).strict();
type P = z.output<typeof Params>;

async function sim({ ctx, target, params }: ActionCall<P>) {
  const { iccid, connector } = await simOf(ctx, target, params.provider);
  return { iccid, provider: providerFor(connector, ctx) };
}

export const simSuspend = defineAction({
  id: "sim-suspend",
  title: "Suspend the device's SIM",
  target: "device",
  reversible: true,
  description: "Suspends the SIM at the connectivity provider (1NCE, emnify, KORE Super SIM), so the device has no mobile data or SMS at all. Reversing reactivates it.",
  params: Params,

  async plan(call: ActionCall<P>) {
    const { iccid, provider } = await sim(call);
    const after = { provider: provider.name, iccid, status: "suspended" };
    if (call.ctx.offline) return { summary: `Suspend SIM ${iccid} at ${provider.name}.`, before: null, after, noop: false, warnings: [] };
    const v = await provider.read(iccid);
    const warnings = v.status === "pending" ? [`The SIM is in the middle of another change (${v.provider_status}).`] : [];
    return { summary: `Suspend SIM ${iccid} at ${provider.name} (now ${v.provider_status}).`, before: { provider: provider.name, iccid, status: v.status, provider_status: v.provider_status }, after, noop: v.status === "suspended", warnings };
  },

  async apply(call: ActionCall<P>, key: string) {
    const { iccid, provider } = await sim(call);
    const v = await provider.read(iccid);
    if (v.status !== "suspended") await provider.setSuspended(iccid, true, key);
    return { after: { provider: provider.name, iccid, status: "suspended" }, receipt: { iccid, provider: provider.name, was: v.status, was_provider_status: v.provider_status }, warnings: [] };
  },

  async verify(call: ActionCall<P>, applied: ApplyResult) {
    const { iccid, provider } = await sim(call);
    const r = await pollSim(provider, iccid, (v) => v.status === "suspended", call.ctx);
    const observed = { status: r.view.status, provider_status: r.view.provider_status, polls: r.polls };
    return r.ok ? { ok: true, observed, warnings: [] } : { ok: false, observed, reason: `SIM ${iccid} still reads ${r.view.provider_status} after ${Math.round(call.ctx.verifyDeadlineMs / 1000)} s at ${applied.receipt.provider}`, warnings: [] };
  },

  async reverse(call: ActionCall<P>, applied: ApplyResult) {
    const { iccid, provider } = await sim(call);
    if (applied.receipt.was === "suspended") return { after: { iccid, status: "suspended" }, warnings: ["The SIM was already suspended before this response; it stays suspended."] };
    await provider.setSuspended(iccid, false, `${call.ctx.responseId}:reverse`);
    const r = await pollSim(provider, iccid, (v) => v.status === "active", call.ctx);
    if (!r.ok) throw new LongwatchError("upstream_failed", `SIM ${iccid} was asked to reactivate but still reads ${r.view.provider_status}`, { iccid });
    return { after: { provider: provider.name, iccid, status: "active" }, warnings: [] };
  },
});
