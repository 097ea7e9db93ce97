/**
 * The dashboard's chart routes on SQLite and PostgreSQL: an alert's measure against the device's baseline with the
 * device's earlier alerts of the same detector (GET /api/v1/alerts/{id}/series), and the overview's trends — alerts
 * raised per day and each scan's findings (GET /api/v1/overview/trends). Answers are validated against their schemas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sampleAlert } from "../helpers/alert.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { startTestService } from "../helpers/serve.ts";

const pgSkip = await postgresAvailable();
const stores: [string, () => Promise<string | undefined>][] = [
  ["SQLite", async () => undefined],
  ["PostgreSQL", async () => `${await throwawayDatabase()}?schema=charts`],
];

interface Series { measure: string | null; unit: string; baseline: number | null; high: number | null; ratio: number | null; points: { alert_id: string; at: string; value: number; record?: string }[] }
interface Trends { since: string; until: string; alerts_per_day: { day: string; raised: number; high: number; }[]; scans: { id: number; at: string; counts: Record<string, number> }[] }

for (const [name, url] of stores) {
  describe(`dashboard charts (${name})`, { skip: name === "PostgreSQL" ? pgSkip ?? false : false }, () => {
    it("draws an alert's measure against the device's baseline, with its earlier alerts of the same detector", async () => {
      const storeUrl = await url();
      const svc = await startTestService(storeUrl ? { storeUrl } : {});
      const ev = (observed: number, ts: string, line: number) => ({ metric: "packets", window_minutes: 60, observed, expected: 50, usual_high: 100, z: 12, record: { at: `flows.csv:${line}`, ts } });
      await svc.store.alerts.upsert([
        sampleAlert({ id: "now", device_id: "d1", first_seen: "2026-11-02T22:37:00Z", last_seen: "2026-11-02T22:37:00Z", evidence: ev(2000, "2026-11-02T22:37:00Z", 4278) }),
        sampleAlert({ id: "before", device_id: "d1", key: "packets-2", first_seen: "2026-10-20T10:00:00Z", last_seen: "2026-10-20T10:00:00Z", evidence: ev(400, "2026-10-20T10:00:00Z", 12) }),
        sampleAlert({ id: "long-ago", device_id: "d1", key: "packets-3", first_seen: "2026-08-01T10:00:00Z", last_seen: "2026-08-01T10:00:00Z", evidence: ev(900, "2026-08-01T10:00:00Z", 1) }),
        sampleAlert({ id: "other-device", device_id: "d2", key: "packets", first_seen: "2026-11-01T10:00:00Z", last_seen: "2026-11-01T10:00:00Z", evidence: ev(700, "2026-11-01T10:00:00Z", 3) }),
        sampleAlert({ id: "other-detector", detector: "beaconing", device_id: "d1", key: "x", first_seen: "2026-11-01T10:00:00Z", last_seen: "2026-11-01T10:00:00Z", evidence: { contacts: 7 } }),
      ], new Date().toISOString());
      const r = await svc.fetch("/api/v1/alerts/now/series", { token: svc.tokens.viewer });
      assert.equal(r.status, 200, await r.clone().text());
      const s = (await r.json()) as Series;
      assert.equal(s.measure, "observed");
      assert.equal(s.unit, "packets per 60 min");
      assert.equal(s.baseline, 50);
      assert.equal(s.high, 100);
      assert.equal(s.ratio, 40);
      assert.deepEqual(s.points.map((p) => [p.alert_id, p.value, p.record]), [["before", 400, "flows.csv:12"], ["now", 2000, "flows.csv:4278"]], "30 days before, this device, this detector, oldest first");
      // A detector with no baseline in its evidence: its measure without one.
      const b = (await (await svc.fetch("/api/v1/alerts/other-detector/series", { token: svc.tokens.viewer })).json()) as Series;
      assert.equal(b.measure, "contacts");
      assert.equal(b.baseline, null);
      assert.equal(b.ratio, null);
      const missing = await svc.fetch("/api/v1/alerts/nope/series", { token: svc.tokens.viewer });
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { code: string }).code, "not_found");
    });

    it("counts alerts raised per day (all and high or critical) and gives each scan's findings", async () => {
      const storeUrl = await url();
      const svc = await startTestService(storeUrl ? { storeUrl } : {});
      const at = (day: string, i: number) => `2026-11-${day}T0${i}:00:00Z`;
      await svc.store.alerts.upsert([
        ...[0, 1, 2].map((i) => sampleAlert({ id: `a28-${i}`, key: `k${i}`, severity: i === 0 ? "critical" : "low", first_seen: at("28", i), last_seen: at("28", i) })),
        sampleAlert({ id: "a30", key: "k9", severity: "high", first_seen: at("30", 1), last_seen: at("30", 5) }),
      ], new Date().toISOString());
      await svc.store.transaction(async (tx) => {
        const scan = await tx.findings.beginScan("2026-11-29T00:00:00Z", ["default-password"]);
        await tx.findings.finishScan(scan, "2026-11-29T00:10:00Z", { high: 2, low: 1 });
      });
      const r = await svc.fetch("/api/v1/overview/trends?days=5", { token: svc.tokens.viewer });
      assert.equal(r.status, 200, await r.clone().text());
      const t = (await r.json()) as Trends;
      assert.equal(t.until, "2026-12-01T00:00:00.000Z", "ends the day after the newest alert");
      assert.deepEqual(t.alerts_per_day.map((d) => [d.day, d.raised, d.high]), [["2026-11-26", 0, 0], ["2026-11-27", 0, 0], ["2026-11-28", 3, 1], ["2026-11-29", 0, 0], ["2026-11-30", 1, 1]]);
      assert.deepEqual(t.scans.map((s) => s.counts), [{ high: 2, low: 1 }]);
      const bad = await svc.fetch("/api/v1/overview/trends?until=yesterday", { token: svc.tokens.viewer });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /until/);
    });
  });
}
