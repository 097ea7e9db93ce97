/**
 * volume-anomaly on counters and deltas: session_update carries running totals of the session, metrics named *_total
 * are counters; both become per-window deltas, and a counter that restarts (a new session, a reboot) is not a spike.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { volumeAnomaly } from "../../src/detect/detectors/volume-anomaly.ts";
import { Engine } from "../../src/detect/engine.ts";
import { Rec } from "../../src/detect/read/rec.ts";

const t0 = Date.parse("2026-11-02T00:00:00Z");

function run(records: Record<string, unknown>[]): Alert[] {
  const alerts: Alert[] = [];
  const engine = new Engine({ detectors: [volumeAnomaly], sink: (a, change) => change === "open" && alerts.push(a) });
  const rec = new Rec();
  for (const r of records) {
    assert.equal(rec.fromObject(r), null);
    assert.equal(engine.ingest(rec), null);
  }
  return alerts;
}

/** A device reporting every 10 minutes for `hours`, each report `bytes` more on its counter. */
function sessionUpdates(hours: number, bytes: (i: number) => number, resetEvery = Infinity): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let total = 0;
  for (let i = 0; i < hours * 6; i++) {
    if (i % resetEvery === 0) {
      total = 0;
      out.push({ kind: "connectivity", ts: (t0 + i * 600_000) / 1000, iccid: "8949100000000000001", event: "session_start", bytes_up: 0 });
    }
    total += bytes(i);
    out.push({ kind: "connectivity", ts: (t0 + i * 600_000 + 1000) / 1000, iccid: "8949100000000000001", event: "session_update", bytes_up: total });
  }
  return out;
}

describe("volume-anomaly", () => {
  it("reads session running totals as deltas: steady use is quiet, however large the total grows", () => {
    assert.deepEqual(run(sessionUpdates(30, () => 50_000)), []);
  });

  it("is quiet when a counter restarts with a new session", () => {
    assert.deepEqual(run(sessionUpdates(30, () => 50_000, 13)), []);
  });

  it("alerts within the window when the deltas jump far above the learned level", () => {
    const alerts = run(sessionUpdates(30, (i) => (i === 26 * 6 + 2 ? 20_000_000 : 50_000)));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.key, "bytes");
    assert.equal(alerts[0]!.first_seen, new Date(t0 + (26 * 6 + 2) * 600_000 + 1000).toISOString().replace(".000Z", "Z"));
    assert.ok(Number(alerts[0]!.evidence.observed) >= 20_000_000);
    assert.ok(Number(alerts[0]!.evidence.expected) < 1_000_000);
  });

  it("reads *_total metrics as counters and other byte metrics as deltas", () => {
    const counter: Record<string, unknown>[] = [];
    const delta: Record<string, unknown>[] = [];
    for (let i = 0; i < 30 * 6; i++) {
      const ts = (t0 + i * 600_000) / 1000;
      counter.push({ kind: "metric", ts, device_id: "d1", metric: "net_bytes_total", value: 100_000 * (i + 1) });
      delta.push({ kind: "metric", ts, device_id: "d1", metric: "aws:all-bytes-out", value: i === 170 ? 50_000_000 : 100_000 });
    }
    assert.deepEqual(run(counter), []);
    assert.equal(run(delta).length, 1);
  });

  it("does not alert before its warm-up", () => {
    assert.deepEqual(run(sessionUpdates(4, (i) => (i === 20 ? 20_000_000 : 50_000))), []);
  });
});

describe("volume-anomaly on metrics of any name (real NAB series, test/fixtures/nab, MIT)", () => {
  const dir = join(import.meta.dirname, "..", "fixtures", "nab");
  const windows = JSON.parse(readFileSync(join(dir, "windows.json"), "utf8")) as Record<string, [string, string][]>;
  const at = (t: string) => Date.parse(`${t.replace(" ", "T").slice(0, 19)}Z`);

  /** Every sighting (a new alert, or a repeat counted on it): its time as first_seen, and the alert as it was. */
  function series(file: string, metric: string): Alert[] {
    const rows = readFileSync(join(dir, file), "utf8").trim().split("\n").slice(1);
    const out: Alert[] = [];
    const engine = new Engine({ detectors: [volumeAnomaly], sink: (a, change) => change !== "resolve" && out.push({ ...structuredClone(a), first_seen: change === "open" ? a.first_seen : a.last_seen }) });
    const rec = new Rec();
    for (const l of rows) {
      const [t, v] = l.split(",");
      assert.equal(rec.fromObject({ kind: "metric", ts: at(t!) / 1000, device_id: "sensor-1", metric, value: Number(v) }), null);
      assert.equal(engine.ingest(rec), null);
    }
    return out;
  }

  it("finds both labelled anomalies of a real road-occupancy sensor, and nothing outside them", () => {
    const alerts = series("occupancy_t4013.csv", "occupancy");
    const w = windows["occupancy_t4013.csv"]!.map(([a, b]) => [at(a), at(b)] as const);
    const inside = (a: Alert) => w.some(([s, e]) => Date.parse(a.first_seen) >= s && Date.parse(a.first_seen) <= e);
    assert.equal(w.filter(([s, e]) => alerts.some((a) => Date.parse(a.first_seen) >= s && Date.parse(a.first_seen) <= e)).length, 2);
    assert.deepEqual(alerts.filter((a) => !inside(a)).map((a) => a.first_seen), []);
    assert.equal(alerts[0]!.key, "metric:occupancy");
    assert.match(alerts[0]!.summary, /sensor-1 had .* occupancy at .* spreads (above|below) what its baseline expects for this hour of the day/);
  });

  it("sees a drop: a daily pattern whose peaks fall for a day alerts below, inside the labelled window", () => {
    const alerts = series("art_daily_jumpsdown.csv", "load");
    const [a, b] = windows["art_daily_jumpsdown.csv"]![0]!;
    const s = at(a);
    const e = at(b);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.evidence.direction, "below");
    assert.ok(Date.parse(alerts[0]!.first_seen) >= s && Date.parse(alerts[0]!.first_seen) <= e);
  });

  it("stays quiet on a daily pattern with small noise (no anomaly)", () => {
    assert.deepEqual(series("art_daily_small_noise.csv", "temperature"), []);
  });

  it("judges a counter of any name by its rate, and a restart is not a spike", () => {
    const recs: Record<string, unknown>[] = [];
    let total = 0;
    for (let i = 0; i < 6 * 48; i++) {
      if (i === 200) total = 0; // the device restarted
      total += i === 250 ? 5000 : 50 + (i % 3);
      recs.push({ kind: "metric", ts: (t0 + i * 600_000) / 1000, device_id: "gw-1", metric: "mqtt_reconnects_total", value: total });
    }
    const alerts = run(recs);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.first_seen, new Date(t0 + 250 * 600_000).toISOString().replace(".000Z", "Z"));
    assert.equal(alerts[0]!.evidence.counter, true);
  });
});
