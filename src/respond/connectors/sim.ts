/**
 * What the SIM actions need from a connectivity provider, whatever its API: read a SIM's state, and set
 * suspension, the IMEI lock or a data limit. Every provider applies changes asynchronously, so the actions verify by
 * polling `read` until the state arrives.
 */
import { LongwatchError } from "../../core/errors.ts";
import type { ActionContext, StateDoc } from "../action.ts";
import type { SimProviderName } from "../settings.ts";

export interface SimView {
  /** `pending` while the provider is still carrying out an earlier change. */
  status: "active" | "suspended" | "pending";
  /** The provider's own word for it (`Enabled`, `2 Suspended`, `inactive` …). */
  provider_status: string;
  imei_lock?: boolean;
  /** What limits its data: emnify's endpoint quota, or the Super SIM fleet it is in. */
  data_limit?: StateDoc | null;
}

export interface SimProvider {
  name: SimProviderName;
  supports: { suspend: boolean; imei_lock: boolean; data_limit: boolean };
  read(iccid: string): Promise<SimView>;
  setSuspended(iccid: string, suspended: boolean, key: string): Promise<void>;
  setImeiLock(iccid: string, locked: boolean, key: string): Promise<void>;
  /** Sets the limit (`null` removes it) and returns the limit it replaced, for the reversal. */
  setDataLimit(iccid: string, limit: StateDoc | null, key: string): Promise<StateDoc | null>;
  /** The limit a quarantine sets, from the parameters and the connector's settings. */
  quarantineLimit(volumeMb: number): StateDoc;
}

/** Reads until `done` holds or the deadline passes; returns the last view either way. */
export async function pollSim(p: SimProvider, iccid: string, done: (v: SimView) => boolean, ctx: ActionContext): Promise<{ view: SimView; ok: boolean; polls: number }> {
  const until = Date.now() + ctx.verifyDeadlineMs;
  for (let polls = 1; ; polls++) {
    const view = await p.read(iccid);
    if (done(view)) return { view, ok: true, polls };
    if (Date.now() + ctx.pollIntervalMs > until) return { view, ok: false, polls };
    await new Promise((r) => setTimeout(r, ctx.pollIntervalMs));
  }
}

export function unsupported(provider: string, what: string): LongwatchError {
  return new LongwatchError("invalid_input", `${provider} offers no ${what} through its public API; choose another action (sim-suspend works everywhere)`, { provider });
}
