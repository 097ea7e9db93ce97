/**
 * `whatif compromise TARGET`: which devices fall, what they carry, whether each can be fixed over the air, what the
 * response would be (a dry run through respond/, nothing is recorded or contacted) and how long it would take at the
 * automatic-response budget.
 */
import type { ActionPlan, Target } from "../core/response.ts";
import { actionOf, dryRun } from "../respond/engine.ts";
import type { RespondDeps } from "../respond/context.ts";
import { LongwatchError } from "../core/errors.ts";
import type { DeviceModel } from "../core/fleet.ts";
import type { DeviceSelector } from "../store/graph.ts";
import type { StoreTx } from "../store/store.ts";
import { judgeModel, RECOVERY_REASONS, type Recoverable, type RecoveryReason } from "./recovery.ts";
import { componentKey, componentMatches, formatWhatifTarget, parseWhatifTarget, type WhatifKind, type WhatifTarget } from "./target.ts";

export interface Share {
  name: string;
  devices: number;
  /** Of the whole fleet. */
  share: number;
}

export interface ModelRecovery {
  model_id: string | null;
  devices: number;
  recoverable: Recoverable;
  reasons: RecoveryReason[];
}

export interface PlanStep {
  action: string;
  title: string;
  reversible: boolean;
  target_kind: Target["kind"];
  /** How many targets the step acts on. */
  targets: number;
  /** Dry runs of the first few targets (nothing recorded, no system contacted). */
  sample: { target: string; plan: ActionPlan }[];
  why: string;
}

export interface CompromiseReport {
  target: string;
  kind: WhatifKind;
  resolved: Record<string, unknown>;
  generated_at: string;
  fleet_devices: number;
  affected: { devices: number; share: number; by_model: Share[]; by_group: Share[]; by_country: Share[] };
  data: { telemetry: number; location: number; personal: number; undeclared: number };
  recovery: { remote: number; not_remote: number; unknown: number; reasons: { reason: RecoveryReason; text: string; devices: number }[]; by_model: ModelRecovery[] };
  plan: PlanStep[];
  remediation: { devices: number; budget: { devices: number; per_ms: number }; duration_ms: number | null; text: string; hands_on: number };
  notes: string[];
  /** Every affected device with its verdict, when asked for (`devices: true`). */
  devices?: { device_id: string; model_id: string | null; country: string | null; recoverable: Recoverable; reasons: RecoveryReason[] }[];
}

export interface CompromiseOptions {
  /** Dry-run this many targets of each step (default 3). */
  sample?: number;
  /** List every affected device. */
  devices?: boolean;
}

/** The selected devices, counted: what the report is made from (the tests' graph oracle counts the same). */
export interface Counted {
  fleet: number;
  devices: number;
  byModel: Map<string | null, number>;
  byGroup: Map<string | null, number>;
  byCountry: Map<string | null, number>;
  mqtt: number;
  mqttSample: string[];
  certificates: number;
  certificateSample: string[];
  resolved: Record<string, unknown>;
  notes: string[];
  modelDocs: Map<string, DeviceModel>;
}

/** One affected device as the report lists it (`devices: true`), before its model's verdict. */
export type ListedDevice = { device_id: string; model_id: string | null; country: string | null };

function tally(count: Map<string | null, number>, total: number): Share[] {
  return [...count].map(([k, n]) => ({ name: k ?? "(none)", devices: n, share: n / total })).sort((a, b) => b.devices - a.devices || (a.name < b.name ? -1 : 1));
}

const inc = <K>(m: Map<K, number>, k: K, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

export function formatDuration(ms: number): string {
  const h = ms / 3_600_000;
  if (h < 1) return `${Math.ceil(ms / 60_000)} min`;
  if (h < 48) return `${Math.ceil(h)} h`;
  const d = h / 24;
  return d < 730 ? `${Math.ceil(d)} days` : `${(d / 365.25).toFixed(1)} years`;
}

/**
 * Counts in the database for every target: sums over device_cells (model, firmware, component, CA, provider,
 * model-wide credentials) or a GROUP BY over the few affected device rows (certificate, endpoint, device
 * credentials), instead of the whole fleet read into a graph. The same answers as the fleet graph of the tests
 * (test/whatif/fast.test.ts). Also returns the selector, for the per-device list.
 */
async function countInStore(store: StoreTx, t: WhatifTarget, sample: number): Promise<[Counted, DeviceSelector]> {
  let selector: DeviceSelector;
  let resolved: Record<string, unknown>;
  const notes: string[] = [];
  switch (t.kind) {
    case "model":
      selector = { model: t.model };
      resolved = { model_id: t.model };
      break;
    case "firmware":
      selector = { model: t.model, firmware: t.version };
      resolved = { model_id: t.model, firmware_version: t.version };
      break;
    case "cert":
      selector = { cert: t.fingerprint };
      resolved = { fingerprint: t.fingerprint };
      break;
    case "ca":
      if (t.fingerprint === undefined) {
        // By name: every device whose certificate names this issuer, whatever the CA's key.
        selector = { issuer: t.subject! };
        resolved = {};
        if ((await store.graph.caCounts()).some((c) => c.issuer === t.subject && c.issuer_fingerprint !== null)) notes.push("Named by subject: every CA certificate with this subject counts, whatever its key.");
      } else {
        selector = { issuer_fingerprint: t.fingerprint };
        resolved = {};
      }
      break;
    case "component": {
      const hit = new Map<string, { model: string; firmware: string }>();
      for await (const page of store.graph.components()) {
        for (const c of page) {
          const key = componentKey(c);
          if (componentMatches(t, key, c.name, c.version ?? undefined)) hit.set(`${c.model_id}@${c.firmware_version}`, { model: c.model_id, firmware: c.firmware_version });
        }
      }
      selector = { images: [...hit.values()] };
      resolved = {};
      break;
    }
    case "endpoint": {
      const ids = await store.graph.endpointDevices(t.host, t.port);
      selector = { device_ids: ids };
      resolved = { seen_devices: ids.length };
      notes.push("Devices are those seen talking to the endpoint in recorded flows (detect runs); a device that has not been observed is not counted.");
      break;
    }
    case "credential": {
      // Grouped by secret in the database: the credentials the owner holds, and everyone else with the same secret.
      const nodes = await store.graph.credentialNodes(t.owner, t.ownerIsModel, t.service, t.username);
      if (nodes === undefined) throw new LongwatchError("not_found", `no ${t.ownerIsModel ? "model" : "device"} ${t.owner} is stored`, { owner: t.owner });
      if (nodes.length === 0) throw new LongwatchError("not_found", `no stored ${t.service} credential of ${t.owner} with username "${t.username}"`, { owner: t.owner, service: t.service });
      const ids = new Set<string>();
      const models = new Map<string, { model: string; firmware?: string }>();
      for (const n of nodes) {
        for (const id of n.device_ids) ids.add(id);
        for (const m of n.models) models.set(`${m.model}\u0000${m.firmware ?? ""}`, m);
      }
      // A model-wide holder covers every firmware version of its model: a version-scoped one of the same model adds nothing.
      const wide = new Set([...models.values()].filter((m) => m.firmware === undefined).map((m) => m.model));
      selector = { holders: { device_ids: [...ids], models: [...models.values()].filter((m) => m.firmware === undefined || !wide.has(m.model)) } };
      resolved = { service: t.service, username: t.username, holders: nodes.map((n) => n.name), model_wide: nodes.some((n) => n.models.length > 0) };
      break;
    }
    case "provider":
      if (t.apn !== undefined) {
        selector = { apn: t.apn };
        resolved = { apn: t.apn };
      } else {
        selector = { mccmnc: t.mccmnc! };
        resolved = { mccmnc: t.mccmnc };
        if (t.mccmnc!.length === 5) notes.push("Matched on the IMSI's first five digits (MCC + two-digit MNC); a three-digit MNC starting with the same digits also matches — give six digits to tell them apart.");
      }
      break;
  }
  const a = await store.graph.affected(selector, sample);
  const byModel = new Map<string | null, number>(), byGroup = new Map<string | null, number>(), byCountry = new Map<string | null, number>();
  const seenImages = new Set<string>();
  let devices = 0;
  for (const r of a.rows) {
    devices += r.devices;
    inc(byModel, r.model_id, r.devices);
    inc(byCountry, r.country, r.devices);
    if (r.groups.length === 0) inc(byGroup, null, r.devices);
    for (const g of r.groups) inc(byGroup, g, r.devices);
    if (r.model_id !== null && r.firmware_version !== null) seenImages.add(`${r.model_id}@${r.firmware_version}`);
  }
  const modelDocs = new Map((await store.fleet.models()).map((m) => [m.model_id, m]));
  if (devices === 0) {
    if (t.kind === "model" && !modelDocs.has(t.model)) throw new LongwatchError("not_found", `no device of model ${t.model} is stored`, { model_id: t.model });
    if (t.kind === "firmware") throw new LongwatchError("not_found", `no stored device runs firmware ${t.version} of model ${t.model}`, { model_id: t.model, firmware_version: t.version });
    if (t.kind === "cert") throw new LongwatchError("not_found", `no stored device uses certificate ${t.fingerprint}`, { fingerprint: t.fingerprint });
    if (t.kind === "ca" && t.fingerprint === undefined) throw new LongwatchError("not_found", `no stored device certificate was issued by ${t.subject}`, { subject: t.subject });
    if (t.kind === "ca") throw new LongwatchError("not_found", `no stored device certificate was issued by the CA certificate ${t.fingerprint} (a CA is recognised when a device's certificate file carries it; otherwise name it by subject: ca:"CN=…")`, { fingerprint: t.fingerprint });
    if (t.kind === "component") throw new LongwatchError("not_found", `no imported firmware inventory of a stored device contains ${t.purl ?? `${t.name}${t.version ? `@${t.version}` : ""}`}`, {});
  }
  if (t.kind === "ca") resolved = { subjects: t.fingerprint !== undefined ? [await store.graph.issuerSubject(t.fingerprint)] : [t.subject], certificates: a.certificates };
  if (t.kind === "component") resolved = { firmware: [...seenImages].sort() };
  if (t.kind === "endpoint") {
    const unknown = (resolved.seen_devices as number) - devices;
    if (unknown) notes.push(`${unknown} device(s) seen in flows are not in the inventory and are left out.`);
  }
  return [{ fleet: await store.graph.deviceCount(), devices, byModel, byGroup, byCountry, mqtt: a.mqtt, mqttSample: a.mqtt_sample, certificates: a.certificates, certificateSample: a.certificate_sample, resolved, notes, modelDocs }, selector];
}

export async function compromise(deps: RespondDeps, targetText: string | WhatifTarget, opts: CompromiseOptions = {}): Promise<CompromiseReport> {
  const t = typeof targetText === "string" ? parseWhatifTarget(targetText) : targetText;
  const [c, selector] = await countInStore(deps.store, t, opts.sample ?? 3);
  // Selected by the store in device order, three columns a device: the fleet is never read into a graph.
  return reportOf(deps, t, c, opts.devices ? await deps.store.graph.affectedDevices(selector) : undefined);
}

/** The report from the counts: data, remote recovery and the devices listed (judged per model), plan, time to remediate. */
export async function reportOf(deps: RespondDeps, t: WhatifTarget, c: Counted, listed?: readonly ListedDevice[]): Promise<CompromiseReport> {
  const total = Math.max(c.fleet, 1);
  // Recovery and data are judged per model, then counted per device.
  const verdicts = new Map<string | null, ReturnType<typeof judgeModel>>();
  const verdictOf = (m: string | null) => {
    let v = verdicts.get(m);
    if (!v) verdicts.set(m, (v = judgeModel(m === null ? undefined : c.modelDocs.get(m), t)));
    return v;
  };
  const data = { telemetry: 0, location: 0, personal: 0, undeclared: 0 };
  const recovery = { remote: 0, not_remote: 0, unknown: 0 };
  const reasonCount = new Map<RecoveryReason, number>();
  const byModelRecovery: ModelRecovery[] = [];
  for (const [m, n] of c.byModel) {
    const v = verdictOf(m);
    if (!v.data.declared) data.undeclared += n;
    if (v.data.telemetry) data.telemetry += n;
    if (v.data.location) data.location += n;
    if (v.data.personal) data.personal += n;
    recovery[v.recoverable === "yes" ? "remote" : v.recoverable === "no" ? "not_remote" : "unknown"] += n;
    for (const r of v.reasons) reasonCount.set(r, (reasonCount.get(r) ?? 0) + n);
    byModelRecovery.push({ model_id: m, devices: n, recoverable: v.recoverable, reasons: v.reasons });
  }
  byModelRecovery.sort((a, b) => b.devices - a.devices || ((a.model_id ?? "") < (b.model_id ?? "") ? -1 : 1));
  const plan = await planSteps(deps, c, t);
  const budget = deps.settings.automatic.budget;
  const perDevice = Math.max(0, ...plan.filter((s) => s.target_kind === "device").map((s) => s.targets));
  const duration = budget.devices > 0 ? Math.ceil(perDevice / budget.devices) * budget.per : null;
  const budgetText = `${budget.devices} device(s) per ${formatDuration(budget.per)}`;
  const report: CompromiseReport = {
    target: formatWhatifTarget(t),
    kind: t.kind,
    resolved: c.resolved,
    generated_at: new Date(deps.now()).toISOString(),
    fleet_devices: c.fleet,
    affected: { devices: c.devices, share: c.devices / total, by_model: tally(c.byModel, total).map((s) => (s.name === "(none)" ? { ...s, name: "(no model)" } : s)), by_group: tally(c.byGroup, total), by_country: tally(c.byCountry, total) },
    data,
    recovery: { ...recovery, reasons: [...reasonCount].map(([reason, devices]) => ({ reason, text: RECOVERY_REASONS[reason], devices })).sort((a, b) => b.devices - a.devices || (a.reason < b.reason ? -1 : 1)), by_model: byModelRecovery },
    plan,
    remediation: {
      devices: perDevice,
      budget: { devices: budget.devices, per_ms: budget.per },
      duration_ms: duration,
      text: perDevice === 0 ? "No device-level action to take." : duration === null ? `The automatic-response budget is 0, so every one of the ${perDevice} device actions waits for a person.` : `${perDevice} device action(s) at the automatic-response budget of ${budgetText}: ${formatDuration(duration)}.`,
      hands_on: recovery.not_remote,
    },
    notes: c.notes,
  };
  if (listed) {
    report.devices = listed.map((d) => {
      const v = verdictOf(d.model_id);
      return { device_id: d.device_id, model_id: d.model_id, country: d.country, recoverable: v.recoverable, reasons: v.reasons };
    });
  }
  return report;
}

/**
 * The response to a compromise, as respond actions: revoke what the compromised key signed, rotate the shared
 * secret, and quarantine every affected device on the broker until it is fixed. Each step is dry-run offline on a
 * few targets, so the plan shows exactly what respond would do.
 */
async function planSteps(deps: RespondDeps, c: Counted, t: WhatifTarget): Promise<PlanStep[]> {
  const steps: { action: string; kind: Target["kind"]; targets: string[]; count: number; params: Record<string, unknown>; why: string }[] = [];
  if (t.kind === "ca" || t.kind === "cert") {
    steps.push({ action: "cert-revoke", kind: "certificate", targets: c.certificateSample, count: c.certificates, params: { reason: t.kind === "ca" ? "cACompromise" : "keyCompromise" }, why: t.kind === "ca" ? "Every certificate the CA issued can be forged: revoke them and re-issue from a new CA." : "The certificate's key is known to the attacker." });
  }
  if (t.kind === "credential") {
    const name = `${t.ownerIsModel ? "model:" : ""}${t.owner}/${t.service}/${t.username}`;
    steps.push({ action: "credential-rotate", kind: "credential", targets: [name], count: 1, params: {}, why: "The secret is known: change it on every device that shares it." });
  }
  if (c.mqtt > 0) steps.push({ action: "mqtt-quarantine", kind: "device", targets: c.mqttSample, count: c.mqtt, params: {}, why: "Until a device is fixed it may only use its control topic, so it can still be updated but not send or receive data." });
  const out: PlanStep[] = [];
  for (const s of steps) {
    const a = actionOf(s.action);
    const planned: PlanStep["sample"] = [];
    for (const id of s.targets) planned.push({ target: id, plan: await dryRun(deps, s.action, { kind: s.kind, id }, s.params, true) });
    out.push({ action: a.id, title: a.title, reversible: a.reversible, target_kind: s.kind, targets: s.count, sample: planned, why: s.why });
  }
  return out;
}
