/**
 * `simulate`: writes a labelled day (or more) of fleet traffic — cellular sessions and SMS, flows with daily rhythms,
 * broker events, metrics — with injected scenarios, plus the inventory (devices.csv, models.yaml) and the ground
 * truth (truth.json). Deterministic for a seed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { csvDataLine as csvLine } from "../../formats/csv.ts";
import { SIM_MODELS, SimFleet } from "./fleet.ts";
import { type DeviceOverride, normalHour, SessionTotals } from "./normal.ts";
import { Random } from "./random.ts";
import { planScenarios, SCENARIOS, type Truth } from "./scenarios.ts";
import { SimWriter } from "./writer.ts";

export interface SimulateOptions {
  dir: string;
  devices: number;
  hours: number;
  scenarios: readonly string[];
  seed?: number;
  format?: "csv" | "ndjson";
  /** Start of the simulated period (default 2026-11-02T00:00:00Z). */
  start?: number;
  /** When scenarios begin, in hours from the start (default: three quarters through, at least 12 h in). */
  scenarioAtHour?: number;
  /** Multiplies every model's report interval; the benchmark uses sparse fleets (e.g. 8). */
  intervalFactor?: number;
  /** Write devices.csv and models.yaml (default true). */
  inventory?: boolean;
  /** Put a device_id column in every record (the benchmark's canonical files). */
  deviceIds?: boolean;
}

export interface SimulateResult {
  files: string[];
  inventory?: { devices: string; models: string };
  truth: Truth[];
  truthFile: string;
  records: Record<string, number>;
}

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

export function simulate(o: SimulateOptions): SimulateResult {
  const seed = o.seed ?? 1;
  const start = o.start ?? Date.UTC(2026, 10, 2);
  const end = start + o.hours * 3_600_000;
  const at = start + Math.round((o.scenarioAtHour ?? Math.max(12, o.hours * 0.75)) * 3_600_000) + 7 * 60_000;
  mkdirSync(o.dir, { recursive: true });
  const fleet = new SimFleet(o.devices, seed);
  const r = new Random(seed);
  const overrides = new Map<number, DeviceOverride>();
  const plans = planScenarios(o.scenarios, fleet, at, end, r, overrides);
  const w = new SimWriter(o.dir, o.format ?? "csv", o.deviceIds ?? false);
  const totals = new SessionTotals(o.devices);
  try {
    for (let h = start; h < end; h += 3_600_000) {
      w.beginHour(h);
      normalHour(w, r, { fleet, start, intervalFactor: o.intervalFactor ?? 1, overrides }, totals, h);
      for (const p of plans) p.hour(w, r, h);
      w.endHour();
    }
  } finally {
    w.close();
  }
  const truth = plans.map((p) => p.truth);
  const truthFile = join(o.dir, "truth.json");
  writeFileSync(truthFile, `${JSON.stringify({ seed, devices: o.devices, hours: o.hours, start: new Date(start).toISOString(), scenarios: truth }, null, 2)}\n`);
  const result: SimulateResult = { files: w.files(), truth, truthFile, records: { ...w.counts } };
  if (o.inventory !== false) result.inventory = writeInventory(o.dir, fleet);
  return result;
}

function writeInventory(dir: string, fleet: SimFleet): { devices: string; models: string } {
  const devices = join(dir, "devices.csv");
  const cols = ["device_id", "model_id", "imei", "iccid", "imsi", "mqtt_client_id", "ip", "country", "sim_allowed_countries", "sim_sms_enabled"];
  const lines = [cols.join(",")];
  for (let n = 0; n < fleet.size; n++) {
    const m = fleet.model(n);
    lines.push(csvLine([fleet.id(n), m.id, fleet.imei(n), fleet.iccid(n), fleet.imsi(n), fleet.client(n), fleet.ip(n), "DE", "DE;AT", m.dataOnly ? "false" : "true"]));
  }
  writeFileSync(devices, `${lines.join("\n")}\n`);
  const models = join(dir, "models.yaml");
  writeFileSync(models, SIM_MODELS.map((m) => `- model_id: ${m.id}\n  name: ${m.name}\n  manufacturer: Simulated\n  data_only: ${m.dataOnly}\n`).join(""));
  return { devices, models };
}
