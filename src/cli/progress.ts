/** A progress line on stderr for long work; only when stderr is a terminal, at most ten redraws a second. */
import type { CliContext } from "./context.ts";

export class Progress {
  private last = 0;
  private shown = false;
  private readonly enabled: boolean;

  constructor(private readonly ctx: CliContext, private readonly label: string) {
    this.enabled = ctx.io.stderr.isTTY === true && ctx.io.env.CI === undefined;
  }

  update(done: number, total?: number, unit: "bytes" | "items" = "items"): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && (total === undefined || done < total)) return;
    this.last = now;
    const width = 30;
    const frac = total ? Math.min(1, done / total) : undefined;
    const bar = frac !== undefined ? `${"█".repeat(Math.round(frac * width))}${"░".repeat(width - Math.round(frac * width))} ${Math.round(frac * 100)}%` : "";
    const amount = unit === "bytes" ? `${(done / 1048576).toFixed(1)}${total ? `/${(total / 1048576).toFixed(1)}` : ""} MiB` : `${done.toLocaleString("en-US")}${total ? `/${total.toLocaleString("en-US")}` : ""}`;
    this.ctx.io.stderr.write(`\r\x1b[2K${this.label} ${bar} ${amount}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.ctx.io.stderr.write("\r\x1b[2K");
    this.shown = false;
  }
}
