/** Finds the provider a device's SIM is at and builds its client. */
import { LongwatchError } from "../../core/errors.ts";
import type { ActionContext, Target } from "../action.ts";
import type { SimConnector, SimProviderName } from "../settings.ts";
import { emnifyProvider } from "./emnify.ts";
import { koreProvider } from "./kore.ts";
import { onenceProvider } from "./onence.ts";
import type { SimProvider } from "./sim.ts";

/** One client per configured connector, so its token is reused across responses (emnify allows 100 logins per 5 minutes). */
const clients = new WeakMap<SimConnector, SimProvider>();

export function providerFor(c: SimConnector, ctx: ActionContext): SimProvider {
  let p = clients.get(c);
  if (!p) {
    p = c.provider === "1nce" ? onenceProvider(c, ctx.secrets) : c.provider === "emnify" ? emnifyProvider(c, ctx.secrets) : koreProvider(c, ctx.secrets);
    clients.set(c, p);
  }
  return p;
}

/** The device's ICCID and the provider its SIM is at: named, or found by ICCID prefix, or the only one configured. */
export async function simOf(ctx: ActionContext, target: Target, named?: SimProviderName): Promise<{ iccid: string; connector: SimConnector }> {
  const d = await ctx.device(target.id);
  if (!d) throw new LongwatchError("not_found", `no device ${target.id} in the inventory`, { device_id: target.id });
  if (!d.iccid) throw new LongwatchError("invalid_input", `device ${target.id} has no iccid in the inventory: cannot find its SIM`, { device_id: target.id });
  const all = ctx.settings.connectors.sim;
  const byName = named !== undefined ? all.filter((c) => c.provider === named) : [];
  const byPrefix = all.filter((c) => c.iccid_prefixes.some((p) => d.iccid!.startsWith(p)));
  const connector = named !== undefined ? byName[0] : byPrefix.length === 1 ? byPrefix[0] : all.length === 1 ? all[0] : undefined;
  if (!connector) {
    const why = named !== undefined ? `no connector for provider ${named} is configured` : all.length === 0 ? "no SIM provider is configured (respond.connectors.sim)" : `ICCID ${d.iccid} matches ${byPrefix.length} providers' iccid_prefixes; name the provider`;
    throw new LongwatchError("invalid_config", `device ${target.id}: ${why}`, { device_id: target.id });
  }
  return { iccid: d.iccid, connector };
}

