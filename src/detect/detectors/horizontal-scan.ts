/**
 * horizontal-scan: one device trying many different addresses on the same port — how Mirai and its descendants look
 * for more victims (telnet 23/2323, SSH 22, web admin ports). Also a burst of failed or unanswered connection
 * attempts, which is what a scan mostly consists of. Per device and short window: a 64-bit linear-counting map of
 * remote addresses, the most frequent port (majority vote) and a failure count — about 20 bytes, no sets.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import { distinct64, setBit64 } from "../sketch.ts";
import { established } from "./destinations.ts";
import { confidenceFrom, fmtDuration } from "./text.ts";

const params = z.object({
  window_seconds: z.number().int().positive().default(300),
  min_addresses: z.number().int().min(4).max(200).default(24).describe("Distinct addresses on one port within the window."),
  min_failed: z.number().int().positive().default(60).describe("Failed or unanswered attempts within the window that count as a burst."),
});

/** Ports malware scans for; a scan on one of them is more severe. */
const WORMABLE = new Set([22, 23, 2323, 5555, 7547, 37215, 52869, 80, 8080, 81, 8081]);

export const horizontalScan = defineDetector({
  id: "horizontal-scan",
  title: "Device scans many addresses on one port",
  severity: "high",
  kinds: ["flow"],
  warmup: "None: a device of a fleet has no reason to scan.",
  why: "A device trying the same port on many addresses is looking for more victims — the signature of IoT worms such as Mirai, which spread over telnet and other admin services. The device itself is very likely compromised.",
  summary: "{device} tried {count} different addresses (mostly on port {port}) within {window}; {failed} attempts failed or went unanswered. Devices of this fleet normally talk to a handful of servers.",
  action: "Treat the device as compromised: isolate it (block its SIM or network access), then reflash or replace it, and change every default or shared password on its model — worms get in through them. Check whether other devices of the model show the same.",
  attack: ["T1046", "T0846"],
  params,
  create(ctx) {
    const p = ctx.params;
    const winMs = p.window_seconds * 1000;
    const c = ctx.columns;
    // Window numbers modulo 2^16: only "same window as before?" is asked of them.
    const win = c.u16("hscan.window");
    const bits = c.u32("hscan.addresses", 2);
    const port = c.u16("hscan.port");
    const weight = c.u16("hscan.weight");
    const failed = c.u16("hscan.failed");
    const alerted = c.u8("hscan.alerted");

    return {
      record(rec) {
        if (!rec.outbound) return;
        const d = rec.device;
        const w = Math.floor(rec.ts / winMs) & 0xffff;
        if (win.a[d] !== w) {
          win.a[d] = w;
          bits.a[d * 2] = 0;
          bits.a[d * 2 + 1] = 0;
          weight.a[d] = 0;
          failed.a[d] = 0;
          alerted.a[d] = 0;
        }
        const dp = rec.num[rec.remotePort]!;
        if (dp >= 0) {
          // Majority vote (Boyer-Moore): the port most attempts went to survives.
          if (weight.a[d] === 0) port.a[d] = dp;
          if (port.a[d] === dp) weight.a[d] = Math.min(65535, weight.a[d]! + 1);
          else weight.a[d]!--;
          if (port.a[d] === dp) setBit64(bits.a, d * 2, rec.hash[rec.remoteIp]!);
        }
        if (!established(rec) && failed.a[d]! < 65535) failed.a[d]!++;
        if (alerted.a[d] !== 0) return;
        const n = distinct64(bits.a, d * 2);
        // A burst of failures to one or two addresses is a flood (ddos-participation), not a scan.
        const burst = failed.a[d]! >= p.min_failed && n >= p.min_addresses / 3;
        if (n < p.min_addresses && !burst) return;
        alerted.a[d] = 1;
        const pt = port.a[d]!;
        const score = Math.max(n / p.min_addresses, failed.a[d]! / p.min_failed);
        ctx.raise({
          device: d,
          key: n >= p.min_addresses ? `port:${pt}` : "failed-connections",
          ts: rec.ts,
          confidence: confidenceFrom(score, 1),
          severity: WORMABLE.has(pt) || n >= p.min_addresses ? "high" : "medium",
          evidence: { port: pt, distinct_addresses_estimate: Math.round(n), failed_attempts: failed.a[d], window_seconds: p.window_seconds, baseline: "a fleet device contacts a few fixed servers; any scan is abnormal", example_target: rec.text(rec.remoteIp), proto: rec.text(F.proto) },
          vars: { count: n >= 60 ? `${Math.round(n)}+` : Math.round(n), port: pt, window: fmtDuration(winMs), failed: failed.a[d]! },
          rec,
        });
      },
    };
  },
});
