/** The HTTP side of /metrics: requests by route and status, and their durations as a Prometheus histogram; the event loop's delay. */
import { LoopDelay } from "./loop-delay.ts";

const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000];

export class HttpMetrics {
  private readonly counts = new Map<string, number>();
  private readonly hist = new Map<string, { buckets: number[]; sum: number; count: number }>();
  readonly loop = new LoopDelay();

  observe(route: string, method: string, status: number, ms: number): void {
    const k = `route="${route}",method="${method}",status="${status}"`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    let h = this.hist.get(route);
    if (!h) this.hist.set(route, (h = { buckets: BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS_MS.forEach((b, i) => {
      if (ms <= b) h.buckets[i]!++;
    });
    h.sum += ms / 1000;
    h.count++;
  }

  render(): string {
    const out = ["# HELP longwatch_http_requests_total HTTP requests answered, by route and status.", "# TYPE longwatch_http_requests_total counter"];
    for (const [k, v] of [...this.counts].sort()) out.push(`longwatch_http_requests_total{${k}} ${v}`);
    out.push("# HELP longwatch_http_request_duration_seconds Time to answer, by route.", "# TYPE longwatch_http_request_duration_seconds histogram");
    for (const [route, h] of [...this.hist].sort()) {
      BUCKETS_MS.forEach((b, i) => out.push(`longwatch_http_request_duration_seconds_bucket{route="${route}",le="${b / 1000}"} ${h.buckets[i]}`));
      out.push(`longwatch_http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${h.count}`);
      out.push(`longwatch_http_request_duration_seconds_sum{route="${route}"} ${h.sum}`);
      out.push(`longwatch_http_request_duration_seconds_count{route="${route}"} ${h.count}`);
    }
    return `${out.join("\n")}\n${this.loop.render()}`;
  }
}
