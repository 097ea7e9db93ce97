import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";

const base: Alert = {
  id: "A1",
  detector: "sim-swap",
  device_id: "meter-1",
  key: "imei:1",
  severity: "high",
  confidence: 0.8,
  first_seen: "2026-11-25T10:00:00Z",
  last_seen: "2026-11-25T10:00:00Z",
  count: 1,
  summary: "s",
  action: "a",
  evidence: { x: 1 },
  state: "open",
  verification: "unknown",
};

describe("alerts in the SQLite store", () => {
  it("upserts runs without overwriting people's decisions, and lets a run resolve an alert", async () => {
    const store = openSqliteStore(":memory:");
    await store.alerts.upsert([base, { ...base, id: "A2", severity: "low", device_id: "meter-2" }], "t0");
    await store.alerts.setState("A1", "acknowledged", "on it", "t1");
    await store.alerts.upsert([{ ...base, count: 5, last_seen: "2026-11-25T11:00:00Z" }], "t2");
    const a = (await store.alerts.get("A1"))!;
    assert.equal(a.state, "acknowledged");
    assert.equal(a.count, 5);
    assert.equal(a.last_seen, "2026-11-25T11:00:00Z");
    assert.equal(a.evidence.note, "on it");
    await store.alerts.upsert([{ ...base, state: "resolved" }], "t3");
    assert.equal((await store.alerts.get("A1"))!.state, "resolved");
    assert.deepEqual((await store.alerts.list({ severity: "medium" })).map((x) => x.id), ["A1"]);
    assert.deepEqual((await store.alerts.list({ device_id: "meter-2" })).map((x) => x.id), ["A2"]);
    await store.close();
  });

  it("queues benign verdicts as feedback until a run applies them", async () => {
    const store = openSqliteStore(":memory:");
    await store.alerts.upsert([base, { ...base, id: "A2" }], "t0");
    await store.alerts.verify("A1", "benign_positive", "planned firmware update", "t1");
    await store.alerts.verify("A2", "true_positive", undefined, "t1");
    assert.deepEqual((await store.alerts.pendingFeedback()).map((a) => a.id), ["A1"]);
    await store.alerts.markFeedbackApplied(["A1"]);
    assert.deepEqual(await store.alerts.pendingFeedback(), []);
    assert.equal((await store.alerts.get("A1"))!.verification, "benign_positive");
    assert.equal(await store.alerts.verify("nope", "false_positive", undefined, "t2"), undefined);
    await store.close();
  });

  it("keeps suppressions with their expiry", async () => {
    const store = openSqliteStore(":memory:");
    const s = await store.alerts.addSuppression({ detector: "new-destination", device_id: "meter-1", key: "host:ntp.example", reason: "NTP", expires: "2027-01-01" }, "t0");
    assert.deepEqual(await store.alerts.suppressions(), [s]);
    assert.equal(await store.alerts.removeSuppression(s.id), true);
    assert.deepEqual(await store.alerts.suppressions(), []);
    await store.close();
  });
});
