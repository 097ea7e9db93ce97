/** The simulated attack day of the live tests: its NDJSON lines in time order, and a SQLite store holding its fleet. */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Device } from "../../../src/core/fleet.ts";
import { readInventoryFiles } from "../../../src/detect/inventory.ts";
import { SCENARIO_NAMES, simulate } from "../../../src/detect/simulate/index.ts";
import { openStore } from "../../../src/store/open.ts";
import { serializeDevice } from "../../../src/store/store.ts";
import { importRows } from "../../helpers/store.ts";
import { mergeNdjson } from "./serve-child.ts";

/** 40 devices, every scenario, a day ending an hour ago; `device` may change each device before it is stored. */
export async function simulatedStore(dir: string, device: (d: Device) => Device = (d) => d): Promise<{ lines: string[]; dataDir: string; url: string }> {
  const sim = simulate({ dir: join(dir, "sim"), devices: 40, hours: 26, scenarios: SCENARIO_NAMES, seed: 21, format: "ndjson", start: Date.now() - 27 * 3_600_000 });
  const dataDir = join(dir, "data");
  const url = `sqlite:${join(dataDir, "longwatch.db")}`;
  const store = await openStore(url);
  try {
    const inv = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    await importRows(store, inv.devices.map((d) => serializeDevice(device(d))));
    await store.fleet.upsertModels(inv.models);
  } finally {
    await store.close();
  }
  return { lines: mergeNdjson(sim.files), dataDir, url };
}
