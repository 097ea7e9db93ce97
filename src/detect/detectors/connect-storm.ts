/**
 * connect-storm: a device connecting to the broker (or attaching to the network) over and over — a crash loop, or
 * two devices sharing one identity and knocking each other off, each reconnect ending the other's session.
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

export const connectStorm = defineDetector({
  id: "connect-storm",
  title: "Device reconnects over and over",
  severity: "medium",
  kinds: ["broker", "connectivity"],
  warmup: "None for the floor (min_events); the baseline factor applies as history builds.",
  why: "Repeated connects mean the device keeps losing its session: a crash or reboot loop, a bad network — or a cloned identity, where two devices with the same client id or certificate keep disconnecting each other. Cloned identities are how attackers impersonate devices.",
  summary: "{device} connected {count} times within {window} (usually {usual} per window){sources}.",
  action: "Look at the source addresses of the connects: two alternating addresses mean two devices share this identity — revoke it and give each device its own. One address means a device in a loop: check its logs and firmware.",
  attack: ["T1499", "T0814"],
  params,
  create(ctx) {
    const count = burstCounter("connect", ctx.columns, ctx, (rec) => {
      const src = rec.text(F.src_ip) ?? rec.text(F.ip);
      return { evidence: { last_source_ip: src ?? null }, vars: { sources: src ? `; the latest from ${src}` : "" } };
    });
    return {
      record(rec) {
        if (rec.event === EV.connect || rec.event === EV.attach) count(rec);
      },
    };
  },
});
