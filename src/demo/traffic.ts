/**
 * The demo's live part: simulated traffic with attacks for a slice of the fleet, replayed through detection into the
 * demo store, so the dashboard opens on alerts to triage. The simulated devices are imported beside the demo fleet
 * (their identifiers are the simulator's), so every alert names a device the store knows.
 */
import { join } from "node:path";
import type { InputIssue } from "../core/input-issue.ts";
import { loadReference } from "../detect/reference.ts";
import { SCENARIO_NAMES, simulate } from "../detect/simulate/index.ts";
import { detectWithStore } from "../detect/stored-run.ts";
import { importDevices } from "../inventory/devices.ts";
import { importModels } from "../inventory/models.ts";
import type { Store } from "../store/store.ts";

export interface DemoTraffic {
  devices: number;
  records: number;
  alerts: number;
  scenarios: string[];
}

export async function replayDemoTraffic(store: Store, o: { dir: string; devices: number; seed: number; now: number; onIssue(issue: InputIssue): void }): Promise<DemoTraffic> {
  // The traffic ends at the demo's "now" (on the hour), so nothing looks late or silent.
  const start = Math.floor((o.now - 36 * 3_600_000) / 3_600_000) * 3_600_000;
  const sim = simulate({ dir: join(o.dir, "traffic"), devices: o.devices, hours: 36, scenarios: SCENARIO_NAMES, seed: o.seed, format: "csv", start });
  await importModels(store, sim.inventory!.models, o.onIssue);
  await importDevices({ store, file: sim.inventory!.devices, onIssue: o.onIssue });
  const result = await detectWithStore({
    store,
    files: sim.files,
    at: new Date(o.now).toISOString(),
    now: o.now,
    reference: loadReference(),
    onReject: (file, line, reason) => o.onIssue({ file, line, reason, level: "error" }),
  });
  return { devices: o.devices, records: Object.values(sim.records).reduce((a, b) => a + b, 0), alerts: result.alerts.length, scenarios: sim.truth.map((t) => t.scenario) };
}
