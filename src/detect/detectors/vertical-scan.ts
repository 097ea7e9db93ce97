/**
 * vertical-scan: one device probing many ports of one address — mapping a gateway, a neighbour or a server for
 * services to attack. Per device and window: the most frequent remote address (majority vote) and a 64-bit
 * linear-counting map of the ports tried on it.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { distinct64, setBit64 } from "../sketch.ts";
import { confidenceFrom, fmtDuration } from "./text.ts";

const params = z.object({
  window_seconds: z.number().int().positive().default(300),
  min_ports: z.number().int().min(4).max(200).default(20).describe("Distinct ports on one address within the window."),
});

export const verticalScan = defineDetector({
  id: "vertical-scan",
  title: "Device probes many ports of one address",
  severity: "high",
  kinds: ["flow"],
  warmup: "None: devices use fixed ports.",
  why: "Trying many ports on one host is reconnaissance: someone on (or controlling) the device is looking for services to attack, often the local gateway or other devices on the same network.",
  summary: "{device} tried {count} different ports on {target} within {window}; a fleet device normally uses one or two fixed ports.",
  action: "Find out what runs on the device (an attacker's tool, a misbehaving update) and isolate it. If {target} is inside your network, check it for signs of compromise too.",
  attack: ["T1046", "T0888"],
  params,
  create(ctx) {
    const p = ctx.params;
    const winMs = p.window_seconds * 1000;
    const c = ctx.columns;
    // Window numbers modulo 2^16: only "same window as before?" is asked of them.
    const win = c.u16("vscan.window");
    const target = c.i32("vscan.target");
    const weight = c.u16("vscan.weight");
    const bits = c.u32("vscan.ports", 2);
    const alerted = c.u8("vscan.alerted");

    return {
      record(rec) {
        if (!rec.outbound) return;
        const port = rec.num[rec.remotePort]!;
        if (!(port >= 0)) return;
        const d = rec.device;
        const w = Math.floor(rec.ts / winMs) & 0xffff;
        if (win.a[d] !== w) {
          win.a[d] = w;
          weight.a[d] = 0;
          bits.a[d * 2] = 0;
          bits.a[d * 2 + 1] = 0;
          alerted.a[d] = 0;
        }
        const h = rec.hash[rec.remoteIp]!;
        if (weight.a[d] === 0) {
          target.a[d] = h;
          bits.a[d * 2] = 0;
          bits.a[d * 2 + 1] = 0;
        }
        if (target.a[d] === h) {
          weight.a[d] = Math.min(65535, weight.a[d]! + 1);
          setBit64(bits.a, d * 2, port + 1);
        } else weight.a[d]!--;
        if (alerted.a[d] !== 0 || target.a[d] !== h) return;
        const n = distinct64(bits.a, d * 2);
        if (n < p.min_ports) return;
        alerted.a[d] = 1;
        const t = rec.text(rec.remoteIp)!;
        ctx.raise({
          device: d,
          key: `target:${t}`,
          ts: rec.ts,
          confidence: confidenceFrom(n, p.min_ports),
          evidence: { target: t, distinct_ports_estimate: Math.round(n), window_seconds: p.window_seconds, last_port: port, baseline: "a fleet device uses one or two fixed ports" },
          vars: { count: Math.round(n), target: t, window: fmtDuration(winMs) },
          rec,
        });
      },
    };
  },
});
