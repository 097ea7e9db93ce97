/**
 * The inventory detection resolves identifiers through: read from a devices file (CSV, JSON or NDJSON, through the
 * inventory's own validated reader) or from the devices already in the store. Detection only reads it — importing
 * devices into the store is `longwatch import devices` / `scan`.
 */
import { type Device, deviceCrossCheck, DeviceFieldsSchema, type DeviceModel } from "../core/fleet.ts";
import type { InputIssue } from "../core/input-issue.ts";
import { readModels } from "../inventory/models.ts";
import { validateTable } from "../inventory/validate-table.ts";
import type { StoreTx } from "../store/store.ts";

export interface DetectInventory {
  devices: Device[];
  models: DeviceModel[];
}

export async function readInventoryFiles(devicesFile: string | undefined, modelsFile: string | undefined, onIssue: (i: InputIssue) => void): Promise<DetectInventory> {
  const devices: Device[] = [];
  if (devicesFile !== undefined) for await (const batch of validateTable(devicesFile, DeviceFieldsSchema, deviceCrossCheck, { onIssue })) for (const { value } of batch) devices.push(value);
  const models = modelsFile !== undefined ? readModels(modelsFile, onIssue).models : [];
  return { devices, models };
}

export async function readInventoryStore(store: StoreTx): Promise<DetectInventory> {
  const devices: Device[] = [];
  for await (const page of store.fleet.devicePages(5000)) for (const d of page) devices.push(d.device);
  return { devices, models: await store.fleet.models() };
}
