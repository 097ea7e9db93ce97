import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allRules } from "../../src/audit/rules/index.ts";
import { assess } from "../../src/certify/assess.ts";
import { catalogues } from "../../src/certify/catalogue.ts";
import { addDetectionEvidence, detectorRules } from "../../src/certify/detection-evidence.ts";
import { gatherEvidence } from "../../src/certify/evidence.ts";
import type { Alert } from "../../src/core/record.ts";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import type { Store } from "../../src/store/store.ts";
import { certifyFleet, NOW, result } from "../helpers/certify-fleet.ts";

const ETSI = "etsi-en-303-645-v3.1.3";

function alert(over: Partial<Alert>): Alert {
  return {
    id: "al-1",
    detector: "data-residency",
    device_id: "a1",
    model_id: "SENSOR-A",
    key: "country:US:api.example",
    severity: "high",
    confidence: 0.9,
    first_seen: "2026-11-20T10:00:00Z",
    last_seen: "2026-11-20T12:00:00Z",
    count: 1,
    summary: "a1 sent location data to api.example in US",
    action: "",
    evidence: {},
    state: "open",
    verification: "unknown",
    ...over,
  };
}

async function flowsOf(store: Store, model: string, day = "2026-11-20") {
  await store.flows.record([{ device_id: "a1", model_id: model, day, destination: "api.example", address: "203.0.113.9", port: 443, protocol: "tcp", direction: "from-device", name_source: "record", local: false, party: "first", categories: ["location"], declared: true, flows: 1, bytes_out: 10, bytes_in: 5, first_seen: `${day}T10:00:00Z`, last_seen: `${day}T10:00:00Z` }]);
}

async function assessWith(store: Store, key: string, model: string) {
  const set = catalogues();
  const evidence = await gatherEvidence(store);
  await addDetectionEvidence(store, evidence, allDetectors, NOW);
  return assess({ catalogue: set.get(key)!, set, rules: [...allRules, ...detectorRules(allDetectors)], evidence, modelId: model, now: NOW, version: "test" });
}

describe("detection alerts as certification evidence (ETSI EN 303 645 clause 6, GDPR)", () => {
  it("a data-residency alert FAILs GDPR Art. 44 and ETSI 6-1 for its model, and says what to do", async () => {
    const store = await certifyFleet();
    await store.alerts.upsert([alert({}), alert({ id: "al-2", detector: "undeclared-flow", key: "dest:x", severity: "medium" })], "2026-11-20T12:00:00Z");
    await flowsOf(store, "SENSOR-A");
    const gdpr = await assessWith(store, "gdpr", "SENSOR-A");
    const r44 = result(gdpr, "44");
    assert.equal(r44.verdict, "fail");
    assert.match(r44.reason, /1 open finding .*data-residency/);
    assert.equal(r44.rules.find((e) => e.rule === "data-residency")?.source, "detect");
    assert.match(r44.todo!, /standard contractual clauses/);
    assert.match(r44.todo!, /resolve or verify the alerts/);
    const etsi = await assessWith(store, ETSI, "SENSOR-A");
    assert.equal(result(etsi, "6-1").verdict, "fail");
    assert.deepEqual(result(etsi, "6-1").rules.filter((e) => e.state === "open").map((e) => e.rule).sort(), ["data-residency", "undeclared-flow"]);
    const g = etsi.findings.find((f) => f.rule === "data-residency")!;
    assert.deepEqual(g.samples.map((s) => s.device_id), ["a1"]);
    // Another model's provisions are untouched by these alerts.
    assert.notEqual(result(await assessWith(store, "gdpr", "GATE-B"), "44").verdict, "fail");
  });

  it("resolved alerts and false positives do not count; a benign positive is INCONCLUSIVE, never a PASS", async () => {
    const store = await certifyFleet();
    await store.alerts.upsert([alert({ state: "resolved" }), alert({ id: "al-2", verification: "false_positive" }), alert({ id: "al-3", device_id: "a2", verification: "benign_positive" })], "2026-11-20T12:00:00Z");
    await flowsOf(store, "SENSOR-A");
    const r = result(await assessWith(store, "gdpr", "SENSOR-A"), "44");
    assert.equal(r.verdict, "inconclusive");
    assert.match(r.reason, /only findings are suppressed .*benign positive/);
  });

  it("quiet detection over the model's recorded flows is partial evidence; without recorded flows it is no evidence", async () => {
    const store = await certifyFleet();
    const none = result(await assessWith(store, "gdpr", "SENSOR-A"), "44");
    assert.equal(none.verdict, "not_assessed");
    assert.match(none.reason, /data-residency \(no alerts, and no flows of this model recorded by detection in the last 30 days\)/);
    await flowsOf(store, "SENSOR-A", "2026-09-01");
    assert.equal(result(await assessWith(store, "gdpr", "SENSOR-A"), "44").verdict, "not_assessed", "flows older than the window do not count");
    await flowsOf(store, "SENSOR-A");
    const quiet = result(await assessWith(store, "gdpr", "SENSOR-A"), "44");
    assert.equal(quiet.verdict, "inconclusive");
    assert.match(quiet.reason, /Partly observed: data-residency ran and found nothing/);
  });

  it("every data-flow detector maps to ETSI EN 303 645 clause 6, and data-residency to GDPR Art. 44, so certify links them", () => {
    const rules = new Map(detectorRules(allDetectors).map((r) => [r.id, r]));
    for (const id of ["undeclared-flow", "data-residency", "location-to-third-party", "mud-violation"]) {
      const refs = (rules.get(id)?.standards ?? []).map(String);
      assert.ok(refs.some((r) => /^ETSI-EN-303-645:6-/.test(r)), `${id}: ${refs.join(", ")}`);
    }
    assert.ok(rules.get("data-residency")!.standards.map(String).includes("GDPR:44"));
  });
});
