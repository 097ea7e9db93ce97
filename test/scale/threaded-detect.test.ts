/**
 * `detect --workers N` gives the alerts of a single-threaded run — same ids, counts, times and evidence — on
 * simulated traffic with every attack scenario (fleet-wide detectors included), for 2 and 3 threads; and the
 * records each thread got add up to the records used.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readInventoryFiles } from "../../src/detect/inventory.ts";
import { runDetection } from "../../src/detect/run.ts";
import { simulate, SCENARIO_NAMES } from "../../src/detect/simulate/index.ts";
import { runDetectionThreaded } from "../../src/scale/threaded-detect.ts";
import { tmpDir } from "../helpers/tmp.ts";

test("--workers N finds exactly what one thread finds", async () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 150, hours: 24, scenarios: SCENARIO_NAMES, seed: 7 });
  const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => {});
  const now = Date.parse("2026-12-01T00:00:00Z");
  const base = { files: sim.files, inventory, now, onReject: () => {} };
  const single = runDetection(base);
  assert.ok(single.alerts.length > 10);
  assert.ok(single.alerts.some((a) => a.detector === "fleet-campaign") && single.alerts.some((a) => a.detector === "device-silent"));
  for (const workers of [2, 3]) {
    const threaded = await runDetectionThreaded({ ...base, workers });
    assert.deepEqual(threaded.alerts, single.alerts, `${workers} threads`);
    assert.equal(threaded.replay.used, single.replay.used);
    assert.equal(threaded.perThread.reduce((a, b) => a + b, 0), single.replay.used);
    assert.ok(threaded.perThread.every((n) => n > 0));
  }
});

test("--workers refuses what it cannot split yet, with the reason", async () => {
  await assert.rejects(runDetectionThreaded({ files: [], workers: 2, stateDir: "/tmp/x", onReject: () => {} }), /--state/);
});
