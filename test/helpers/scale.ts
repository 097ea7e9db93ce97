/**
 * Small pieces the scale-out tests share (test/scale/*): a store and broker to run workers on, a synthetic metric
 * feed and a poll with a deadline.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { connectNats } from "../../src/scale/nats.ts";
import { openStore } from "../../src/store/open.ts";
import { SHARED_NATS } from "./nats.ts";
import { throwawayDatabase } from "./postgres.ts";

/**
 * A store in schema `schema` of a throwaway PostgreSQL database, a connection to the shared nats-server, and a plain
 * client on the same database for what a test does behind the workers' backs (lease rows expired, row locks held);
 * `close` ends all three.
 */
export async function scaleTestbed(schema: string) {
  const db = new URL(await throwawayDatabase());
  db.searchParams.set("schema", schema);
  const store = await openStore(db.toString());
  const nc = await connectNats(SHARED_NATS, `test ${schema}`);
  const admin = new pg.Client({ connectionString: db.toString().replace(/\?.*$/, "") });
  await admin.connect();
  return { store, nc, admin, close: async () => (await admin.end(), await nc.close(), await store.close()) };
}

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
