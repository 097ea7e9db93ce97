/**
 * Every detector fires on the scenario made for it and stays quiet on normal traffic: a small simulated fleet with all
 * scenarios injected, replayed once; each scenario's detectors must alert on its devices, and no alert may concern a
 * device no scenario touched.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { readInventoryFiles } from "../../src/detect/inventory.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import type { Truth } from "../../src/detect/simulate/scenarios.ts";
import { tmpDir } from "../helpers/tmp.ts";

describe("detectors on simulated scenarios", () => {
  const tmp = tmpDir();
  let alerts: Alert[] = [];
  let truth: Truth[] = [];
  let rejects = 0;

  before(async () => {
    const sim = simulate({ dir: tmp.dir, devices: 90, hours: 30, scenarios: SCENARIO_NAMES, seed: 11 });
    truth = sim.truth;
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => rejects++);
    alerts = runDetection({ files: sim.files, inventory, reference: loadReference(), onReject: () => rejects++ }).alerts;
  });

  it("reads the simulated files without a single reject", () => {
    assert.equal(rejects, 0);
  });

  for (const name of SCENARIO_NAMES) {
    it(`${name}: its detectors alert on its devices, after it starts`, () => {
      const t = truth.find((x) => x.scenario === name)!;
      for (const det of t.detectors) {
        const hits = alerts.filter((a) => a.detector === det && (t.devices.includes(a.device_id) || a.device_id === t.subject));
        assert.ok(hits.length > 0, `${det} did not alert for ${name} (${t.devices.join(", ")})`);
        for (const a of hits) assert.ok(a.first_seen >= t.start, `${det} alerted before ${name} started: ${a.first_seen}`);
      }
    });
  }

  it("stays quiet on devices no scenario touched", () => {
    const touched = new Set(truth.flatMap((t) => [...t.devices, ...(t.subject ? [t.subject] : [])]));
    const stray = alerts.filter((a) => !touched.has(a.device_id));
    assert.deepEqual(stray.map((a) => `${a.detector} ${a.device_id} ${a.first_seen}`), []);
  });

  it("explains every alert: a summary with no unfilled placeholder, an action and evidence", () => {
    for (const a of alerts) {
      assert.doesNotMatch(a.summary, /\{[a-z_]+\}/, a.summary);
      assert.doesNotMatch(a.action, /\{[a-z_]+\}/, a.action);
      assert.ok(a.summary.includes(a.device_id.replace(/^model:.*/, "")) || a.device_id.startsWith("model:"), a.summary);
      assert.ok(Object.keys(a.evidence).length > 0);
    }
  });
});

describe("quiet fleet", () => {
  it("raises nothing on a day and a half of normal traffic", () => {
    const tmp = tmpDir();
    const sim = simulate({ dir: tmp.dir, devices: 60, hours: 36, scenarios: [], seed: 5 });
    const r = runDetection({ files: sim.files, reference: loadReference(), onReject: () => assert.fail("reject") });
    assert.deepEqual(r.alerts.map((a) => `${a.detector} ${a.device_id} ${a.summary}`), []);
  });
});
