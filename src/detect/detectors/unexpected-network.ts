/**
 * unexpected-network: the SIM attaches in a country (MCC) outside the ones it may use — declared in the inventory
 * (sim_allowed_countries) — or, when none are declared, outside the networks it used while learning. Per device it
 * keeps the first networks (MCC·1000+MNC) it used: 3 slots, 12 bytes.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import type { Rec } from "../read/rec.ts";
import { fmtDuration } from "./text.ts";

const SLOTS = 3;

const params = z.object({
  warmup_hours: z.number().positive().default(24).describe("Hours during which the networks a SIM uses are learned, when no allowed countries are declared."),
  new_operator: z.boolean().default(false).describe("Also alert on a new operator (MNC) in a country already used."),
});

export const unexpectedNetwork = defineDetector({
  id: "unexpected-network",
  title: "SIM on a network or in a country it should not use",
  severity: "medium",
  kinds: ["connectivity"],
  warmup: "None with declared allowed countries; otherwise 24 hours of the SIM's own network use (warmup_hours).",
  why: "A fixed IoT device does not travel. A SIM roaming abroad has usually been taken out of its device, or the device stolen — and roaming data is expensive. Attaching to an unexpected operator at home can also mean a fake base station.",
  summary: "{device} attached to network {plmn} in {country}, outside {expected}.",
  action: "Check whether the device was moved or its SIM removed; suspend the SIM if not. Restrict the SIM to its countries with your provider (sim_allowed_countries in the inventory documents that). If the move is legitimate, mark the alert benign.",
  lateRecords: "a network outside the allowed or learned ones is unexpected whenever it is seen.",
  params,
  create(ctx) {
    const p = ctx.params;
    const plmns = ctx.columns.u32("network.plmns", SLOTS);
    const warm = p.warmup_hours * 3_600_000;

    return {
      record(rec) {
        const mcc = rec.num[F.mcc]!;
        if (!(mcc >= 0)) return;
        const mnc = rec.num[F.mnc]!;
        const plmn = mcc * 1000 + (mnc >= 0 ? mnc : 999) + 1;
        const d = rec.device;
        const base = d * SLOTS;
        const a = plmns.a;
        let knownPlmn = false;
        let knownCountry = false;
        let free = -1;
        for (let i = 0; i < SLOTS; i++) {
          const v = a[base + i]!;
          if (v === 0) {
            if (free < 0) free = i;
            continue;
          }
          if (v === plmn) knownPlmn = true;
          if (Math.floor((v - 1) / 1000) === mcc) knownCountry = true;
        }
        if (knownPlmn) return;
        const country = ctx.fleet.countryOfMcc(mcc);
        const allowed = ctx.fleet.allowedCountries(d);
        const learning = rec.ts - ctx.fleet.firstSeen(d) < warm;
        if (allowed !== undefined) {
          if (country === undefined || !allowed.includes(country)) raise(rec, mcc, mnc, country, `its allowed countries (${allowed.join(", ")})`, "high", 0.9);
        } else if (!learning && (!knownCountry || p.new_operator)) {
          const used = [...a.subarray(base, base + SLOTS)].filter((v) => v !== 0).map((v) => `${Math.floor((v - 1) / 1000)}-${(v - 1) % 1000}`);
          raise(rec, mcc, mnc, country, `the networks it used in its first ${fmtDuration(warm)} (${used.join(", ") || "none"})`, knownCountry ? "low" : "medium", knownCountry ? 0.5 : 0.75);
          return;
        }
        if (free >= 0 && (learning || allowed !== undefined)) a[base + free] = plmn;
      },
      learn(alert, d) {
        const mcc = Number(alert.evidence.mcc);
        const mnc = Number(alert.evidence.mnc);
        if (!(mcc >= 0)) return;
        const base = d * SLOTS;
        // Benign: remember this network; when all slots are used, replace the last.
        let slot = SLOTS - 1;
        for (let i = 0; i < SLOTS; i++) if (plmns.a[base + i] === 0) { slot = i; break; }
        plmns.a[base + slot] = mcc * 1000 + (mnc >= 0 ? mnc : 999) + 1;
      },
    };

    function raise(rec: Rec, mcc: number, mnc: number, country: string | undefined, expected: string, severity: "high" | "medium" | "low", confidence: number): void {
      const plmn = `${mcc}-${mnc >= 0 ? String(mnc).padStart(2, "0") : "?"}`;
      ctx.raise({
        device: rec.device,
        key: `mcc:${mcc}`,
        ts: rec.ts,
        severity,
        confidence,
        evidence: { mcc, mnc: mnc >= 0 ? mnc : null, country: country ?? "unknown", allowed_countries: ctx.fleet.allowedCountries(rec.device) ?? null, expected },
        vars: { plmn, country: country ?? `an unknown country (MCC ${mcc})`, expected },
        rec,
      });
    }
  },
});
