/**
 * A small fleet for certification tests, built through the real Store and scanned by the real audit engine:
 *   SENSOR-A  2 devices, OTA capable, support end and disclosure URL recorded, only safe services open
 *   GATE-B    2 devices, no OTA, no support period, no disclosure URL, telnet open on one device
 *   METER-C   1 device, constrained, open services not recorded
 */
import { randomBytes } from "node:crypto";
import { runAudit } from "../../src/audit/engine.ts";
import { allRules } from "../../src/audit/rules/index.ts";
import type { DeviceModel } from "../../src/core/fleet.ts";
import { keyedDigester } from "../../src/inventory/secrets.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/index.ts";
import type { StoredDevice } from "../../src/store/store.ts";

export const NOW = Date.parse("2026-11-25T00:00:00Z");

export const MODELS: DeviceModel[] = [
  { model_id: "SENSOR-A", name: "Air sensor", manufacturer: "Acme", ota_capable: true, support_end: "2034-12-31", vuln_disclosure_url: "https://acme.example/security", constrained: false },
  { model_id: "GATE-B", name: "Gateway", manufacturer: "Acme", ota_capable: false },
  { model_id: "METER-C", name: "Meter", manufacturer: "Acme", ota_capable: true, constrained: true, support_end: "2030-01-01", vuln_disclosure_url: "https://acme.example/security" },
];

export const DEVICES: StoredDevice[] = [
  { device_id: "a1", model_id: "SENSOR-A", open_services: ["https:443"] },
  { device_id: "a2", model_id: "SENSOR-A", open_services: ["ssh:22"] },
  { device_id: "b1", model_id: "GATE-B", open_services: ["telnet:23", "https:443"] },
  { device_id: "b2", model_id: "GATE-B", open_services: ["https:443"] },
  { device_id: "c1", model_id: "METER-C" },
];

export async function certifyFleet(opts: { models?: DeviceModel[]; devices?: StoredDevice[]; scan?: boolean } = {}): Promise<SqliteStore> {
  const store = openSqliteStore(":memory:");
  await store.fleet.upsertModels(opts.models ?? MODELS);
  const imp = await store.fleet.beginDeviceImport("test");
  await imp.upsert(opts.devices ?? DEVICES);
  await imp.commit();
  if (opts.scan !== false) await runAudit({ store, rules: allRules, now: NOW, keyedDigest: keyedDigester(randomBytes(32)) });
  return store;
}
