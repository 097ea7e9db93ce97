/**
 * Throttles the device to a trickle of data instead of cutting it off: enough for the device to report and be
 * updated, too little to be useful to an attacker (a DDoS bot, a proxy, data exfiltration). emnify sets a data quota
 * on the SIM's endpoint that blocks when used up; KORE Super SIM moves the SIM into a quarantine fleet whose
 * DataLimit is small. Reversing restores the previous quota or fleet exactly.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { type ActionCall, type ApplyResult, defineAction, type StateDoc } from "../action.ts";
import { pollSim, unsupported } from "../connectors/sim.ts";
import { providerFor, simOf } from "../connectors/sim-target.ts";

const Params = z.object({ provider: z.enum(["1nce", "emnify", "kore"]).optional(), volume_mb: z.number().positive().max(1_000_000).default(1) }).strict();
type P = z.output<typeof Params>;

async function sim({ ctx, target, params }: ActionCall<P>) {
  const { iccid, connector } = await simOf(ctx, target, params.provider);
  const provider = providerFor(connector, ctx);
  if (!provider.supports.data_limit) throw unsupported(provider.name, "per-SIM data limit");
  return { iccid, provider };
}

/** The limit reads back as set: the same fleet, or the same volume. */
function holds(seen: StateDoc | null | undefined, wanted: StateDoc | null): boolean {
  if (wanted === null) return seen === null || seen === undefined || seen.volume === null;
  if (!seen) return false;
  return Object.entries(wanted).filter(([k]) => k === "fleet" || k === "volume").every(([k, v]) => seen[k] === v);
}

export const simDataLimit = defineAction({
  id: "sim-data-limit",
  title: "Limit the SIM's data",
  target: "device",
  reversible: true,
  description: "Limits the SIM to a small amount of data (emnify endpoint quota, or a KORE quarantine fleet) so the device can still report and be fixed but is useless to an attacker. Reversing restores the previous limit.",
  params: Params,

  async plan(call: ActionCall<P>) {
    const { iccid, provider } = await sim(call);
    const limit = provider.quarantineLimit(call.params.volume_mb);
    const after = { provider: provider.name, iccid, data_limit: limit };
    if (call.ctx.offline) return { summary: `Limit SIM ${iccid}'s data at ${provider.name}.`, before: null, after, noop: false, warnings: [] };
    const v = await provider.read(iccid);
    return { summary: `Limit SIM ${iccid}'s data at ${provider.name}.`, before: { provider: provider.name, iccid, data_limit: v.data_limit ?? null }, after, noop: holds(v.data_limit, limit), warnings: [] };
  },

  async apply(call: ActionCall<P>, key: string) {
    const { iccid, provider } = await sim(call);
    const limit = provider.quarantineLimit(call.params.volume_mb);
    const previous = await provider.setDataLimit(iccid, limit, key);
    return { after: { provider: provider.name, iccid, data_limit: limit }, receipt: { iccid, limit, previous }, warnings: [] };
  },

  async verify(call: ActionCall<P>, applied: ApplyResult) {
    const { iccid, provider } = await sim(call);
    const wanted = applied.receipt.limit as StateDoc;
    const r = await pollSim(provider, iccid, (v) => holds(v.data_limit, wanted), call.ctx);
    const observed = { data_limit: r.view.data_limit ?? null, polls: r.polls };
    return r.ok ? { ok: true, observed, warnings: [] } : { ok: false, observed, reason: `SIM ${iccid}'s data limit does not read back as set at ${provider.name}`, warnings: [] };
  },

  async reverse(call: ActionCall<P>, applied: ApplyResult) {
    const { iccid, provider } = await sim(call);
    const previous = (applied.receipt.previous ?? null) as StateDoc | null;
    const restore = previous && (previous.volume === null || previous.fleet === null) ? null : previous;
    if (restore === null && provider.name === "kore") throw new LongwatchError("conflict", `Super SIM ${iccid} was in no fleet before; move it to its fleet by hand`, { iccid });
    await provider.setDataLimit(iccid, restore, `${call.ctx.responseId}:reverse`);
    const r = await pollSim(provider, iccid, (v) => holds(v.data_limit, restore), call.ctx);
    if (!r.ok) throw new LongwatchError("upstream_failed", `SIM ${iccid}'s previous data limit does not read back after the reversal`, { iccid });
    return { after: { provider: provider.name, iccid, data_limit: restore }, warnings: [] };
  },
});
