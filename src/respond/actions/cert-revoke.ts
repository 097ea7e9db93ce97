/**
 * Marks a device certificate revoked in the store, so every later scan and export treats it as revoked, and it
 * appears in `longwatch respond revoked` (the list to load into the broker's or the CA's revocation list). A
 * revocation is published and relied on by others, so it is irreversible here: it always needs a second person.
 */
import { z } from "zod";
import { type ActionCall, defineAction } from "../action.ts";

const Params = z.object({ reason: z.enum(["keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation"]).default("keyCompromise") }).strict();
type P = z.output<typeof Params>;

export const certRevoke = defineAction({
  id: "cert-revoke",
  title: "Revoke the certificate",
  target: "certificate",
  reversible: false,
  description: "Marks the certificate revoked (RFC 5280 reason) and adds it to the exported revocation list; the devices that use it must get a new one.",
  params: Params,

  async plan({ ctx, target, params }: ActionCall<P>) {
    const devices = await ctx.records.certificateDevices(target.id);
    const revoked = await ctx.records.revokedCertificate(target.id);
    return { summary: `Revoke certificate ${target.id.slice(0, 16)}… (${params.reason}), used by ${devices.length} device(s).`, before: { revoked: revoked !== undefined, devices: devices.length }, after: { revoked: true, reason: params.reason }, noop: revoked !== undefined, warnings: devices.length === 0 ? ["No stored device uses this certificate."] : [] };
  },

  async apply({ ctx, target, params }: ActionCall<P>) {
    const r = await ctx.records.revokeCertificate(target.id, params.reason, ctx.responseId, new Date(ctx.now()).toISOString());
    return { after: { revoked: true, reason: params.reason }, receipt: { already: r.alreadyRevoked }, warnings: [] };
  },

  async verify({ ctx, target }: ActionCall<P>) {
    const r = await ctx.records.revokedCertificate(target.id);
    return r ? { ok: true, observed: { revoked: true, revoked_at: r.revoked_at }, warnings: [] } : { ok: false, observed: { revoked: false }, reason: "the certificate is not marked revoked in the store", warnings: [] };
  },
});
