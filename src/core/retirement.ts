import { addYears, parseIsoDate } from "./dates.ts";
import type { Device, DeviceModel } from "./fleet.ts";

/**
 * When a device is planned to leave the field: its `retire_at`, else `deployed_at` + its `field_life_years`, else
 * `deployed_at` + the model's `field_life_years`. Undefined when nothing says.
 */
export function plannedRetirement(device: Device, model?: DeviceModel): number | undefined {
  if (device.retire_at !== undefined) return parseIsoDate(device.retire_at);
  const life = device.field_life_years ?? model?.field_life_years;
  if (life === undefined || device.deployed_at === undefined) return undefined;
  const deployed = parseIsoDate(device.deployed_at);
  return deployed === undefined ? undefined : addYears(deployed, life);
}
