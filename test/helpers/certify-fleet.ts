/**
 * A small fleet for certification tests, built through the real Store and scanned by the real audit engine:
 *   SENSOR-A  2 devices, OTA capable, support end and disclosure URL recorded, only safe services open
 *   GATE-B    2 devices, no OTA, no support period, no disclosure URL, telnet open on one device
 *   METER-C   1 device, constrained, open services not recorded
 */
import { allRules } from "../../src/audit/rules/index.ts";
import { catalogues } from "../../src/certify/catalogue.ts";
import { gatherEvidence } from "../../src/certify/evidence.ts";
import { assess } from "../../src/certify/assess.ts";
import type { Assessment } from "../../src/certify/assessment.ts";
import { parseAnswers } from "../../src/certify/questionnaire.ts";
import type { DeviceModel } from "../../src/core/fleet.ts";
import type { Store, StoredDevice, Suppression } from "../../src/store/store.ts";
import { audit, storeWith } from "./fleet.ts";

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

export async function certifyFleet(
  opts: { models?: DeviceModel[]; devices?: StoredDevice[]; scan?: boolean; suppressions?: Suppression[]; dataDir?: string } = {},
): Promise<Store> {
  const store = await storeWith({ models: opts.models ?? MODELS, devices: opts.devices ?? DEVICES }, opts.dataDir);
  if (opts.scan !== false) await audit(store, allRules, opts.suppressions ? { suppressions: opts.suppressions } : {});
  return store;
}

/** Assesses one model of a store against a catalogue, with an optional answers file text. */
export async function assessModel(store: Store, key: string, modelId: string, answersYaml?: string): Promise<Assessment> {
  const set = catalogues();
  const parsed = answersYaml !== undefined ? parseAnswers(answersYaml, "answers.yaml", set) : undefined;
  return assess({
    catalogue: set.get(key)!,
    set,
    rules: allRules,
    evidence: await gatherEvidence(store),
    modelId,
    ...(parsed ? { answers: parsed.answers } : {}),
    now: NOW,
    version: "test",
  });
}

export function result(a: Assessment, id: string) {
  const r = a.results.find((x) => x.id === id);
  if (!r) throw new Error(`${a.standard.key} has no result for ${id}`);
  return r;
}
