/**
 * Fleet evidence for assessments: per device model, how many devices it has, which inventory fields are recorded for
 * them, and per audit rule what the latest scan found (open and suppressed findings, worst severity, samples).
 *
 * Reads the store in pages (devices, then findings), so memory grows with models × rules, not with the fleet.
 */
import type { DeviceModel } from "../core/fleet.ts";
import type { Finding } from "../core/finding.ts";
import { SEVERITIES, type Severity } from "../core/severity.ts";
import type { StandardRef } from "../core/standards.ts";
import type { ScanInfo, StoreTx } from "../store/store.ts";

/** How many example findings each (model, rule) keeps for the report; the count covers all of them. */
export const SAMPLE_LIMIT = 10;
/** Distinct devices are counted exactly up to this many per (model, rule), then the count becomes an upper bound. */
const DISTINCT_LIMIT = 100_000;

export interface FindingSample {
  fingerprint: string;
  severity: Severity;
  title: string;
  device_id?: string;
  devices: number;
  status: Finding["status"];
  suppressed?: string;
}

export interface RuleOutcome {
  rule: string;
  /** Open findings (not suppressed) about this model. */
  open: number;
  suppressed: number;
  worst?: Severity;
  /** Devices of this model the open findings concern. */
  devices: number;
  devicesApproximate: boolean;
  samples: FindingSample[];
  suppressionReasons: string[];
  /** The finding's own standards, for rules this version of Longwatch does not know. */
  standards: StandardRef[];
}

export interface ModelEvidence {
  model_id: string;
  model?: DeviceModel;
  devices: number;
  /** Devices of this model with each inventory field recorded, e.g. { open_services: 12 }. */
  deviceFields: Map<string, number>;
  rules: Map<string, RuleOutcome>;
  /** Detectors that judged this model's data (detection recorded its flows in the evidence window). */
  detected?: Set<string>;
}

export interface FleetEvidence {
  scan?: ScanInfo;
  models: Map<string, ModelEvidence>;
  devicesWithoutModel: number;
}

export async function gatherEvidence(store: StoreTx): Promise<FleetEvidence> {
  const models = new Map<string, ModelEvidence>();
  const subject = (id: string): ModelEvidence => {
    let m = models.get(id);
    if (!m) models.set(id, (m = { model_id: id, devices: 0, deviceFields: new Map(), rules: new Map() }));
    return m;
  };
  for (const m of await store.fleet.models()) subject(m.model_id).model = m;

  let devicesWithoutModel = 0;
  for await (const page of store.fleet.devicePages()) {
    for (const { device } of page) {
      if (device.model_id === undefined) {
        devicesWithoutModel++;
        continue;
      }
      const m = subject(device.model_id);
      m.devices++;
      for (const [k, v] of Object.entries(device)) if (v !== undefined) m.deviceFields.set(k, (m.deviceFields.get(k) ?? 0) + 1);
    }
  }

  const scan = await store.findings.latestScan();
  const distinct = new Map<string, Set<string>>();
  for await (const page of store.findings.current()) {
    const unresolved = new Set<string>();
    for (const f of page) {
      if (f.model_id !== undefined) continue;
      if (f.device_id !== undefined) unresolved.add(f.device_id);
      for (const d of f.devices ?? []) unresolved.add(d);
    }
    const modelOf = unresolved.size ? await store.fleet.deviceModels([...unresolved]) : new Map<string, string>();
    for (const f of page) {
      for (const [modelId, devices] of modelsOf(f, modelOf)) record(subject(modelId), f, devices, distinct);
    }
  }
  const out: FleetEvidence = { models, devicesWithoutModel };
  if (scan) out.scan = scan;
  return out;
}

/** The models a finding is about, each with the finding's devices of that model (a group finding can span models). */
function modelsOf(f: Finding, modelOf: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const devices = f.devices ?? (f.device_id !== undefined ? [f.device_id] : []);
  if (f.model_id !== undefined) {
    out.set(f.model_id, devices);
    return out;
  }
  for (const d of devices) {
    const m = modelOf.get(d);
    if (m === undefined) continue;
    const list = out.get(m);
    if (list) list.push(d);
    else out.set(m, [d]);
  }
  return out;
}

function record(m: ModelEvidence, f: Finding, devices: string[], distinct: Map<string, Set<string>>): void {
  let o = m.rules.get(f.rule);
  if (!o) {
    o = { rule: f.rule, open: 0, suppressed: 0, devices: 0, devicesApproximate: false, samples: [], suppressionReasons: [], standards: f.standards };
    m.rules.set(f.rule, o);
  }
  const suppressed = f.status === "suppressed" || f.suppression !== undefined;
  if (suppressed) {
    o.suppressed++;
    const reason = f.suppression?.reason;
    if (reason !== undefined && !o.suppressionReasons.includes(reason) && o.suppressionReasons.length < 5) o.suppressionReasons.push(reason);
  } else {
    o.open++;
    if (o.worst === undefined || SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(o.worst)) o.worst = f.severity;
    const key = `${m.model_id}\0${f.rule}`;
    let seen = distinct.get(key);
    if (!seen) distinct.set(key, (seen = new Set()));
    for (const d of devices) {
      if (seen.size < DISTINCT_LIMIT) {
        if (!seen.has(d)) {
          seen.add(d);
          o.devices++;
        }
      } else {
        o.devices++;
        o.devicesApproximate = true;
      }
    }
  }
  if (o.samples.length < SAMPLE_LIMIT || (!suppressed && o.samples.some((s) => s.suppressed !== undefined))) {
    const s: FindingSample = { fingerprint: f.fingerprint, severity: f.severity, title: f.title, devices: devices.length, status: f.status };
    if (f.device_id !== undefined) s.device_id = f.device_id;
    if (suppressed) s.suppressed = f.suppression?.reason ?? "suppressed";
    // Open findings are the ones a reader must see: they replace suppressed samples when the list is full.
    if (o.samples.length >= SAMPLE_LIMIT) o.samples.splice(o.samples.findIndex((x) => x.suppressed !== undefined), 1);
    o.samples.push(s);
  }
}

/**
 * A product line: several device models assessed as one subject under a name of its own. Devices, recorded fields
 * and findings add up; a model fact counts only when every model agrees on it, except the support period, where the
 * earliest end is the one a buyer of the line can rely on.
 */
export function productLine(evidence: FleetEvidence, name: string, modelIds: readonly string[]): ModelEvidence {
  const parts = modelIds.map((id) => evidence.models.get(id)).filter((m): m is ModelEvidence => m !== undefined);
  const line: ModelEvidence = { model_id: name, devices: 0, deviceFields: new Map(), rules: new Map() };
  for (const m of parts) {
    line.devices += m.devices;
    for (const [k, n] of m.deviceFields) line.deviceFields.set(k, (line.deviceFields.get(k) ?? 0) + n);
    for (const o of m.rules.values()) {
      const t = line.rules.get(o.rule);
      if (!t) {
        line.rules.set(o.rule, { ...o, samples: [...o.samples], suppressionReasons: [...o.suppressionReasons] });
        continue;
      }
      t.open += o.open;
      t.suppressed += o.suppressed;
      t.devices += o.devices;
      t.devicesApproximate ||= o.devicesApproximate;
      if (o.worst !== undefined && (t.worst === undefined || SEVERITIES.indexOf(o.worst) < SEVERITIES.indexOf(t.worst))) t.worst = o.worst;
      t.samples.push(...o.samples.slice(0, Math.max(0, SAMPLE_LIMIT - t.samples.length)));
      for (const r of o.suppressionReasons) if (!t.suppressionReasons.includes(r)) t.suppressionReasons.push(r);
    }
  }
  const models = parts.map((m) => m.model).filter((m): m is DeviceModel => m !== undefined);
  if (models.length === modelIds.length && models.length > 0) {
    const same = <K extends keyof DeviceModel>(k: K): DeviceModel[K] | undefined => (models.every((m) => m[k] === models[0]![k]) ? models[0]![k] : undefined);
    const model: DeviceModel = { model_id: name, name: `product line ${name}: ${modelIds.join(", ")}` };
    for (const k of ["manufacturer", "ota_capable", "constrained", "data_only"] as const) {
      const v = same(k);
      if (v !== undefined) (model as Record<string, unknown>)[k] = v;
    }
    if (models.every((m) => m.vuln_disclosure_url !== undefined)) model.vuln_disclosure_url = models[0]!.vuln_disclosure_url!;
    const ends = models.map((m) => m.support_end);
    if (ends.every((e) => e !== undefined)) model.support_end = [...(ends as string[])].sort()[0]!;
    line.model = model;
  }
  return line;
}
