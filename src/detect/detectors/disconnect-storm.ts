/**
 * disconnect-storm: a device dropping off the broker (or detaching from the network) over and over — an unstable
 * link, a device being kicked by a duplicate identity, or jamming.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { EV, F } from "../read/fields.ts";
import { burstCounter } from "./rate-burst.ts";

const params = z.object({
  window_seconds: z.number().int().positive().default(600),
  min_events: z.number().int().positive().default(20),
  factor: z.number().positive().default(5),
});

export const disconnectStorm = defineDetector({
  id: "disconnect-storm",
  title: "Device disconnects over and over",
  severity: "medium",
  kinds: ["broker", "connectivity"],
  warmup: "None for the floor (min_events); the baseline factor applies as history builds.",
  why: "A device that keeps dropping its connection is not delivering its data, and repeated takeovers of its session are a sign that another device uses its identity. Jamming of cellular or radio links shows the same way.",
  summary: "{device} disconnected {count} times within {window} (usually {usual} per window).",
  action: "Check for a duplicate identity (connect-storm alerts on the same device, two source addresses), the signal quality at the site, and the device's power and firmware.",
  attack: ["T1499", "T0814"],
  params,
  create(ctx) {
    const count = burstCounter("disconnect", ctx.columns, ctx, (rec) => ({ evidence: { last_event: rec.text(F.event) }, vars: {} }));
    return {
      record(rec) {
        if (rec.event === EV.disconnect || rec.event === EV.detach) count(rec);
      },
    };
  },
});
