/**
 * ddos-participation: a device sending a flood of flows or packets toward one target — the job a botnet gives the
 * devices it recruited. Per device and short window: the dominant target (majority vote over flows) with the
 * packets and flows sent to it, and a slow baseline of the device's largest per-window volume to one target.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import { confidenceFrom, fmtCount, fmtDuration } from "./text.ts";

const params = z.object({
  window_seconds: z.number().int().positive().default(60),
  min_packets: z.number().positive().default(5000).describe("Packets to one target within the window."),
  min_flows: z.number().positive().default(300).describe("Flows to one target within the window."),
  factor: z.number().positive().default(20).describe("…and this many times the device's usual volume to its busiest target."),
});

export const ddosParticipation = defineDetector({
  id: "ddos-participation",
  title: "Device floods one target",
  severity: "high",
  kinds: ["flow"],
  warmup: "None for the absolute thresholds; the baseline factor applies once the device has history.",
  why: "Botnets of hijacked IoT devices (Mirai and its successors) are used to knock services offline with floods of traffic. A device doing this is compromised, costs you data, and may get your SIMs or addresses blocked.",
  summary: "{device} sent {packets} packets in {flows} flows to {target} within {window} — {ratio}× its usual peak toward any single destination ({usual}).",
  action: "Cut the device off at once (block the SIM's data or its network port), then reflash or replace it and change default credentials on its model. Tell the target's operator if you can.",
  attack: ["T1498", "T0814"],
  params,
  create(ctx) {
    const p = ctx.params;
    const winMs = p.window_seconds * 1000;
    const c = ctx.columns;
    // Window numbers modulo 2^16: only "same window as before?" is asked of them.
    const win = c.u16("ddos.window");
    const target = c.i32("ddos.target");
    const weight = c.u16("ddos.weight");
    const packets = c.f32("ddos.packets");
    const flows = c.u16("ddos.flows");
    const usual = c.f32("ddos.usual");
    const alerted = c.u8("ddos.alerted");

    return {
      record(rec) {
        if (!rec.outbound) return;
        const d = rec.device;
        const w = Math.floor(rec.ts / winMs) & 0xffff;
        if (win.a[d] !== w) {
          if (win.a[d] !== 0) usual.a[d] = usual.a[d]! + 0.05 * (Math.min(packets.a[d]!, 10 * Math.max(usual.a[d]!, 100)) - usual.a[d]!);
          win.a[d] = w;
          weight.a[d] = 0;
          packets.a[d] = 0;
          flows.a[d] = 0;
          alerted.a[d] = 0;
        }
        const h = rec.hash[rec.remoteIp]!;
        if (weight.a[d] === 0) {
          target.a[d] = h;
          packets.a[d] = 0;
          flows.a[d] = 0;
        }
        if (target.a[d] !== h) {
          weight.a[d]!--;
          return;
        }
        weight.a[d] = Math.min(65535, weight.a[d]! + 1);
        const pk = rec.num[F.packets_out]!;
        packets.a[d]! += pk === pk ? pk : 1;
        if (flows.a[d]! < 65535) flows.a[d]!++;
        if (alerted.a[d] !== 0) return;
        const pkts = packets.a[d]!;
        const fl = flows.a[d]!;
        const base = Math.max(usual.a[d]!, 1);
        if ((pkts < p.min_packets && fl < p.min_flows) || pkts < p.factor * base) return;
        alerted.a[d] = 1;
        const t = rec.text(rec.remoteIp)!;
        ctx.raise({
          device: d,
          key: `target:${t}`,
          ts: rec.ts,
          confidence: confidenceFrom(Math.max(pkts / p.min_packets, fl / p.min_flows), 1),
          severity: "high",
          evidence: { target: t, port: rec.num[rec.remotePort], packets: Math.round(pkts), flows: fl, window_seconds: p.window_seconds, usual_peak_packets: Math.round(usual.a[d]!) },
          vars: { packets: fmtCount(pkts), flows: fmtCount(fl), target: t, window: fmtDuration(winMs), ratio: Math.round(pkts / base), usual: `${fmtCount(usual.a[d]!)} packets per window` },
          rec,
        });
      },
    };
  },
});
