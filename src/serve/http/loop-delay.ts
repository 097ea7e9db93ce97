/**
 * How late the event loop runs timers (perf_hooks.monitorEventLoopDelay), for /metrics: the service promises that
 * nothing holds the loop for more than 50 ms, and this is how an operator (and bench:serve) sees whether it keeps
 * that. Quantiles are over the last complete minute (the current one until a minute has passed), so a stall shows for
 * a minute and then goes, and a scrape never resets what another scraper sees.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

const RESOLUTION_MS = 10;
const WINDOW_MS = 60_000;

export class LoopDelay {
  private current: IntervalHistogram;
  private previous: IntervalHistogram | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(windowMs = WINDOW_MS) {
    this.current = start();
    this.timer = setInterval(() => this.rotate(), windowMs);
    this.timer.unref();
  }

  private rotate(): void {
    this.current.disable();
    this.previous = this.current;
    this.current = start();
  }

  /** Delay quantiles in seconds (0.5, 0.99, 1 = the longest), beyond the sampling interval itself. */
  quantiles(): { q: string; seconds: number }[] {
    const h = this.previous ?? this.current;
    if (h.count === 0) return [];
    const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS) / 1000;
    return [
      { q: "0.5", seconds: late(h.percentile(50)) },
      { q: "0.99", seconds: late(h.percentile(99)) },
      { q: "1", seconds: late(h.max) },
    ];
  }

  render(): string {
    const out = ["# HELP longwatch_event_loop_delay_seconds How late the event loop ran a timer, over the last complete minute (quantile 1: the longest stall).", "# TYPE longwatch_event_loop_delay_seconds summary"];
    for (const { q, seconds } of this.quantiles()) out.push(`longwatch_event_loop_delay_seconds{quantile="${q}"} ${seconds}`);
    return `${out.join("\n")}\n`;
  }

  close(): void {
    clearInterval(this.timer);
    this.current.disable();
  }
}

function start(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return h;
}
