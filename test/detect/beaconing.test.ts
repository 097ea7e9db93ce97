/**
 * beaconing on real captures (test/fixtures/zeek-labelled, GPL-2.0, see SOURCE.txt) and a small fleet: several
 * candidate destinations per device, reconnect bursts and failures tolerated, persistent failed contact called out,
 * documented RAT ports as evidence, infrastructure never a candidate, and a 10-second check-in caught within 5 minutes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { beaconing } from "../../src/detect/detectors/beaconing.ts";
import { Engine } from "../../src/detect/engine.ts";
import { Rec } from "../../src/detect/read/rec.ts";
import { runDetection } from "../../src/detect/run.ts";

const dir = join(import.meta.dirname, "..", "fixtures", "zeek-labelled");
const now = Date.parse("2030-01-01T00:00:00Z");

describe("beaconing on real captures", () => {
  it("catches NjRAT's unanswered C&C calls (41.108.179.197:1177) within 2 minutes, and not the DNS resolver", () => {
    const r = runDetection({ files: [join(dir, "njrat-ctu-230-1.conn.log")], detectors: ["beaconing"], now, onReject: () => {} });
    assert.deepEqual(r.alerts.map((a) => a.key), ["dest:41.108.179.197"]);
    const a = r.alerts[0]!;
    // The first C&C attempt starts 273.5 s into the capture.
    assert.ok(Date.parse(a.first_seen) - 273_503 < 120_000, `detected at ${a.first_seen}`);
    assert.equal(a.evidence.suspect_port, "njRAT");
    assert.match(a.summary, /never answered — persistent failed contact/);
    assert.match(a.summary, /Port 1177 is one njRAT is documented to use — evidence, not proof/);
  });

  it("catches the Android RAT's reconnects to 1337/tcp after hours of irregular sessions", () => {
    const r = runDetection({ files: [join(dir, "androidtester-rat.conn.log")], detectors: ["beaconing"], now, onReject: () => {} });
    assert.deepEqual(r.alerts.map((a) => a.key), ["dest:147.32.83.234"]);
    assert.equal(r.alerts[0]!.evidence.port, 1337);
  });
});

describe("beaconing in a fleet", () => {
  function run(records: Record<string, unknown>[]): Alert[] {
    const alerts: Alert[] = [];
    const engine = new Engine({ detectors: [beaconing], sink: (a, change) => change === "open" && alerts.push(a) });
    const rec = new Rec();
    for (const r of records.sort((x, y) => Number(x.ts) - Number(y.ts))) {
      assert.equal(rec.fromObject({ kind: "flow", src_port: 40000, proto: "tcp", bytes_out: 80, bytes_in: 80, ...r }), null);
      assert.equal(engine.ingest(rec), null);
    }
    return alerts;
  }
  const t0 = Date.parse("2026-11-02T00:00:00Z") / 1000;

  it("follows a 10 s check-in among a cloud heartbeat, an API, NTP and DNS, and raises it within 5 minutes", () => {
    const recs: Record<string, unknown>[] = [];
    // 50 devices share the cloud (never rare); device 7 also polls its own API irregularly and is infected at 600 s.
    for (let d = 0; d < 50; d++) for (let t = 0; t < 1800; t += 7) recs.push({ ts: t0 + t + d * 0.01, src_ip: `10.0.0.${d + 1}`, dst_ip: "52.1.1.1", dst_port: 443 });
    const gaps = [5, 41, 9, 70, 13, 28, 4, 55, 17, 90, 6, 33];
    for (let k = 0, t = 0; t < 1800; t += gaps[k++ % gaps.length]!) recs.push({ ts: t0 + t + 0.5, src_ip: "10.0.0.7", dst_ip: "52.9.9.9", dst_port: 443 });
    for (let t = 0; t < 1800; t += 30) recs.push({ ts: t0 + t + 0.2, src_ip: "10.0.0.7", dst_ip: `162.159.200.${t % 250}`, dst_port: 123, proto: "udp" }, { ts: t0 + t + 0.3, src_ip: "10.0.0.7", dst_ip: "10.0.0.254", dst_port: 53, proto: "udp" });
    // The beacon: every 10 s ± 2 s, a burst of three SYNs each time, one check-in in five missed.
    for (let k = 0, t = 600; t < 1800; k++, t += 10) {
      if (k % 5 === 4) continue;
      const j = ((k * 7) % 5) - 2;
      for (let b = 0; b < 3; b++) recs.push({ ts: t0 + t + j + b * 0.3, src_ip: "10.0.0.7", dst_ip: "203.0.113.50", dst_port: 8443, conn_state: "S0", bytes_in: 0 });
    }
    const alerts = run(recs);
    assert.deepEqual(alerts.map((a) => `${a.device_id} ${a.key}`), ["10.0.0.7 dest:203.0.113.50"]);
    assert.ok(Date.parse(alerts[0]!.first_seen) / 1000 - (t0 + 600) < 300, `after ${Date.parse(alerts[0]!.first_seen) / 1000 - t0 - 600} s`);
  });
});
