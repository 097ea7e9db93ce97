/**
 * Small pieces the scale-out tests share (test/scale/*): a synthetic metric feed and a poll with a deadline.
 */
import assert from "node:assert/strict";

/** Metric records of every device, one a second from `from` on, `rounds` times over the devices (NDJSON text). */
export function metricRecords(devices: readonly string[], from: number, rounds: number): string {
  const lines: string[] = [];
  for (let k = 0; k < rounds; k++) {
    devices.forEach((d, i) => {
      const ts = new Date(from + (k * devices.length + i) * 1000).toISOString();
      lines.push(JSON.stringify({ ts, kind: "metric", device_id: d, metric: "aws:all-bytes-out", value: 100 + k }));
    });
  }
  return `${lines.join("\n")}\n`;
}

/** Polls `ok` every 100 ms until it holds; fails with `what` after `ms`. */
export async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}
