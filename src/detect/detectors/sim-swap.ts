/**
 * sim-swap: the SIM turns up in another device — its IMEI differs from the one bound to it (by the inventory, or the
 * first one seen). Worse when the type allocation code says the new device is a handset and the old one an IoT
 * module: someone took the SIM out of a meter to use its data plan or its network access in a phone.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import { imeiBody, tacOf } from "../fleet.ts";

const params = z.object({
  learn_first_imei: z.boolean().default(true).describe("Bind the first IMEI seen when the inventory binds none."),
});

export const simSwap = defineDetector({
  id: "sim-swap",
  title: "SIM used in another device",
  severity: "high",
  kinds: ["connectivity"],
  warmup: "None: the binding comes from the inventory's imei, or from the first IMEI seen.",
  why: "An IoT SIM taken out of its device and put in a phone or modem gets free data, may reach your private APN and backend, and leaves the device offline. It is also how stolen SIMs from street furniture and meters are abused.",
  summary: "{device}'s SIM is now in device {seen_imei} ({seen_class}) instead of {bound_imei} ({bound_class}){tac_note}.",
  action: "Suspend the SIM or enable the provider's IMEI lock, then check the site: the device may be tampered with or stolen. If the device was legitimately replaced, mark the alert benign so the new IMEI is bound.",
  lateRecords: "an IMEI other than the bound one is a swap whenever it is seen.",
  params,
  create(ctx) {
    const bound = ctx.columns.f64("simswap.bound", 1, NaN);

    return {
      record(rec) {
        const seen = rec.num[F.imei]!;
        if (!(seen >= 0)) return;
        const d = rec.device;
        let b = bound.a[d]!;
        if (b !== b) {
          b = ctx.fleet.declaredImei(d);
          if (b !== b) {
            if (ctx.params.learn_first_imei) bound.a[d] = seen;
            return;
          }
          bound.a[d] = b;
        }
        if (seen === b) return;
        const oldClass = ctx.fleet.tacClass(b);
        const newClass = ctx.fleet.tacClass(seen);
        const toHandset = newClass === "handset" && oldClass !== "handset";
        const sameTac = tacOf(seen) === tacOf(b);
        const seenText = rec.text(F.imei)!;
        ctx.raise({
          device: d,
          key: `imei:${seenText}`,
          ts: rec.ts,
          confidence: toHandset ? 0.95 : sameTac ? 0.6 : 0.85,
          severity: toHandset ? "critical" : sameTac ? "medium" : "high",
          evidence: { bound_imei_body: pad14(b), seen_imei: seenText, bound_tac: String(tacOf(b)).padStart(8, "0"), seen_tac: String(tacOf(seen)).padStart(8, "0"), bound_class: oldClass ?? "unknown", seen_class: newClass ?? "unknown", binding: ctx.fleet.declaredImei(d) === b ? "inventory" : "first seen" },
          vars: {
            seen_imei: seenText,
            bound_imei: pad14(b),
            seen_class: newClass ?? "type unknown",
            bound_class: oldClass ?? "type unknown",
            tac_note: toHandset ? ": a phone, not an IoT module" : sameTac ? "; same model (TAC), so possibly a device replacement" : "; a different device model (TAC)",
          },
          rec,
        });
      },
      learn(alert, d) {
        const seen = alert.evidence.seen_imei;
        if (typeof seen === "string") bound.a[d] = imeiBody(seen);
      },
    };
  },
});

function pad14(body: number): string {
  return String(body).padStart(14, "0");
}
