/**
 * bench:quality on the Numenta Anomaly Benchmark's labelled series (../shared/data/nab, MIT): each series is replayed
 * as the metric records of one device (metric named after the series, so no name says "bytes"), and scored against
 * the labelled anomaly windows. In the same run, a rolling 24-hour z-score — the baseline the issue names — is
 * computed over the same values and its threshold set so that it raises the same number of alerts; the detector must
 * find more windows than it at that alert count.
 *
 * Unit of an alert: a sighting, at most one per series and hour (the detectors raise at most once per metric and
 * window; the baseline is held to the same rule), so both sides are counted alike whatever the alert book merges.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Engine } from "../src/detect/engine.ts";
import { selectDetectors } from "../src/detect/run.ts";
import { Rec } from "../src/detect/read/rec.ts";

export interface Series {
  name: string;
  ts: number[];
  values: number[];
  windows: [number, number][];
}

export interface NabScore {
  series: number;
  windows: number;
  found: number;
  alerts: number;
  inWindow: number;
  /** Median minutes from a window's start to its first alert. */
  medianTtdMinutes: number | undefined;
  deviceDays: number;
}

const HOUR = 3_600_000;

export function loadNab(dir: string): Series[] | undefined {
  if (!existsSync(join(dir, "combined_windows.json"))) return undefined;
  const windows = JSON.parse(readFileSync(join(dir, "combined_windows.json"), "utf8")) as Record<string, [string, string][]>;
  const out: Series[] = [];
  for (const group of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(join(dir, group)).filter((f) => f.endsWith(".csv")).sort()) {
      const key = `${group}/${file}`;
      const ts: number[] = [];
      const values: number[] = [];
      for (const line of readFileSync(join(dir, group, file), "utf8").split("\n").slice(1)) {
        const [t, v] = line.split(",");
        if (!t || v === undefined) continue;
        ts.push(Date.parse(`${t.replace(" ", "T")}Z`));
        values.push(Number(v));
      }
      out.push({ name: key, ts, values, windows: (windows[key] ?? []).map(([a, b]) => [Date.parse(`${a.replace(" ", "T")}Z`), Date.parse(`${b.replace(" ", "T")}Z`)]) });
    }
  }
  return out;
}

/** Sightings (alert times) of the metric detectors for each series, each replayed alone as one device. */
export function detectorSightings(series: readonly Series[], detectors: readonly string[], params?: Record<string, unknown>): number[][] {
  return series.map((s) => {
    const out: number[] = [];
    // One engine per series: the series come from different years, and event time only moves forward.
    const engine = new Engine({
      detectors: selectDetectors(detectors),
      ...(params ? { params } : {}),
      sink: (a, change) => {
        if (change === "open") out.push(Date.parse(a.first_seen));
        else if (change === "update") out.push(Date.parse(a.last_seen));
      },
      clock: () => Date.parse("2030-01-01T00:00:00Z"),
    });
    const rec = new Rec();
    const metric = s.name.split("/")[1]!.replace(/\.csv$/, "");
    for (let k = 0; k < s.ts.length; k++) {
      const why = rec.fromObject({ kind: "metric", ts: s.ts[k]! / 1000, device_id: "series", metric, value: s.values[k]! });
      if (why !== null) throw new Error(`${s.name}: ${why}`);
      engine.ingest(rec);
    }
    return hourly(out);
  });
}

/** Rolling 24-hour z-score over the previous day's values; sightings where |z| > k, at most one per hour. */
export function zscoreSightings(s: Series, k: number): number[] {
  const out: number[] = [];
  let lo = 0;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < s.ts.length; i++) {
    const t = s.ts[i]!;
    while (lo < i && s.ts[lo]! < t - 24 * HOUR) {
      sum -= s.values[lo]!;
      sum2 -= s.values[lo]! ** 2;
      lo++;
    }
    const n = i - lo;
    const x = s.values[i]!;
    if (n >= 12 && t - s.ts[lo]! >= 12 * HOUR) {
      const mean = sum / n;
      const sd = Math.sqrt(Math.max(0, sum2 / n - mean * mean));
      if (sd > 0 && Math.abs(x - mean) / sd > k) out.push(t);
    }
    sum += x;
    sum2 += x * x;
  }
  return hourly(out);
}

/** At most one sighting per hour (clock hour), as the detectors raise at most once per metric and window. */
function hourly(times: number[]): number[] {
  const out: number[] = [];
  let last = -1;
  for (const t of [...times].sort((a, b) => a - b)) {
    const h = Math.floor(t / HOUR);
    if (h === last) continue;
    last = h;
    out.push(t);
  }
  return out;
}

export function score(series: readonly Series[], sightings: readonly number[][]): NabScore {
  let windows = 0;
  let found = 0;
  let alerts = 0;
  let inWindow = 0;
  let deviceDays = 0;
  const ttds: number[] = [];
  series.forEach((s, i) => {
    const times = sightings[i]!;
    alerts += times.length;
    deviceDays += (s.ts[s.ts.length - 1]! - s.ts[0]!) / 86_400_000;
    for (const t of times) if (s.windows.some(([a, b]) => t >= a && t <= b)) inWindow++;
    for (const [a, b] of s.windows) {
      windows++;
      const first = times.find((t) => t >= a && t <= b);
      if (first !== undefined) {
        found++;
        ttds.push((first - a) / 60_000);
      }
    }
  });
  ttds.sort((a, b) => a - b);
  return { series: series.length, windows, found, alerts, inWindow, medianTtdMinutes: ttds.length ? ttds[Math.floor((ttds.length - 1) / 2)] : undefined, deviceDays };
}

/** The z-score threshold at which the baseline raises as many alerts as `target` (or the fewest above it). */
export function matchedZscore(series: readonly Series[], target: number): { k: number; sightings: number[][] } {
  let lo = 0.5;
  let hi = 50;
  let best = { k: hi, sightings: series.map((s) => zscoreSightings(s, hi)) };
  for (let it = 0; it < 30; it++) {
    const k = (lo + hi) / 2;
    const sightings = series.map((s) => zscoreSightings(s, k));
    const n = sightings.reduce((a, x) => a + x.length, 0);
    if (n >= target) {
      best = { k, sightings };
      lo = k;
    } else hi = k;
  }
  return best;
}
