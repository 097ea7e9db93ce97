/**
 * beaconing: a device contacting one rare destination at a steady rhythm — malware checking in with its
 * command-and-control server. Per device it follows one candidate destination (a 32-bit hash) with the running mean
 * and variance of the intervals between contacts (Welford); a destination is rare when few flows of the whole fleet
 * go there (a count-min sketch of flows per destination), so the fleet's own heartbeat to its cloud never qualifies.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { CountMin } from "../sketch.ts";
import { hostKey, hostText } from "./destinations.ts";
import { fmtDuration } from "./text.ts";

const params = z.object({
  min_contacts: z.number().int().min(3).default(6).describe("Intervals needed before a rhythm counts."),
  max_jitter: z.number().positive().default(0.2).describe("Largest coefficient of variation of the intervals (0.2 = ±20%)."),
  min_interval_seconds: z.number().positive().default(10).describe("Contacts closer than this are one contact (a burst of flows)."),
  max_interval_seconds: z.number().positive().default(6 * 3600),
  rare_devices: z.number().positive().default(5).describe("A destination is rare when the fleet sends it at most this many times the flows this device sends."),
});

export const beaconing = defineDetector({
  id: "beaconing",
  title: "Device checks in with a rare destination at a steady rhythm",
  severity: "high",
  kinds: ["flow"],
  warmup: "min_contacts contacts with the destination (6 by default); none for the device.",
  why: "Malware on a device calls home at regular intervals to ask for commands. A steady rhythm toward a destination that (almost) no other device of the fleet uses is how that looks on the network.",
  summary: "{device} contacted {dest} {contacts} times at a steady interval of {interval} (±{jitter}%); almost no other device of the fleet talks to it ({share}).",
  action: "Look {dest} up in threat intelligence and block it. Treat the device as compromised: isolate, reflash or replace it, and look for the same destination across the fleet.",
  attack: ["T1071", "T0869"],
  intel: { endpoint: "destination", indicator_types: ["malicious-activity"] },
  params,
  create(ctx) {
    const p = ctx.params;
    const c = ctx.columns;
    const cand = c.i32("beacon.dest");
    const last = c.u32("beacon.last");
    const count = c.u16("beacon.count");
    const mean = c.f32("beacon.mean");
    const m2 = c.f32("beacon.m2");
    const flows = new CountMin(4, 16);

    return {
      record(rec) {
        if (!rec.outbound) return;
        const d = rec.device;
        const h = hostKey(rec);
        flows.add(h);
        const t = Math.floor(rec.ts / 1000);
        if (cand.a[d] !== h) {
          // Switch to a much rarer destination at once (the fleet's shared cloud is never worth following);
          // otherwise only when the current one has gone quiet for longer than its own rhythm.
          const rarer = flows.estimate(h) * 4 < flows.estimate(cand.a[d]!);
          const quiet = t - last.a[d]!;
          if (!rarer && count.a[d]! >= 2 && quiet < 3 * Math.max(mean.a[d]!, p.min_interval_seconds)) return;
          cand.a[d] = h;
          last.a[d] = t;
          count.a[d] = 0;
          mean.a[d] = 0;
          m2.a[d] = 0;
          return;
        }
        const gap = t - last.a[d]!;
        if (gap < p.min_interval_seconds) return;
        last.a[d] = t;
        if (gap > p.max_interval_seconds) {
          count.a[d] = 0;
          mean.a[d] = 0;
          m2.a[d] = 0;
          return;
        }
        const n = ++count.a[d]!;
        const delta = gap - mean.a[d]!;
        mean.a[d]! += delta / n;
        m2.a[d]! += delta * (gap - mean.a[d]!);
        if (n < p.min_contacts) return;
        const sd = Math.sqrt(m2.a[d]! / (n - 1));
        const cv = sd / mean.a[d]!;
        if (cv > p.max_jitter) return;
        const fleet = flows.estimate(h);
        if (fleet > p.rare_devices * (n + 1)) return;
        const dest = hostText(rec);
        ctx.raise({
          device: d,
          key: `dest:${dest}`,
          ts: rec.ts,
          confidence: Math.min(0.95, 0.6 + (p.max_jitter - cv) + Math.min(0.2, n / 100)),
          evidence: { destination: dest, contacts: n + 1, mean_interval_seconds: Math.round(mean.a[d]!), jitter: Math.round(cv * 1000) / 1000, fleet_flows_to_destination: fleet, baseline: "the fleet's own periodic traffic goes to destinations many devices share" },
          vars: { dest, contacts: n + 1, interval: fmtDuration(mean.a[d]! * 1000), jitter: Math.round(cv * 100), share: `${fleet} flows fleet-wide` },
          rec,
        });
      },
      save: () => ({ flows: Buffer.from(flows.table.buffer, flows.table.byteOffset, flows.table.byteLength).toString("base64") }),
      load(state) {
        const bytes = Buffer.from((state as { flows: string }).flows, "base64");
        flows.table.set(new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      },
      extraBytes: () => flows.table.byteLength,
    };
  },
});
