import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert } from "../../../src/core/record.ts";
import type { ContractContext } from "./context.ts";

export const alert = (id: string, extra: Partial<Alert> = {}): Alert => ({
  id,
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
  ...extra,
});

export function alertsContract(c: ContractContext): void {
  describe(`alerts (${c.target.name})`, () => {
    it("upserts runs without overwriting people's decisions, and lets a run resolve an alert", async () => {
      const store = await c.fresh();
      await store.alerts.upsert([alert("A1"), alert("A2", { severity: "low", device_id: "meter-2", model_id: "m" })], "t0");
      assert.equal((await store.alerts.setState("A1", "acknowledged", "on it", "t1"))!.state, "acknowledged");
      await store.alerts.upsert([alert("A1", { count: 5, last_seen: "2026-11-25T11:00:00Z" })], "t2");
      await store.alerts.upsert([alert("A1", { count: 2, last_seen: "2026-11-25T09:00:00Z" })], "t2");
      const a = (await store.alerts.get("A1"))!;
      assert.equal(a.state, "acknowledged");
      assert.equal(a.count, 5, "counts and last_seen never go backwards");
      assert.equal(a.last_seen, "2026-11-25T11:00:00Z");
      assert.equal(a.evidence.note, "on it");
      assert.equal((await store.alerts.get("A2"))!.model_id, "m");
      await store.alerts.upsert([alert("A1", { state: "resolved" })], "t3");
      assert.equal((await store.alerts.get("A1"))!.state, "resolved");
      assert.equal(await store.alerts.setState("nope", "resolved", undefined, "t4"), undefined);
    });

    it("lists newest first with filters and a limit", async () => {
      const store = await c.fresh();
      await store.alerts.upsert(
        Array.from({ length: 12 }, (_, i) =>
          alert(`A${String(i).padStart(2, "0")}`, { last_seen: `2026-11-25T${String(10 + (i % 6)).padStart(2, "0")}:00:00Z`, severity: (["low", "medium", "high", "critical"] as const)[i % 4]!, detector: i % 2 ? "beaconing" : "sim-swap", device_id: `d${i % 3}` }),
        ),
        "t0",
      );
      const all = await store.alerts.list();
      assert.equal(all.length, 12);
      for (let i = 1; i < all.length; i++) {
        const [p, q] = [all[i - 1]!, all[i]!];
        assert.ok(p.last_seen > q.last_seen || (p.last_seen === q.last_seen && p.id < q.id), `${p.id} before ${q.id}`);
      }
      assert.deepEqual((await store.alerts.list({ severity: "high" })).map((a) => a.severity).sort(), ["critical", "critical", "critical", "high", "high", "high"]);
      assert.ok((await store.alerts.list({ detector: "beaconing", device_id: "d1" })).every((a) => a.detector === "beaconing" && a.device_id === "d1"));
      assert.equal((await store.alerts.list({ limit: 5 })).length, 5);
      await store.alerts.setState("A03", "acknowledged", undefined, "t1");
      assert.deepEqual((await store.alerts.list({ state: "acknowledged" })).map((a) => a.id), ["A03"]);
    });

    it("queues benign verdicts as feedback until a run applies them", async () => {
      const store = await c.fresh();
      await store.alerts.upsert([alert("A1"), alert("A2")], "t0");
      await store.alerts.verify("A1", "benign_positive", "planned firmware update", "t1");
      await store.alerts.verify("A2", "true_positive", undefined, "t1");
      assert.deepEqual((await store.alerts.pendingFeedback()).map((a) => a.id), ["A1"]);
      await store.alerts.markFeedbackApplied(["A1"]);
      assert.deepEqual(await store.alerts.pendingFeedback(), []);
      assert.equal((await store.alerts.get("A1"))!.verification, "benign_positive");
      assert.equal(await store.alerts.verify("nope", "false_positive", undefined, "t2"), undefined);
    });

    it("keeps suppressions with their expiry", async () => {
      const store = await c.fresh();
      const s = await store.alerts.addSuppression({ detector: "new-destination", device_id: "meter-1", key: "host:ntp.example", reason: "NTP", expires: "2027-01-01" }, "t0");
      const t = await store.alerts.addSuppression({ detector: "beaconing", reason: "all of them" }, "t0");
      assert.deepEqual(await store.alerts.suppressions(), [s, t]);
      assert.equal(await store.alerts.removeSuppression(s.id), true);
      assert.deepEqual(await store.alerts.suppressions(), [t]);
    });
  });
}
