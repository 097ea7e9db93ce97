/**
 * new-destination on real and small traffic: infrastructure (NTP, DNS, DHCP, multicast) and rotating service
 * addresses are grouped before it judges, and a device that meets new destinations at a steady pace (a general-purpose
 * computer) alerts only beyond that pace — while an appliance's first new network still alerts at once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { newDestination } from "../../src/detect/detectors/new-destination.ts";
import { Engine } from "../../src/detect/engine.ts";
import { Rec } from "../../src/detect/read/rec.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";

const t0 = Date.parse("2026-11-02T00:00:00Z");

function run(records: Record<string, unknown>[], feedback: Alert[] = []): { alerts: Alert[]; engine: Engine } {
  const alerts: Alert[] = [];
  const engine = new Engine({ detectors: [newDestination], sink: (a, change) => change === "open" && alerts.push(a) });
  const rec = new Rec();
  records.forEach((r, i) => {
    assert.equal(rec.fromObject({ kind: "flow", src_ip: "10.0.0.7", src_port: 40000, bytes_out: 100, bytes_in: 100, ...r }), null);
    assert.equal(engine.ingest(rec), null);
    // Verdicts are learned for devices the engine knows (restored state): after the device's first record.
    if (i === 0) for (const a of feedback) assert.ok(engine.learn(a));
  });
  return { alerts, engine };
}

/** An appliance: its cloud every 5 minutes for `hours`, time from a rotating NTP pool, DNS, DHCP and SSDP. */
function appliance(hours: number, extra: (t: number, i: number) => Record<string, unknown>[] = () => []): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < hours * 12; i++) {
    const t = (t0 + i * 300_000) / 1000;
    out.push({ ts: t, dst_ip: "52.1.1.10", dst_port: 443, proto: "tcp" });
    if (i % 12 === 0) out.push({ ts: t + 1, dst_ip: `162.159.${i % 250}.${(i * 7) % 250}`, dst_port: 123, proto: "udp" });
    if (i % 6 === 0) out.push({ ts: t + 2, dst_ip: `9.9.${i % 200}.9`, dst_port: 53, proto: "udp" });
    if (i % 24 === 0) out.push({ ts: t + 3, dst_ip: "10.0.0.1", dst_port: 67, proto: "udp" });
    if (i % 24 === 0) out.push({ ts: t + 4, dst_ip: "239.255.255.250", dst_port: 1900, proto: "udp" });
    out.push(...extra(t, i));
  }
  return out;
}

describe("new-destination grouping", () => {
  it("does not alert on NTP pool rotation, DNS resolvers, DHCP or multicast, nor on neighbours of a known address", () => {
    const { alerts } = run(appliance(24, (t, i) => (i > 12 * 12 && i % 12 === 0 ? [{ ts: t + 5, dst_ip: `52.1.1.${20 + (i % 200)}`, dst_port: 443, proto: "tcp" }] : [])));
    assert.deepEqual(alerts.map((a) => a.key), []);
  });

  it("alerts at once on an appliance's first new network after warm-up, keyed by the network, and learns a benign verdict", () => {
    const bad = (t: number, i: number) => (i === 12 * 12 ? [{ ts: t + 5, dst_ip: "185.220.101.4", dst_port: 443, proto: "tcp" }] : []);
    const { alerts } = run(appliance(24, bad));
    assert.deepEqual(alerts.map((a) => a.key), ["host:185.220.101.0/24"]);
    assert.equal(alerts[0]!.evidence.destination, "185.220.101.4");
    assert.match(alerts[0]!.summary, /an address in 185\.220\.101\.0\/24, a network it never used/);
    const again = run(appliance(24, bad), [{ ...alerts[0]!, verification: "benign_positive" }]);
    assert.deepEqual(again.alerts.map((a) => a.key), [], "a benign verdict teaches the group");
  });
});

describe("new-destination on a real day of a normal host (test/fixtures/flows, CTU-Normal-40, GPL-2.0)", () => {
  it("raises at most two alerts over the day, not one per Microsoft, ESET or CDN address (57 before)", () => {
    const r = runDetection({
      files: [join(import.meta.dirname, "..", "fixtures", "flows", "ctu-normal-40-day1.conn.log")],
      detectors: ["new-destination"],
      localNets: ["147.32.81.167/32"],
      reference: loadReference(),
      now: Date.parse("2030-01-01T00:00:00Z"),
      onReject: () => {},
    });
    assert.ok(r.replay.used > 1000);
    assert.ok(r.alerts.length <= 2, `${r.alerts.length} alerts: ${r.alerts.map((a) => a.key).join(", ")}`);
  });
});
