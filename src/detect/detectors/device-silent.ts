/**
 * device-silent: a device that stopped reporting, judged by its own rhythm. Each device's interval between reports is
 * learned (an exponentially weighted mean of the gaps, each clipped to four times the current estimate so one outage
 * does not teach it to expect outages). As event time passes, a sweep puts each device in a state: online, late
 * (2× its interval), silent (6×, alert) or offline (24×, the alert escalates). A report resolves the alert.
 * Only devices with a regular rhythm are judged (the mean absolute deviation of their gaps, learned alongside).
 * 11 bytes per device.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { fmtDuration } from "./text.ts";

const ONLINE = 0;
const LATE = 1;
const SILENT = 2;
const OFFLINE = 3;
export const RHYTHM_STATES = ["online", "late", "silent", "offline"] as const;

const params = z.object({
  min_reports: z.number().int().min(2).default(4).describe("Gaps learned before a device can be judged silent."),
  min_gap_seconds: z.number().positive().default(30).describe("Records closer than this belong to one report."),
  late_factor: z.number().positive().default(2),
  silent_factor: z.number().positive().default(6),
  offline_factor: z.number().positive().default(24),
  min_silence_minutes: z.number().positive().default(15).describe("Never silent before this long, however fast its rhythm."),
  sweep_minutes: z.number().positive().default(5).describe("How often (event time) devices are checked."),
  max_jitter: z.number().positive().default(1).describe("Largest mean absolute deviation of a device's gaps over its interval for its rhythm to count as regular (1 = gaps typically within ±100% of the interval); devices less regular than this are never judged silent."),
});

export const deviceSilent = defineDetector({
  id: "device-silent",
  title: "Device stopped reporting",
  severity: "medium",
  kinds: ["connectivity", "flow", "broker", "metric"],
  warmup: "4 reports (min_reports), from which its rhythm is learned.",
  why: "A device that goes quiet may be broken, out of power, jammed, stolen — or silenced by an attacker who took it over. A monitoring blind spot is also a security blind spot.",
  summary: "{device} has not reported for {silence}; it normally reports every {interval}. It is now {state}.",
  action: "Check power, coverage and the SIM's status with your provider; if it stays silent, send someone. Devices that go silent right after other alerts (a SIM swap, a scan) should be treated as tampered with.",
  ignores: "Devices without a regular rhythm (gaps typically more than max_jitter × their interval off it: travel SIMs, devices that report on events): their silence says nothing. A silence is one alert however long it lasts (it escalates to offline in place) and is resolved when the device reports again.",
  lateRecords: "a delayed record still shows the device was alive at its time (records older than its last report change nothing).",
  attack: ["T0814", "T0804"],
  params,
  create(ctx) {
    const p = ctx.params;
    const c = ctx.columns;
    const last = c.u32("silent.last");
    const interval = c.f32("silent.interval");
    const gaps = c.u8("silent.gaps");
    const state = c.u8("silent.state");
    /** How irregular the gaps are: EW mean absolute deviation over the interval, in 1/32 (up to ~8). */
    const jitter = c.u8("silent.jitter");
    let nextSweep = -Infinity;
    const counts = [0, 0, 0, 0];

    return {
      record(rec) {
        const d = rec.device;
        const t = Math.floor(rec.ts / 1000);
        const prev = last.a[d]!;
        if (prev === 0) {
          last.a[d] = t;
          return;
        }
        const gap = t - prev;
        if (gap < p.min_gap_seconds) return;
        last.a[d] = t;
        const iv = interval.a[d]!;
        if (iv > 0) {
          const j = jitter.a[d]! / 32;
          const dev = Math.min(8, Math.abs(gap - iv) / iv);
          jitter.a[d] = Math.min(255, Math.round((j + 0.2 * (dev - j)) * 32));
        }
        interval.a[d] = iv === 0 ? gap : iv + 0.2 * (Math.min(gap, 4 * iv) - iv);
        if (gaps.a[d]! < 255) gaps.a[d]!++;
        if (state.a[d]! >= SILENT) ctx.resolve(d, "silent", rec.ts);
        state.a[d] = ONLINE;
      },
      tick(now) {
        if (now < nextSweep) return;
        // Sweeps on a fixed grid of event time (every sweep_minutes from the epoch), not sweep_minutes after the first
        // tick: where a run happened to start (a live engine ticks before its first record, a restart mid-way) must
        // not decide in which minute a silence is noticed.
        const every = p.sweep_minutes * 60_000;
        nextSweep = (Math.floor(now / every) + 1) * every;
        const t = now / 1000;
        const n = last.a.length;
        const minSilence = p.min_silence_minutes * 60;
        for (let d = 0; d < n; d++) {
          const l = last.a[d]!;
          // Only a device with a regular rhythm can be missed: one that reports when it likes (a travel SIM, a series
          // with gaps) says nothing by being quiet.
          if (l === 0 || gaps.a[d]! < p.min_reports || jitter.a[d]! > p.max_jitter * 32) continue;
          const silence = t - l;
          const iv = interval.a[d]!;
          const s = state.a[d]!;
          let next = ONLINE;
          if (silence > p.offline_factor * iv && silence > minSilence) next = OFFLINE;
          else if (silence > p.silent_factor * iv && silence > minSilence) next = SILENT;
          else if (silence > p.late_factor * iv) next = LATE;
          if (next === s) continue;
          state.a[d] = next;
          if (next >= SILENT && next > s) {
            ctx.raise({
              device: d,
              key: "silent",
              ts: now,
              sticky: true,
              severity: next === OFFLINE ? "high" : "medium",
              confidence: Math.min(0.95, 0.5 + 0.05 * Math.min(gaps.a[d]!, 9)),
              evidence: { last_report: new Date(l * 1000).toISOString(), silence_seconds: Math.round(silence), usual_interval_seconds: Math.round(iv), reports_learned: gaps.a[d], state: RHYTHM_STATES[next] },
              vars: { silence: fmtDuration(silence * 1000), interval: fmtDuration(iv * 1000), state: RHYTHM_STATES[next]! },
            });
          }
        }
      },
      save: () => ({ nextSweep: Number.isFinite(nextSweep) ? nextSweep : null }),
      load(s) {
        const v = (s as { nextSweep: number | null }).nextSweep;
        nextSweep = v ?? -Infinity;
      },
      summary() {
        counts.fill(0);
        for (let d = 0; d < last.a.length; d++) if (last.a[d] !== 0) counts[state.a[d]!]!++;
        return Object.fromEntries(RHYTHM_STATES.map((s, i) => [s, counts[i]!]));
      },
    };
  },
});
