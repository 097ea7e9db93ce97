/**
 * device-silent in proportion: a device with a regular rhythm raises one alert per silence episode (escalating in
 * place) that is resolved when it reports again; a device that reports irregularly is never judged silent. The
 * regular reporter is a real road-occupancy sensor's timestamps (test/fixtures/nab, NAB, MIT): every 5 minutes, with
 * real outages, the longest 84 hours.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import type { AlertChange } from "../../src/detect/alert-book.ts";
import { deviceSilent } from "../../src/detect/detectors/device-silent.ts";
import { Engine } from "../../src/detect/engine.ts";
import { Rec } from "../../src/detect/read/rec.ts";

function run(times: number[], device = "sensor-1"): { change: AlertChange; alert: Alert }[] {
  const out: { change: AlertChange; alert: Alert }[] = [];
  const engine = new Engine({ detectors: [deviceSilent], sink: (alert, change) => out.push({ change, alert: structuredClone(alert) }) });
  const rec = new Rec();
  for (const t of times) {
    assert.equal(rec.fromObject({ kind: "metric", ts: t / 1000, device_id: device, metric: "occupancy", value: 1 }), null);
    assert.equal(engine.ingest(rec), null);
  }
  return out;
}

const real = readFileSync(join(import.meta.dirname, "..", "fixtures", "nab", "occupancy_t4013.csv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => Date.parse(`${l.split(",")[0]!.replace(" ", "T")}Z`));

describe("device-silent", () => {
  it("raises one alert per outage of a regular real sensor, each resolved when it reports again", () => {
    const events = run(real);
    const opened = events.filter((e) => e.change === "open");
    // Outages: gaps longer than 30 minutes (6 of its 5-minute intervals); the learned interval widens with them.
    const outages = real.slice(1).filter((t, i) => t - real[i]! > 30 * 60_000).length;
    assert.ok(opened.length >= 5 && opened.length <= outages, `${opened.length} alerts for ${outages} outages`);
    // Each episode: open, maybe updates (escalation), then resolved — never a second open while one is open.
    let open = false;
    for (const e of events) {
      if (e.change === "open") assert.ok(!open, `second alert at ${e.alert.first_seen} during one silence`);
      else assert.ok(open);
      open = e.change !== "resolve";
    }
    assert.ok(!open, "the last outage was resolved when the sensor returned");
    // Event time passes through the outage tick by tick (as a live service's clock would), so the alert opens as
    // silent and escalates in place to offline.
    assert.ok(events.some((e) => e.change === "update" && e.alert.severity === "high" && e.alert.evidence.state === "offline"), "the 84-hour outage escalates to an offline alert");
  });

  it("never judges a device that reports irregularly (gaps from minutes to hours)", () => {
    const t0 = Date.parse("2026-11-02T00:00:00Z");
    const gaps = [2, 45, 7, 180, 15, 3, 240, 30, 90, 5, 600, 20];
    const times: number[] = [];
    for (let k = 0, t = t0; k < 120; k++) times.push((t += gaps[k % gaps.length]! * 60_000));
    assert.deepEqual(run(times, "travel-sim").filter((e) => e.change === "open"), []);
  });
});
