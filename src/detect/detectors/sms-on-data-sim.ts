/**
 * sms-on-data-sim: SMS on a SIM that should not use SMS — declared data-only (its model uses no voice/SMS, or its SIM
 * has SMS disabled in the inventory), or one that sent none in its first days. One byte per device: whether it
 * ever used SMS.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { EV, F } from "../read/fields.ts";
import { fmtDuration } from "./text.ts";

const params = z.object({
  learned: z.boolean().default(true).describe("Also alert for SIMs not declared data-only that used no SMS during warm-up."),
  warmup_hours: z.number().positive().default(48),
});

export const smsOnDataSim = defineDetector({
  id: "sms-on-data-sim",
  title: "SMS on a data-only SIM",
  severity: "high",
  kinds: ["connectivity"],
  warmup: "None for SIMs declared data-only; 48 hours without SMS otherwise (warmup_hours).",
  why: "A data-only IoT SIM that starts sending or receiving SMS is usually in a phone now, or being used for SMS fraud (premium numbers, OTP relays) — or someone is sending it configuration or attack SMS.",
  summary: "{device} {direction} {count} SMS, but {reason}.",
  action: "Disable SMS on the SIM with your provider (and record sim_sms_enabled: false in the inventory). Check the SIM's IMEI for a swap into a phone.",
  lateRecords: "an SMS on a data-only SIM is one whenever it is seen.",
  params,
  create(ctx) {
    const p = ctx.params;
    const used = ctx.columns.u8("sms.used");
    const warm = p.warmup_hours * 3_600_000;

    return {
      record(rec) {
        const e = rec.event;
        if (e !== EV.sms_mo && e !== EV.sms_mt) return;
        const d = rec.device;
        const declared = ctx.fleet.dataOnly(d);
        const everUsed = used.a[d] === 1;
        used.a[d] = 1;
        const learnedQuiet = p.learned && !everUsed && rec.ts - ctx.fleet.firstSeen(d) >= warm;
        if (!declared && !learnedQuiet) return;
        const n = rec.has(F.sms_count) ? rec.num[F.sms_count]! : 1;
        ctx.raise({
          device: d,
          key: "sms",
          ts: rec.ts,
          confidence: declared ? 0.9 : 0.6,
          severity: declared ? "high" : "medium",
          evidence: { event: rec.text(F.event), count: n, declared_data_only: declared, sms_before: everUsed },
          vars: { direction: e === EV.sms_mo ? "sent" : "received", count: n, reason: declared ? "its SIM is declared data-only" : `it used no SMS in its first ${fmtDuration(rec.ts - ctx.fleet.firstSeen(d))}` },
          rec,
        });
      },
    };
  },
});
