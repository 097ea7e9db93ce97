/**
 * volume-anomaly: a device moving far more data, packets, messages, sessions or SMS than its own baseline for that
 * time of day. Per device and metric it keeps, in log space over fixed windows in which the device was active, a
 * level and a spread (exponentially weighted; each new value clipped to a few spreads first, so one burst cannot
 * drag the baseline along) and an offset per block of the day (Holt-Winters-style seasonality). It alerts as soon as
 * the running total of the current window is far above what the baseline expects — not only when the window closes.
 * Counters (session running totals, metrics named *_total) are turned into deltas; a drop means a reset.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { hashUtf8 } from "../read/bytes.ts";
import { EV, F, KIND } from "../read/fields.ts";
import type { Rec } from "../read/rec.ts";
import { MetricModels, isCounterName } from "./metric-model.ts";
import { confidenceFrom, fmtBytes, fmtCount, iso } from "./text.ts";

const METRICS = ["bytes", "packets", "messages", "sessions", "sms"] as const;
const BYTES = 0;
const PACKETS = 1;
const MESSAGES = 2;
const SESSIONS = 3;
const SMS = 4;
const S = METRICS.length;
/** Seasonal offsets are stored as signed bytes in steps of 1/16 (log space). */
const SEASON_STEP = 16;
/** Level and spread (log space) are stored as 16-bit fixed point: level in steps of 1/1024 (up to e^64), spread 1/4096. */
const LEVEL_STEP = 1024;
const SPREAD_STEP = 4096;
/** Only bytes, packets and messages get seasonal offsets; sessions and SMS are too sparse to have a daily shape. */
const SEASONAL = 3;

const params = z.object({
  window_minutes: z.number().int().min(1).max(1440).default(60).describe("Length of the windows volumes are summed over."),
  warmup_windows: z.number().int().min(1).max(255).default(6).describe("Active windows a device must have before it can alert (6 one-hour windows = 6 hours)."),
  season_blocks: z.number().int().min(1).max(24).default(6).describe("Blocks of the day with their own seasonal offset (6 = four-hour blocks)."),
  threshold: z.number().positive().default(4).describe("How many spreads above the expected log-volume a window must be."),
  min_spread: z.number().positive().default(0.3).describe("Floor of the spread (log space): 0.3 ≈ ±35%, so very regular devices don't alert on small changes."),
  alpha: z.number().gt(0).lt(1).default(0.1).describe("Weight of each new window in the level and spread."),
  gamma: z.number().gt(0).lt(1).default(0.3).describe("Weight of each new window in its block's seasonal offset."),
  floors: z
    .object({ bytes: z.number().default(200_000), packets: z.number().default(2000), messages: z.number().default(200), sessions: z.number().default(10), sms: z.number().default(5) })
    .default({ bytes: 200_000, packets: 2000, messages: 200, sessions: 10, sms: 5 })
    .describe("A window must also exceed these absolute amounts, so tiny devices don't alert on tiny changes."),
  session_counters: z.boolean().default(true).describe("Read bytes_up/bytes_down of session_update/session_end as running totals of the session."),
  metrics: z
    .object({
      threshold: z.number().positive().default(10).describe("How many spreads (mean absolute deviations) from the expected value a sample must be, up or down."),
      warmup_hours: z.number().positive().default(24).describe("Hours of a metric's own samples learned before it can alert."),
      min_samples: z.number().int().positive().default(24),
      level_hours: z.number().positive().default(6).describe("Time constant of the level and spread (weights follow time, not samples)."),
      season_days: z.number().positive().default(3).describe("Days over which each hour of the day learns its offset."),
      calm_minutes: z.number().nonnegative().default(720).describe("An anomaly episode ends after this long back within half the threshold; only then can the metric alert again."),
      relative_floor: z.number().nonnegative().default(0.01).describe("Floor of the spread as a share of the expected value (a constant series does not alert on rounding)."),
      max_metrics_per_device: z.number().int().positive().default(16),
      max_series: z.number().int().positive().default(4_000_000).describe("Cap on (device, metric) pairs followed fleet-wide; beyond it new pairs are counted, not followed."),
    })
    .default({ threshold: 10, warmup_hours: 24, min_samples: 24, level_hours: 6, season_days: 3, calm_minutes: 720, relative_floor: 0.01, max_metrics_per_device: 16, max_series: 4_000_000 })
    .describe("Metrics that are not volumes (any other name): a robust seasonal model per device and metric, judged sample by sample in both directions."),
});

export const volumeAnomaly = defineDetector({
  id: "volume-anomaly",
  title: "Traffic volume far above the device's own baseline",
  severity: "medium",
  kinds: ["connectivity", "flow", "broker", "metric"],
  warmup: "6 hours in which the device was active (warmup_windows × window_minutes); seasonality sharpens over the following days.",
  why: "A sudden jump in what a device sends is how data theft, a device recruited into a botnet, a stuck firmware loop or a SIM used in another device show up on the bill and on the network.",
  summary: "{device} had {observed} {metric} {when}: {comparison} ({expected} expected; {high} is the usual limit), learned over {learned}.",
  action: "Look at where the traffic went (flows to new destinations, the device's sessions). If it is a legitimate change (new firmware, more sensors), mark the alert benign so the baseline adopts the new level; if not, isolate the device (block its SIM or its network access) and investigate.",
  attack: ["T1041"],
  params,
  create(ctx) {
    const p = ctx.params;
    const winMs = p.window_minutes * 60_000;
    const blocks = p.season_blocks;
    const floors = [p.floors.bytes, p.floors.packets, p.floors.messages, p.floors.sessions, p.floors.sms];
    const c = ctx.columns;
    const win = c.u32("volume.window");
    const acc = c.f32("volume.acc", S);
    const levelQ = c.u16("volume.level", S);
    const spreadQ = c.u16("volume.spread", S);
    const season = c.i8("volume.season", SEASONAL * blocks);
    const level = {
      get: (i: number) => levelQ.a[i]! / LEVEL_STEP,
      set: (i: number, v: number) => (levelQ.a[i] = Math.max(0, Math.min(65535, Math.round(v * LEVEL_STEP)))),
    };
    const spread = {
      get: (i: number) => spreadQ.a[i]! / SPREAD_STEP,
      set: (i: number, v: number) => (spreadQ.a[i] = Math.max(0, Math.min(65535, Math.round(v * SPREAD_STEP)))),
    };
    const seasonIndex = (d: number, k: number, b: number) => (k < SEASONAL ? (d * SEASONAL + k) * blocks + b : -1);
    const learned = c.u8("volume.learned", S);
    const alerted = c.u8("volume.alerted");
    const counter = c.f32("volume.counter", 2);

    const metricSlots = new Map<number, number>();
    const models = new MetricModels(p.metrics);
    const metricHead = c.i32("volume.metric");
    const setHead = (d: number) => (s: number) => (metricHead.a[d] = s);

    function judgeMetric(rec: Rec, counter: boolean): void {
      const d = rec.device;
      const s = models.slot(metricHead.a[d]!, rec.hash[F.metric]!, setHead(d));
      if (s < 0) return;
      const v = models.observe(s, rec.ts, rec.num[F.value]!, counter);
      if (v === null) return;
      const name = rec.text(F.metric)!;
      const az = Math.abs(v.z);
      const unit = counter ? " per second" : "";
      ctx.raise({
        device: d,
        key: `metric:${name}`,
        ts: rec.ts,
        confidence: confidenceFrom(az, p.metrics.threshold, v.samples / (4 * p.metrics.min_samples)),
        severity: az > 2 * p.metrics.threshold ? "high" : "medium",
        evidence: { metric: name, observed: round(v.value), expected: round(v.expected), spread: round(v.spread), z: round(v.z), direction: v.direction, counter: v.counter, samples_learned: v.samples, baseline: "robust level + offset for the hour of day, spread = mean absolute deviation" },
        vars: { observed: `${round(v.value)}${unit}`, metric: name, when: `at ${iso(rec.ts)}`, comparison: `${round(az)} spreads ${v.direction} what its baseline expects for this hour of the day`, expected: `${round(v.expected)}${unit}`, high: `${round(v.expected + (v.z > 0 ? 2 : -2) * v.spread)}${unit}`, learned: `${v.samples} samples` },
        rec,
      });
    }
    const blockOf = (w: number) => Math.floor((((w * winMs) % 86_400_000) / 86_400_000) * blocks);

    function close(d: number): void {
      const w = win.a[d]!;
      const b = blockOf(w);
      for (let k = 0; k < S; k++) {
        const i = d * S + k;
        const x = acc.a[i]!;
        if (x <= 0) continue;
        acc.a[i] = 0;
        const y = Math.log1p(x);
        const si = seasonIndex(d, k, b);
        const s = si < 0 ? 0 : season.a[si]! / SEASON_STEP;
        const n = learned.a[i]!;
        if (n === 0) {
          level.set(i, y);
          spread.set(i, p.min_spread * 2);
        } else {
          const sp = Math.max(spread.get(i), p.min_spread);
          const predicted = level.get(i) + s;
          const yc = Math.min(predicted + 3 * sp, Math.max(predicted - 3 * sp, y));
          const lv = level.get(i) + p.alpha * (yc - s - level.get(i));
          level.set(i, lv);
          spread.set(i, spread.get(i) + p.alpha * (Math.abs(yc - predicted) - spread.get(i)));
          // Seasonality needs the level to have settled first; before that, offsets would only learn noise.
          if (si >= 0 && n >= p.warmup_windows) season.a[si] = clampI8(Math.round((s + p.gamma * (yc - lv - s)) * SEASON_STEP));
        }
        if (n < 255) learned.a[i] = n + 1;
      }
      alerted.a[d] = 0;
    }

    function add(rec: Rec, k: number, x: number): void {
      if (!(x > 0)) return;
      const d = rec.device;
      const w = Math.floor(rec.ts / winMs);
      if (w > win.a[d]!) {
        close(d);
        win.a[d] = w;
      }
      const i = d * S + k;
      const total = (acc.a[i]! += x);
      if (learned.a[i]! < p.warmup_windows || (alerted.a[d]! & (1 << k)) !== 0 || total < floors[k]!) return;
      const si = seasonIndex(d, k, blockOf(win.a[d]!));
      const s = si < 0 ? 0 : season.a[si]! / SEASON_STEP;
      const base = level.get(i) + s;
      const sp = Math.max(spread.get(i), p.min_spread);
      const z = (Math.log1p(total) - base) / sp;
      if (z < p.threshold) return;
      alerted.a[d]! |= 1 << k;
      const expected = Math.expm1(base);
      const fmt = k === BYTES ? fmtBytes : fmtCount;
      ctx.raise({
        device: d,
        key: METRICS[k]!,
        ts: rec.ts,
        confidence: confidenceFrom(z, p.threshold, learned.a[i]! / (4 * p.warmup_windows)),
        severity: z > 2 * p.threshold ? "high" : "medium",
        evidence: { metric: METRICS[k], window_start: iso(win.a[d]! * winMs), window_minutes: p.window_minutes, observed: Math.round(total), expected: round(expected), usual_high: round(Math.expm1(base + 2 * sp)), z: round(z), windows_learned: learned.a[i], seasonal_offset: round(s) },
        vars: { observed: fmt(total), metric: k === BYTES ? "of traffic" : METRICS[k]!, when: `in the window starting ${iso(win.a[d]! * winMs)}`, comparison: `${round(total / Math.max(1, expected))}× what its baseline expects for this time of day`, expected: fmt(expected), high: fmt(Math.expm1(base + 2 * sp)), learned: `${learned.a[i]!} active windows` },
        rec,
      });
    }

    /** Delta of a running total; a value below the last one means the counter restarted. */
    function delta(d: number, slot: number, value: number): number {
      const last = counter.a[d * 2 + slot]!;
      counter.a[d * 2 + slot] = value;
      return value >= last ? value - last : value;
    }

    return {
      record(rec) {
        const d = rec.device;
        switch (rec.kind) {
          case KIND.flow:
            add(rec, BYTES, nz(rec.num[F.bytes_out]!) + nz(rec.num[F.bytes_in]!));
            add(rec, PACKETS, nz(rec.num[F.packets_out]!) + nz(rec.num[F.packets_in]!));
            break;
          case KIND.connectivity: {
            const e = rec.event;
            let bytes = nz(rec.num[F.bytes_up]!) + nz(rec.num[F.bytes_down]!);
            if (e === EV.session_start) {
              counter.a[d * 2] = bytes;
              add(rec, SESSIONS, 1);
            } else if (p.session_counters && (e === EV.session_update || e === EV.session_end) && bytes > 0) bytes = delta(d, 0, bytes);
            add(rec, BYTES, bytes);
            if (e === EV.sms_mo || e === EV.sms_mt) add(rec, SMS, rec.has(F.sms_count) ? rec.num[F.sms_count]! : 1);
            break;
          }
          case KIND.broker:
            if (rec.event === EV.publish) add(rec, MESSAGES, 1);
            break;
          default: {
            // Metric names are few: classify each once (by hash) instead of reading its text per record.
            const h = rec.hash[F.metric]!;
            let slot = metricSlots.get(h);
            if (slot === undefined) {
              slot = metricSlot(rec.text(F.metric)!);
              metricSlots.set(h, slot);
            }
            if (slot < 0) return judgeMetric(rec, slot === COUNTER);
            const v = rec.num[F.value]!;
            add(rec, slot & 7, slot >= 8 ? delta(d, slot & 7, v) : v);
          }
        }
      },
      learn(alert, d) {
        if (String(alert.key).startsWith("metric:")) {
          const name = String(alert.evidence.metric);
          const s = models.slot(metricHead.a[d]!, hashUtf8(name), setHead(d));
          if (s >= 0) models.accept(s, Number(alert.evidence.observed));
          return;
        }
        const k = METRICS.indexOf(String(alert.evidence.metric) as (typeof METRICS)[number]);
        const observed = Number(alert.evidence.observed);
        if (k < 0 || !(observed > 0)) return;
        // Benign: adopt the observed level and widen the spread so this volume reads as normal from now on.
        const i = d * S + k;
        const y = Math.log1p(observed);
        level.set(i, Math.max(level.get(i), y - Number(alert.evidence.seasonal_offset ?? 0)));
        spread.set(i, Math.max(spread.get(i), (y - level.get(i)) / 2, p.min_spread));
      },
      save: () => ({ metrics: models.save() }),
      load: (st) => models.load((st as { metrics: unknown }).metrics),
      summary: () => ({ metric_series: models.series(), metric_series_not_followed: models.full }),
      extraBytes: () => models.bytes(),
    };
  },
});

/** Any other metric: judged by the metric model as a gauge, or as a counter's rate. */
const GAUGE = -1;
const COUNTER = -2;

/** Which volume a metric name adds to (+8 when it is a counter, named *_total); GAUGE or COUNTER for other metrics. */
function metricSlot(name: string): number {
  const n = name.toLowerCase();
  const slot = n.includes("bytes") ? BYTES : n.includes("packets") ? PACKETS : n.includes("messages") ? MESSAGES : isCounterName(n) ? COUNTER : GAUGE;
  return slot >= 0 && slot < 2 && n.endsWith("_total") ? slot + 8 : slot;
}

function nz(x: number): number {
  return x === x ? x : 0;
}

function clampI8(x: number): number {
  return Math.max(-127, Math.min(127, x));
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
