/**
 * The model volume-anomaly judges a device's own metrics with (gauges and counters of any name: a temperature, a
 * battery level, a queue length, a CPU share, a request counter). Volumes are sums over a window and only their rise
 * is news; a metric is a level, and a spike, a drop, a flat line where it used to move or a day that lost its shape
 * all are. So each (device, metric) pair gets a robust seasonal model, judged sample by sample:
 *
 * - expected = level + the offset of the sample's hour of the day (24 offsets, learned only once the level settled);
 * - spread = an exponentially weighted mean absolute deviation of the residuals, floored at a small share of the
 *   level so a constant series does not alert on rounding;
 * - every update uses the residual clipped to ±3 spreads (Huber), so an anomaly cannot drag the baseline along;
 * - weights follow time, not samples (a series sampled every minute and one sampled hourly learn at the same pace);
 * - an alert opens an episode: the pair is not raised again until it has been back within half the threshold for
 *   `calm_minutes` — one anomaly, one alert, not one per sample.
 *
 * Counters (names ending in _total, _count or _counter) are turned into a rate per second first; a drop is a restart.
 * State is pooled: a slot per pair, allocated when a device first reports a metric and chained from a per-device head,
 * so devices that send no metrics cost 4 bytes and the pool is capped.
 */

const BLOCKS = 24;
const HOUR_MS = 3_600_000;

export interface MetricParams {
  threshold: number;
  warmup_hours: number;
  min_samples: number;
  level_hours: number;
  season_days: number;
  calm_minutes: number;
  relative_floor: number;
  max_metrics_per_device: number;
  max_series: number;
}

export interface MetricVerdict {
  z: number;
  value: number;
  expected: number;
  spread: number;
  samples: number;
  direction: "above" | "below";
  counter: boolean;
}

export class MetricModels {
  private cap = 1024;
  private used = 0;
  /** Pairs not followed because a device or the pool was full (counted, shown in the run summary). */
  full = 0;
  hash = new Int32Array(this.cap);
  next = new Int32Array(this.cap);
  level = new Float64Array(this.cap);
  spread = new Float64Array(this.cap);
  season = new Float32Array(this.cap * BLOCKS);
  lastTs = new Float64Array(this.cap);
  lastRaw = new Float64Array(this.cap);
  firstTs = new Float64Array(this.cap);
  samples = new Uint32Array(this.cap);
  /** 0 calm, 1 in an episode; calmSince: when it last came back within half the threshold. */
  episode = new Uint8Array(this.cap);
  calmSince = new Float64Array(this.cap);

  constructor(private readonly p: MetricParams) {}

  /** The slot of (device head, metric hash): found or made; -1 when none can be made. */
  slot(head: number, h: number, setHead: (s: number) => void): number {
    let n = 0;
    for (let s = head - 1; s >= 0; s = this.next[s]! - 1) {
      if (this.hash[s] === h) return s;
      n++;
    }
    if (n >= this.p.max_metrics_per_device || this.used >= this.p.max_series) {
      this.full++;
      return -1;
    }
    if (this.used === this.cap) this.grow();
    const s = this.used++;
    this.hash[s] = h;
    this.next[s] = head;
    setHead(s + 1);
    return s;
  }

  /** Judges one sample and learns from it; returns a verdict when it opens an anomaly episode. */
  observe(s: number, ts: number, raw: number, counter: boolean): MetricVerdict | null {
    const p = this.p;
    const prevTs = this.lastTs[s]!;
    let x = raw;
    if (counter) {
      const last = this.lastRaw[s]!;
      this.lastRaw[s] = raw;
      if (prevTs === 0 || ts <= prevTs) {
        this.lastTs[s] = ts;
        return null;
      }
      x = ((raw >= last ? raw - last : raw) * 1000) / (ts - prevTs);
    }
    const n = this.samples[s]!;
    this.lastTs[s] = ts;
    if (n === 0) {
      this.firstTs[s] = ts;
      this.level[s] = x;
      this.spread[s] = 0;
      this.samples[s] = 1;
      return null;
    }
    const dt = Math.max(0, ts - prevTs);
    const b = Math.floor((ts % 86_400_000) / HOUR_MS);
    const si = s * BLOCKS + b;
    const seasonal = n >= p.min_samples && ts - this.firstTs[s]! >= 24 * HOUR_MS;
    const off = seasonal ? this.season[si]! : 0;
    const expected = this.level[s]! + off;
    const sp = Math.max(this.spread[s]!, p.relative_floor * Math.abs(expected), 1e-9);
    const r = x - expected;
    const z = r / sp;
    const warm = n >= p.min_samples && ts - this.firstTs[s]! >= p.warmup_hours * HOUR_MS;
    let verdict: MetricVerdict | null = null;
    if (warm) {
      if (Math.abs(z) < p.threshold / 2) {
        if (this.calmSince[s] === 0) this.calmSince[s] = ts;
        if (this.episode[s] === 1 && ts - this.calmSince[s]! >= p.calm_minutes * 60_000) this.episode[s] = 0;
      } else this.calmSince[s] = 0;
      if (Math.abs(z) >= p.threshold && this.episode[s] === 0) {
        this.episode[s] = 1;
        verdict = { z, value: x, expected, spread: sp, samples: n, direction: z > 0 ? "above" : "below", counter };
      }
    }
    // Learn with the residual clipped to ±3 spreads (until there is a spread, take the sample as it is).
    const rc = this.spread[s]! > 0 ? Math.max(-3 * sp, Math.min(3 * sp, r)) : r;
    const a = 1 - Math.exp(-dt / (p.level_hours * HOUR_MS));
    // An hour's offset only learns during that hour of the day: season_days of its own hours to settle.
    const g = 1 - Math.exp(-dt / (p.season_days * HOUR_MS));
    this.level[s] = this.level[s]! + a * rc;
    if (seasonal) this.season[si] = off + g * rc;
    this.spread[s] = this.spread[s]! === 0 ? Math.abs(rc) : this.spread[s]! + a * (Math.abs(rc) - this.spread[s]!);
    this.samples[s] = n + 1;
    return verdict;
  }

  /** A person marked an alert benign: take the observed value as normal (level and spread widen to it). */
  accept(s: number, value: number): void {
    const r = value - this.level[s]!;
    this.level[s] = this.level[s]! + r / 2;
    this.spread[s] = Math.max(this.spread[s]!, Math.abs(r) / 2);
    this.episode[s] = 0;
  }

  series(): number {
    return this.used;
  }

  bytes(): number {
    return this.cap * (4 + 4 + 8 * 6 + 4 + 1 + 4 * BLOCKS);
  }

  save(): unknown {
    const n = this.used;
    const b64 = (a: ArrayBufferView & { length: number }, k = 1) => Buffer.from(a.buffer, a.byteOffset, (a.byteLength / a.length) * n * k).toString("base64");
    return {
      used: n,
      full: this.full,
      hash: b64(this.hash),
      next: b64(this.next),
      level: b64(this.level),
      spread: b64(this.spread),
      season: b64(this.season, BLOCKS),
      lastTs: b64(this.lastTs),
      lastRaw: b64(this.lastRaw),
      firstTs: b64(this.firstTs),
      samples: b64(this.samples),
      episode: b64(this.episode),
      calmSince: b64(this.calmSince),
    };
  }

  load(state: unknown): void {
    const st = state as Record<string, string> & { used: number; full: number };
    while (this.cap < st.used) this.grow();
    this.used = st.used;
    this.full = st.full;
    for (const name of ["hash", "next", "level", "spread", "season", "lastTs", "lastRaw", "firstTs", "samples", "episode", "calmSince"] as const) {
      const bytes = Buffer.from(st[name]!, "base64");
      new Uint8Array(this[name].buffer).set(bytes);
    }
  }

  private grow(): void {
    const cap = this.cap * 2;
    const g = <T extends Int32Array | Float64Array | Float32Array | Uint32Array | Uint8Array>(a: T, k = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * k);
      b.set(a);
      return b;
    };
    this.hash = g(this.hash);
    this.next = g(this.next);
    this.level = g(this.level);
    this.spread = g(this.spread);
    this.season = g(this.season, BLOCKS);
    this.lastTs = g(this.lastTs);
    this.lastRaw = g(this.lastRaw);
    this.firstTs = g(this.firstTs);
    this.samples = g(this.samples);
    this.episode = g(this.episode);
    this.calmSince = g(this.calmSince);
    this.cap = cap;
  }
}

/** Prometheus-style counter names: the value only grows (a drop is a restart), so its rate is what is judged. */
export function isCounterName(name: string): boolean {
  return /(_total|_count|_counter)$/i.test(name);
}
