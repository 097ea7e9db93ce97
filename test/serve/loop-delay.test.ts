/** The event loop's delay on /metrics (serve/http/loop-delay.ts): a stall shows as the longest delay, and goes once its window has passed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoopDelay } from "../../src/serve/http/loop-delay.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
const max = (d: LoopDelay) => d.quantiles().find((q) => q.q === "1")?.seconds ?? NaN;

describe("event-loop delay metric", () => {
  it("reports a 300 ms stall as the longest delay of its window, and forgets it a window later", async () => {
    const d = new LoopDelay(1000);
    try {
      await sleep(100);
      block(300);
      await sleep(50);
      assert.ok(max(d) >= 0.25 && max(d) < 2, `longest delay ${max(d)} s`);
      assert.match(d.render(), /^longwatch_event_loop_delay_seconds\{quantile="0\.99"\} [\d.e-]+$/m);
      // After the window it was in, and one quiet window, the stall is gone.
      await sleep(2200);
      assert.ok(max(d) < 0.25, `longest delay ${max(d)} s a window after the stall`);
    } finally {
      d.close();
    }
  });
});
