/**
 * The fleet stage's merge by watermark (fleet-merge.ts), message by message: what a partition's words after it went
 * quiet do to the watermark.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { openBytes } from "../../src/detect/read/open.ts";
import { Rec } from "../../src/detect/read/rec.ts";
import { FactWriter } from "../../src/scale/facts.ts";
import { FleetMerge } from "../../src/scale/fleet-merge.ts";

const DETECTORS = ["beaconing"];
const t0 = Date.parse("2026-11-01T00:00:00Z");

function flow(ts: number): Rec {
  const csv = `ts,kind,src_ip,dst_ip,dst_port,proto\n${new Date(ts).toISOString()},flow,10.0.0.1,93.184.1.1,443,tcp\n`;
  const { source } = openBytes("x.csv", new TextEncoder().encode(csv), { onReject: () => assert.fail("reject") });
  const rec = new Rec();
  assert.ok(source.next(rec));
  return rec;
}

/** One message of partition `p`: facts at `keys` (numbered from `from`), the watermark, the records spoken for. */
function message(p: number, from: number, keys: number[], watermark: number, records: number): Uint8Array {
  const w = new FactWriter();
  for (const k of keys) w.add(flow(k), k, `dev-${p}`, t0, [1]);
  const [body, ...more] = w.bodies({ partition: p, from, watermark, records, detectors: DETECTORS });
  assert.equal(more.length, 0);
  return body!;
}

test("a partition that said it is through is not taken back by a later word that speaks for nothing new (a hand-over's last checkpoint, a restored owner)", () => {
  const merge = new FleetMerge(2, DETECTORS);
  const released: number[] = [];
  const release = () => merge.release(new Rec(), (rec) => released.push(rec.ts));
  merge.take(message(0, 0, [t0 + 1000], t0 + 2000, 10));
  merge.take(message(0, 1, [], Infinity, 10)); // p0 went quiet and processed everything
  // The old owner's last checkpoint at a hand-over (or the new owner's first, restored): no new record, no new fact,
  // the finite watermark it had processed through. The new owner's own +Infinity later has the first one's id, so
  // JetStream drops it: this word must not hold the fleet stage back.
  merge.take(message(0, 1, [], t0 + 2000, 10));
  assert.equal(merge.watermark, -Infinity, "p1 has not spoken");
  merge.take(message(1, 0, [t0 + 5000], Infinity, 7));
  release();
  assert.equal(merge.watermark, Infinity);
  assert.deepEqual(released, [t0 + 1000, t0 + 5000], "every fact released");
  assert.equal(merge.held, 0);
  // New records after the quiet do take the watermark back: their facts may be older than what others sent since.
  merge.take(message(0, 1, [t0 + 6000], t0 + 6500, 11));
  assert.equal(merge.watermark, t0 + 6500);
});
