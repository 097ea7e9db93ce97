/**
 * `whatif compromise TARGET`: which devices fall, what they carry, whether each can be fixed over the air, what the
 * response would be (a dry run through respond/, nothing is recorded or contacted) and how long it would take at the
 * automatic-response budget.
 */
import type { ActionPlan, Target } from "../core/response.ts";
import { actionOf, dryRun } from "../respond/engine.ts";
import type { RespondDeps } from "../respond/context.ts";
import type { StoreTx } from "../store/store.ts";
import { buildGraph, type FleetGraph, type GraphLayer } from "./graph.ts";
import { judgeModel, RECOVERY_REASONS, type Recoverable, type RecoveryReason } from "./recovery.ts";
import { selectDevices } from "./select.ts";
import { formatWhatifTarget, parseWhatifTarget, type WhatifKind, type WhatifTarget } from "./target.ts";

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
  /** A graph already built (whatif --all, the API); built from the store otherwise. */
  graph?: FleetGraph;
}

const LAYERS: Partial<Record<WhatifKind, GraphLayer>> = { ca: "certificates", credential: "credentials", component: "components" };

function tally(count: Map<number, number>, names: string[], total: number): Share[] {
  return [...count].map(([k, n]) => ({ name: k < 0 ? "(none)" : names[k]!, devices: n, share: n / total })).sort((a, b) => b.devices - a.devices || (a.name < b.name ? -1 : 1));
}

const inc = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);

export function formatDuration(ms: number): string {
  const h = ms / 3_600_000;
  if (h < 1) return `${Math.ceil(ms / 60_000)} min`;
  if (h < 48) return `${Math.ceil(h)} h`;
  const d = h / 24;
  return d < 730 ? `${Math.ceil(d)} days` : `${(d / 365.25).toFixed(1)} years`;
}

export async function compromise(deps: RespondDeps, targetText: string | WhatifTarget, opts: CompromiseOptions = {}): Promise<CompromiseReport> {
  const t = typeof targetText === "string" ? parseWhatifTarget(targetText) : targetText;
  const store: StoreTx = deps.store;
  const layer = LAYERS[t.kind];
  const g = opts.graph ?? (await buildGraph(store, layer ? [layer] : []));
  const sel = await selectDevices(store, g, t);
  const total = Math.max(g.size, 1);
  const byModel = new Map<number, number>(), byGroup = new Map<number, number>(), byCountry = new Map<number, number>();
  for (const i of sel.devices) {
    inc(byModel, g.model[i]!);
    inc(byCountry, g.country[i]!);
    const a = g.groupStart[i]!, b = g.groupStart[i + 1]!;
    if (a === b) inc(byGroup, -1);
    for (let k = a; k < b; k++) inc(byGroup, g.groupList[k]!);
  }
  // Recovery and data are judged per model, then counted per device.
  const verdicts = new Map<number, ReturnType<typeof judgeModel>>();
  const verdictOf = (m: number) => {
    let v = verdicts.get(m);
    if (!v) verdicts.set(m, (v = judgeModel(m < 0 ? undefined : g.modelDocs.get(g.models.names[m]!), t)));
    return v;
  };
  const data = { telemetry: 0, location: 0, personal: 0, undeclared: 0 };
  const recovery = { remote: 0, not_remote: 0, unknown: 0 };
  const reasonCount = new Map<RecoveryReason, number>();
  const byModelRecovery: ModelRecovery[] = [];
  for (const [m, n] of byModel) {
    const v = verdictOf(m);
    if (!v.data.declared) data.undeclared += n;
    if (v.data.telemetry) data.telemetry += n;
    if (v.data.location) data.location += n;
    if (v.data.personal) data.personal += n;
    recovery[v.recoverable === "yes" ? "remote" : v.recoverable === "no" ? "not_remote" : "unknown"] += n;
    for (const r of v.reasons) reasonCount.set(r, (reasonCount.get(r) ?? 0) + n);
    byModelRecovery.push({ model_id: m < 0 ? null : g.models.names[m]!, devices: n, recoverable: v.recoverable, reasons: v.reasons });
  }
  byModelRecovery.sort((a, b) => b.devices - a.devices || ((a.model_id ?? "") < (b.model_id ?? "") ? -1 : 1));
  const plan = await planSteps(deps, g, t, sel.devices, opts.sample ?? 3);
  const budget = deps.settings.automatic.budget;
  const perDevice = Math.max(0, ...plan.filter((s) => s.target_kind === "device").map((s) => s.targets));
  const duration = budget.devices > 0 ? Math.ceil(perDevice / budget.devices) * budget.per : null;
  const budgetText = `${budget.devices} device(s) per ${formatDuration(budget.per)}`;
  const report: CompromiseReport = {
    target: formatWhatifTarget(t),
    kind: t.kind,
    resolved: sel.resolved,
    generated_at: new Date(deps.now()).toISOString(),
    fleet_devices: g.size,
    affected: { devices: sel.devices.length, share: sel.devices.length / total, by_model: tally(byModel, g.models.names, total).map((s) => (s.name === "(none)" ? { ...s, name: "(no model)" } : s)), by_group: tally(byGroup, g.groups.names, total), by_country: tally(byCountry, g.countries.names, total) },
    data,
    recovery: { ...recovery, reasons: [...reasonCount].map(([reason, devices]) => ({ reason, text: RECOVERY_REASONS[reason], devices })).sort((a, b) => b.devices - a.devices), by_model: byModelRecovery },
    plan,
    remediation: {
      devices: perDevice,
      budget: { devices: budget.devices, per_ms: budget.per },
      duration_ms: duration,
      text: perDevice === 0 ? "No device-level action to take." : duration === null ? `The automatic-response budget is 0, so every one of the ${perDevice} device actions waits for a person.` : `${perDevice} device action(s) at the automatic-response budget of ${budgetText}: ${formatDuration(duration)}.`,
      hands_on: recovery.not_remote,
    },
    notes: sel.notes,
  };
  if (opts.devices) {
    report.devices = [...sel.devices].map((i) => {
      const v = verdictOf(g.model[i]!);
      return { device_id: g.ids[i]!, model_id: g.model[i]! < 0 ? null : g.models.names[g.model[i]!]!, country: g.country[i]! < 0 ? null : g.countries.names[g.country[i]!]!, recoverable: v.recoverable, reasons: v.reasons };
    });
  }
  return report;
}

/**
 * The response to a compromise, as respond actions: revoke what the compromised key signed, rotate the shared
 * secret, and quarantine every affected device on the broker until it is fixed. Each step is dry-run offline on a
 * few targets, so the plan shows exactly what respond would do.
 */
async function planSteps(deps: RespondDeps, g: FleetGraph, t: WhatifTarget, devices: Int32Array, sample: number): Promise<PlanStep[]> {
  const steps: { action: string; kind: Target["kind"]; targets: string[]; count: number; params: Record<string, unknown>; why: string }[] = [];
  if (t.kind === "ca" || t.kind === "cert") {
    const fps = new Set<string>();
    for (const i of devices) if (g.cert[i]! >= 0) fps.add(g.certs.names[g.cert[i]!]!);
    steps.push({ action: "cert-revoke", kind: "certificate", targets: [...fps].sort().slice(0, sample), count: fps.size, params: { reason: t.kind === "ca" ? "cACompromise" : "keyCompromise" }, why: t.kind === "ca" ? "Every certificate the CA issued can be forged: revoke them and re-issue from a new CA." : "The certificate's key is known to the attacker." });
  }
  if (t.kind === "credential") {
    const name = `${t.ownerIsModel ? "model:" : ""}${t.owner}/${t.service}/${t.username}`;
    steps.push({ action: "credential-rotate", kind: "credential", targets: [name], count: 1, params: {}, why: "The secret is known: change it on every device that shares it." });
  }
  const mqtt: string[] = [];
  let mqttCount = 0;
  for (const i of devices) {
    if (!g.mqtt[i]) continue;
    if (mqtt.length < sample) mqtt.push(g.ids[i]!);
    mqttCount++;
  }
  if (mqttCount > 0) steps.push({ action: "mqtt-quarantine", kind: "device", targets: mqtt, count: mqttCount, params: {}, why: "Until a device is fixed it may only use its control topic, so it can still be updated but not send or receive data." });
  const out: PlanStep[] = [];
  for (const s of steps) {
    const a = actionOf(s.action);
    const planned: PlanStep["sample"] = [];
    for (const id of s.targets) planned.push({ target: id, plan: await dryRun(deps, s.action, { kind: s.kind, id }, s.params, true) });
    out.push({ action: a.id, title: a.title, reversible: a.reversible, target_kind: s.kind, targets: s.count, sample: planned, why: s.why });
  }
  return out;
}
