/**
 * The shared shape of the burst detectors (auth failures, connects, disconnects): count matching events per device in
 * fixed windows, keep a slow baseline of the count per window, and alert when a window's count reaches both an
 * absolute floor and a multiple of the baseline. 11 bytes per device.
 */
import type { Columns } from "../columns.ts";
import type { DetectorContext } from "../detector.ts";
import type { Rec } from "../read/rec.ts";
import { confidenceFrom, fmtDuration } from "./text.ts";

export interface BurstParams {
  window_seconds: number;
  min_events: number;
  factor: number;
}

export function burstCounter(name: string, columns: Columns, ctx: DetectorContext<BurstParams>, extra: (rec: Rec) => { evidence: Record<string, unknown>; vars: Record<string, string | number>; severity?: "high" | "medium" | "low" }) {
  const p = ctx.params;
  const winMs = p.window_seconds * 1000;
  // Window numbers modulo 2^16 (only compared for equality); the usual count in hundredths.
  const win = columns.u16(`${name}.window`);
  const count = columns.u16(`${name}.count`);
  const usualQ = columns.u16(`${name}.usual`);
  const usual = { a: { get: (d: number) => usualQ.a[d]! / 100 } };
  const alerted = columns.u8(`${name}.alerted`);

  return (rec: Rec): void => {
    const d = rec.device;
    const w = Math.floor(rec.ts / winMs) & 0xffff;
    if (win.a[d] !== w) {
      // Windows with no events count as zero in the baseline (at most 24 of them, so a long gap costs nothing).
      const seen = count.a[d]! > 0;
      const gap = seen ? Math.min(24, (w - win.a[d]! - 1) & 0xffff) : 0;
      let u = usual.a.get(d);
      if (seen) u += 0.05 * (Math.min(count.a[d]!, p.min_events) - u);
      for (let i = 0; i < gap; i++) u *= 0.95;
      usualQ.a[d] = Math.min(65535, Math.round(u * 100));
      win.a[d] = w;
      count.a[d] = 0;
      alerted.a[d] = 0;
    }
    const n = count.a[d]! < 65535 ? ++count.a[d]! : 65535;
    if (alerted.a[d] !== 0 || n < p.min_events || n < p.factor * usual.a.get(d)) return;
    alerted.a[d] = 1;
    const x = extra(rec);
    ctx.raise({
      device: d,
      key: name,
      ts: rec.ts,
      confidence: confidenceFrom(n, p.min_events),
      ...(x.severity ? { severity: x.severity } : {}),
      evidence: { count: n, window_seconds: p.window_seconds, usual_per_window: usual.a.get(d), ...x.evidence },
      vars: { count: n, window: fmtDuration(winMs), usual: (Math.round(usual.a.get(d) * 10) / 10).toString(), ...x.vars },
      rec,
    });
  };
}
