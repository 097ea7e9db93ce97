/**
 * Locks the SIM to the IMEI of the device it is in, so a SIM taken out of a device (to use its data plan or its
 * private APN elsewhere) stops working. emnify and 1NCE offer it; KORE Super SIM does not.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";
import { pollSim, unsupported } from "../connectors/sim.ts";
import { providerFor, simOf } from "../connectors/sim-target.ts";

const Params = z.object({ provider: z.enum(["1nce", "emnify", "kore"]).optional() }).strict();
type P = z.output<typeof Params>;

async function sim({ ctx, target, params }: ActionCall<P>) {
  const { iccid, connector } = await simOf(ctx, target, params.provider);
  const provider = providerFor(connector, ctx);
  if (!provider.supports.imei_lock) throw unsupported(provider.name, "IMEI lock");
  return { iccid, provider };
}

export const simImeiLock = defineAction({
  id: "sim-imei-lock",
  title: "Lock the SIM to its device's IMEI",
  target: "device",
  reversible: true,
  description: "Turns on the provider's IMEI lock, so the SIM works only in the device it is in now. Reversing turns the lock off again (only if this response turned it on).",
  params: Params,

  async plan(call: ActionCall<P>) {
    const { iccid, provider } = await sim(call);
    const after = { provider: provider.name, iccid, imei_lock: true };
    if (call.ctx.offline) return { summary: `Lock SIM ${iccid} to its device's IMEI at ${provider.name}.`, before: null, after, noop: false, warnings: [] };
    const v = await provider.read(iccid);
    return { summary: `Lock SIM ${iccid} to its device's IMEI at ${provider.name}.`, before: { provider: provider.name, iccid, imei_lock: v.imei_lock ?? null }, after, noop: v.imei_lock === true, warnings: [] };
  },

  async apply(call: ActionCall<P>, key: string) {
    const { iccid, provider } = await sim(call);
    const v = await provider.read(iccid);
    if (v.imei_lock !== true) await provider.setImeiLock(iccid, true, key);
    return { after: { provider: provider.name, iccid, imei_lock: true }, receipt: { iccid, was_locked: v.imei_lock === true }, warnings: [] };
  },

  async verify(call: ActionCall<P>) {
    const { iccid, provider } = await sim(call);
    const r = await pollSim(provider, iccid, (v) => v.imei_lock === true, call.ctx);
    const observed = { imei_lock: r.view.imei_lock ?? null, polls: r.polls };
    return r.ok ? { ok: true, observed, warnings: [] } : { ok: false, observed, reason: `SIM ${iccid} still reads imei_lock=${String(r.view.imei_lock)} at ${provider.name}`, warnings: [] };
  },

  async reverse(call: ActionCall<P>, applied: ApplyResult) {
    const { iccid, provider } = await sim(call);
    if (applied.receipt.was_locked === true) return { after: { iccid, imei_lock: true }, warnings: ["The SIM was already IMEI-locked before this response; the lock stays."] };
    await provider.setImeiLock(iccid, false, `${call.ctx.responseId}:reverse`);
    const r = await pollSim(provider, iccid, (v) => v.imei_lock === false, call.ctx);
    if (!r.ok) throw new LongwatchError("upstream_failed", `SIM ${iccid} was asked to drop its IMEI lock but still reads locked`, { iccid });
    return { after: { provider: provider.name, iccid, imei_lock: false }, warnings: [] };
  },
});
