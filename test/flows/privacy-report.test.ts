import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildPrivacyReport } from "../../src/flows/report.ts";
import { privacyHtml, privacyTable } from "../../src/report/privacy.ts";
import type { DestinationDay } from "../../src/store/flows.ts";

const day = (over: Partial<DestinationDay>): DestinationDay => ({ day: "2026-11-01", destination: "mqtt.acme.example", port: 8883, protocol: "tcp", party: "first", country: "DE", categories: ["location"], declared: true, local: false, devices: 10, flows: 100, bytes_out: 50_000, bytes_in: 1000, ...over });
const base = { modelId: "m1", devices: 10, since: "2026-11-01", until: "2026-12-01" };

describe("privacy report: what changed since the last one", () => {
  const first = buildPrivacyReport({ ...base, now: Date.parse("2026-11-30T00:00:00Z"), days: [day({}), day({ day: "2026-11-02" }), day({ destination: "ota.acme.example", port: 443, categories: ["none"], bytes_out: 2000 })] });
  const second = buildPrivacyReport({
    ...base,
    now: Date.parse("2026-12-30T00:00:00Z"),
    previous: { created_at: first.generated_at, doc: JSON.parse(JSON.stringify(first)) },
    days: [
      day({ day: "2026-12-01", bytes_out: 260_000 }),
      day({ destination: "ota.acme.example", port: 443, categories: ["none", "personal"], bytes_out: 2100, country: "IE" }),
      day({ destination: "sdk.tracker.example", port: 443, party: "tracker", country: "US", declared: false }),
    ],
  });

  it("is null on the first report", () => assert.equal(first.changes, null));

  it("lists new and gone destinations, new countries, new third parties, changed facts and volume jumps", () => {
    const c = second.changes!;
    assert.deepEqual(c.new_destinations, ["sdk.tracker.example:443/tcp"]);
    assert.deepEqual(c.gone_destinations, []);
    assert.deepEqual(c.new_countries, ["IE", "US"]);
    assert.deepEqual(c.new_third_parties, ["sdk.tracker.example:443/tcp"]);
    assert.deepEqual(c.changed, [{ destination: "ota.acme.example:443/tcp", what: "country DE → IE, now carries personal" }]);
    // 50 kB a day on two days before, 260 kB on one day now; ota.acme.example moved 2000 → 2100 B: a trickle, not a jump.
    assert.deepEqual(c.volume, [{ destination: "mqtt.acme.example:8883/tcp", before_per_day: 50_000, now_per_day: 260_000 }]);
  });

  it("says it in the table and the HTML", () => {
    const t = privacyTable(second);
    assert.match(t, /Data now also goes to: IE, US\./);
    assert.match(t, /New third parties or trackers: sdk\.tracker\.example:443\/tcp\./);
    assert.match(t, /Volume up: mqtt\.acme\.example:8883\/tcp/);
    assert.match(privacyHtml(second), /data now also goes to IE, US/);
  });

  it("reads a report saved by an older version (no categories or days) without failing", () => {
    const old = { destinations: [{ destination: "mqtt.acme.example", port: 8883, protocol: "tcp", party: "first", declared: true, bytes_out: 1 }] };
    const r = buildPrivacyReport({ ...base, now: 0, previous: { created_at: "2026-01-01T00:00:00Z", doc: old }, days: [day({})] });
    assert.deepEqual(r.changes!.changed, [{ destination: "mqtt.acme.example:8883/tcp", what: "country unknown → DE, now carries location" }]);
    assert.deepEqual(r.changes!.volume, []);
  });
});
