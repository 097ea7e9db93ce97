/**
 * ddos-participation: a device sending a flood of flows or packets toward one target — the job a botnet gives the
 * devices it recruited. Per device and short window: the dominant target (majority vote over flows) with the
 * packets and flows sent to it, and slow baselines of the device's per-window packets and flows to one target. It
 * alerts by either count: packets (only those beyond what came back, a long flow's spread over its duration) or flows
 * (every flow and connection attempt, so a flood Zeek records with 0 packets counts too).
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import type { Rec } from "../read/rec.ts";
import { confidenceFrom, fmtCount, fmtDuration } from "./text.ts";

const params = z.object({
  window_seconds: z.number().int().positive().default(60),
  min_packets: z.number().positive().default(5000).describe("Packets to one target within the window."),
  min_flows: z.number().positive().default(300).describe("Flows (connection attempts included, with or without packet counts) to one target within the window."),
  factor: z.number().positive().default(20).describe("…and this many times the device's usual packets (or flows) to its busiest target."),
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
    /** Usual flows per window to the busiest target, fixed point in 1/16 (up to 4,095). */
    const usualFlows = c.u16("ddos.usualFlows");
    const alerted = c.u8("ddos.alerted");
    const winS = p.window_seconds;

    return {
      record(rec) {
        if (!rec.outbound) return;
        const d = rec.device;
        const w = Math.floor(rec.ts / winMs) & 0xffff;
        if (win.a[d] !== w) {
          if (win.a[d] !== 0) {
            usual.a[d] = usual.a[d]! + 0.05 * (Math.min(packets.a[d]!, 10 * Math.max(usual.a[d]!, 100)) - usual.a[d]!);
            const uf = usualFlows.a[d]! / 16;
            usualFlows.a[d] = Math.min(65535, Math.round((uf + 0.05 * (Math.min(flows.a[d]!, 10 * Math.max(uf, 10)) - uf)) * 16));
          }
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
        packets.a[d]! += floodPackets(rec, winS);
        // Every flow counts, answered or not: a flood of connection attempts may carry no packet counts at all
        // (Zeek records flows with bad checksums, or SYNs never answered, with 0 packets).
        if (flows.a[d]! < 65535) flows.a[d]!++;
        if (alerted.a[d] !== 0) return;
        const pkts = packets.a[d]!;
        const fl = flows.a[d]!;
        const base = Math.max(usual.a[d]!, 1);
        const baseFlows = Math.max(usualFlows.a[d]! / 16, 1);
        const byPackets = pkts >= p.min_packets && pkts >= p.factor * base;
        const byFlows = fl >= p.min_flows && fl >= p.factor * baseFlows;
        if (!byPackets && !byFlows) return;
        alerted.a[d] = 1;
        const t = rec.text(rec.remoteIp)!;
        const ratio = byPackets ? Math.round(pkts / base) : Math.round(fl / baseFlows);
        const usualText = byPackets ? `${fmtCount(usual.a[d]!)} packets per window` : `${fmtCount(usualFlows.a[d]! / 16)} flows per window`;
        ctx.raise({
          device: d,
          key: `target:${t}`,
          ts: rec.ts,
          confidence: confidenceFrom(Math.max(byPackets ? pkts / p.min_packets : 0, byFlows ? fl / p.min_flows : 0), 1),
          severity: "high",
          evidence: { target: t, port: rec.num[rec.remotePort], packets: Math.round(pkts), flows: fl, by: byPackets ? "packets" : "flows", window_seconds: p.window_seconds, usual_peak_packets: Math.round(usual.a[d]!), usual_peak_flows: Math.round(usualFlows.a[d]! / 16) },
          vars: { packets: fmtCount(pkts), flows: fmtCount(fl), target: t, window: fmtDuration(winMs), ratio, usual: usualText },
          rec,
        });
      },
    };
  },
});

/**
 * The packets a flow adds to a flood: none when the other end answered in kind (a quarter of the packets or bytes
 * came back — a download, a TLS session, an upload with its ACKs: a conversation, not a flood; with segmentation
 * offload a download may even show fewer packets in than out), else those sent, spread over the flow's duration when
 * it outlasts the window (Zeek reports a long connection once, at its end). A flow with no packet counts adds one.
 */
function floodPackets(rec: Rec, windowSeconds: number): number {
  const out = rec.num[F.packets_out]!;
  if (out !== out) return 1;
  const back = rec.num[F.packets_in]!;
  const bytesOut = rec.num[F.bytes_out]!;
  const bytesIn = rec.num[F.bytes_in]!;
  if ((back === back && back * 4 >= out && out > 0) || (bytesIn === bytesIn && bytesOut === bytesOut && bytesIn * 4 >= bytesOut && bytesOut > 0)) return 0;
  const dur = rec.num[F.duration]!;
  return dur > windowSeconds ? (out * windowSeconds) / dur : out;
}
