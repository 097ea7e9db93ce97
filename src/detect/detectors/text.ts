/** Formatting for alert text: sizes, counts and durations people read at a glance. */

export function fmtBytes(n: number): string {
  if (!(n >= 1000)) return `${Math.round(n)} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export function fmtCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} million`;
  return Math.round(n).toLocaleString("en-US");
}

export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = s / 3600;
  if (h < 48) return `${h.toFixed(h < 10 ? 1 : 0)} h`;
  return `${(h / 24).toFixed(1)} days`;
}

/** Confidence from how far past its threshold a score is: 0.5 at the threshold, approaching 1 well beyond it. */
export function confidenceFrom(score: number, threshold: number, maturity = 1): number {
  const over = Math.max(0, score / threshold - 1);
  return Math.min(0.99, (0.5 + 0.5 * (1 - Math.exp(-2 * over))) * (0.6 + 0.4 * Math.min(1, maturity)));
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
