/**
 * auth-failure-burst: many failed logins or refused actions for one device within minutes — someone guessing its
 * broker credentials, or a device whose credentials or certificate were revoked retrying in a loop. Broker
 * auth/authz failures and cellular authentication failures both count.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { EV, F, KIND } from "../read/fields.ts";
import { burstCounter } from "./rate-burst.ts";

const params = z.object({
  window_seconds: z.number().int().positive().default(300),
  min_events: z.number().int().positive().default(10).describe("Failures within the window."),
  factor: z.number().positive().default(5).describe("…and this many times the device's usual failures per window."),
});

export const authFailureBurst = defineDetector({
  id: "auth-failure-burst",
  title: "Burst of authentication failures",
  severity: "high",
  kinds: ["broker", "connectivity"],
  warmup: "None for the floor (min_events); the baseline factor applies as history builds.",
  why: "A burst of failed logins against one device identity is a brute-force attack on its credentials — or a device locked out by a revoked certificate or a changed password, which takes it offline. Either needs attention.",
  summary: "{device} had {count} authentication failures within {window} (usually {usual} per window){source}.",
  action: "If the failures come from addresses the device does not use, block them at the broker and make sure the device has its own strong credentials (no shared or default passwords). If it is the device itself, check its certificate and credentials.",
  attack: ["T1110"],
  intel: { endpoint: "last_source_ip", indicator_types: ["malicious-activity"] },
  params,
  create(ctx) {
    const count = burstCounter("auth", ctx.columns, ctx, (rec) => {
      const src = rec.text(F.src_ip) ?? rec.text(F.ip);
      return {
        evidence: { last_event: rec.text(F.event), last_source_ip: src ?? null },
        vars: { source: src ? `; the latest from ${src}` : "" },
        severity: rec.event === EV.authz_failure ? "medium" : "high",
      };
    });
    return {
      record(rec) {
        const e = rec.event;
        if (e === EV.auth_failure || (rec.kind === KIND.broker && e === EV.authz_failure)) count(rec);
      },
    };
  },
});
