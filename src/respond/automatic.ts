/**
 * Playbooks and automatic response. A playbook maps alerts of some detectors, or findings of some rules, at or above
 * a severity, to an action. `respondTo` proposes that action for each affected device; when the playbook is
 * automatic, automatic response is enabled and not paused, the action is reversible and the budget (at most N
 * devices per window) has room, it also applies it — with a time-to-live after which `sweep` reverses it unless a
 * person confirmed it. Everything else waits for a person. One switch (`pause`) stops every automatic change.
 */
import { isLongwatchError } from "../core/errors.ts";
import type { Finding } from "../core/finding.ts";
import type { Alert } from "../core/record.ts";
import type { ResponseRecord, Target, TargetKind } from "../core/response.ts";
import { type Severity, severityRank } from "../core/severity.ts";
import type { RespondDeps } from "./context.ts";
import { actionOf, apply, propose, reverseExpired } from "./engine.ts";
import { appendLog } from "./log.ts";
import type { Playbook } from "./settings.ts";

const PAUSE_KEY = "automatic.paused";
const iso = (ms: number) => new Date(ms).toISOString();

export interface PauseState {
  paused: boolean;
  by?: string;
  at?: string;
  reason?: string;
}

export async function pauseState(deps: RespondDeps): Promise<PauseState> {
  const v = (await deps.store.responses.setting(PAUSE_KEY)) as PauseState | undefined;
  return v ?? { paused: false };
}

export async function pause(deps: RespondDeps, actor: string, reason: string): Promise<PauseState> {
  const s: PauseState = { paused: true, by: actor, at: iso(deps.now()), reason };
  await deps.store.responses.setSetting(PAUSE_KEY, s);
  await appendLog(deps.store.responses, { at: s.at!, event: "automatic-paused", actor, detail: { reason } });
  return s;
}

export async function resume(deps: RespondDeps, actor: string): Promise<PauseState> {
  await deps.store.responses.setSetting(PAUSE_KEY, { paused: false });
  await appendLog(deps.store.responses, { at: iso(deps.now()), event: "automatic-resumed", actor });
  return { paused: false };
}

/** What one playbook run did. */
export interface PlaybookOutcome {
  proposed: ResponseRecord[];
  applied: ResponseRecord[];
  /** Left for a person, with why (paused, over budget, irreversible, a manual playbook) and that reason's code. */
  waiting: { response: ResponseRecord; why: string; code: WaitingCode }[];
  skipped: { target: string; why: string }[];
  /**
   * `propose`: nothing was recorded for the target (trying again may help); `apply`: the response was proposed, then
   * its apply threw. `called` (apply only): the action itself was called — it threw (the response is recorded as
   * failed) or its verify did — as opposed to refused before anything was tried (the budget's write lost a race, the
   * store did not answer).
   */
  errors: { target: string; message: string; stage: "propose" | "apply"; called?: boolean }[];
  /** Whether automatic response was paused when the run read the switch. */
  paused: boolean;
}

/** Why a proposed response waits for a person: for counters and for tests, beside the sentence people read. */
export type WaitingCode = "manual" | "irreversible" | "disabled" | "paused" | "budget";

interface Trigger {
  kind: "alert" | "finding";
  id: string;
  detector?: string;
  rule?: string;
  severity: Severity;
  devices: string[];
  evidence: Record<string, unknown>;
}

/** The action's target for a device a trigger names: the device, its certificate, or the credential the evidence names. */
async function targetFor(deps: RespondDeps, kind: TargetKind, device: string, t: Trigger): Promise<Target | string> {
  if (kind === "device") return { kind, id: device };
  if (kind === "certificate") {
    const fp = (await deps.store.fleet.getDevice(device))?.device.cert_fingerprint;
    return fp ? { kind, id: fp } : `device ${device} has no stored certificate`;
  }
  const c = t.evidence.credential;
  return typeof c === "string" ? { kind, id: c } : `the ${t.kind} names no credential`;
}

function triggers(alerts: readonly Alert[], findings: readonly Finding[]): Trigger[] {
  return [
    ...alerts.filter((a) => a.state !== "resolved").map((a): Trigger => ({ kind: "alert", id: a.id, detector: a.detector, severity: a.severity, devices: [a.device_id], evidence: a.evidence })),
    ...findings.filter((f) => f.status !== "fixed" && f.status !== "suppressed").map((f): Trigger => ({ kind: "finding", id: f.fingerprint, rule: f.rule, severity: f.severity, devices: f.device_id ? [f.device_id] : (f.devices ?? []), evidence: f.evidence })),
  ];
}

function matches(p: Playbook, t: Trigger): boolean {
  if (severityRank(t.severity) < severityRank(p.when.severity)) return false;
  return t.kind === "alert" ? (p.when.detector ?? []).includes(t.detector!) : (p.when.rule ?? []).includes(t.rule!);
}

/** The playbooks an alert would trigger (detector and severity match): a cheap test before queueing it. */
export function playbooksFor(playbooks: readonly Playbook[], alert: Pick<Alert, "detector" | "severity">): Playbook[] {
  const t: Trigger = { kind: "alert", id: "", detector: alert.detector, severity: alert.severity, devices: [], evidence: {} };
  return playbooks.filter((p) => matches(p, t));
}

export async function respondTo(deps: RespondDeps, input: { alerts?: readonly Alert[]; findings?: readonly Finding[] }): Promise<PlaybookOutcome> {
  const s = deps.settings;
  const paused = (await pauseState(deps)).paused;
  const out: PlaybookOutcome = { proposed: [], applied: [], waiting: [], skipped: [], errors: [], paused };
  for (const t of triggers(input.alerts ?? [], input.findings ?? [])) {
    for (const p of s.playbooks.filter((x) => matches(x, t))) {
      const a = actionOf(p.action);
      for (const device of t.devices) {
        const target = await targetFor(deps, a.target, device, t);
        if (typeof target === "string") {
          out.skipped.push({ target: device, why: target });
          continue;
        }
        if (await deps.store.responses.openFor(a.id, target.id)) {
          out.skipped.push({ target: device, why: `a ${a.id} response for it is already under way` });
          continue;
        }
        // The same trigger (alert or finding) was answered by this playbook before, and that response ended rejected or
        // reversed (at its time-to-live): running again — `respond run` twice, the service restarted, a worker taking
        // over a partition — must not undo a person's decision or re-apply what the time-to-live took back. A `failed`
        // response does not count: the apply did not happen (broker or SIM platform down), so the trigger is tried
        // again. (Checked here to skip the plan; propose checks again with its insert, atomically.)
        const answered = await deps.store.responses.answered(a.id, target.id, { kind: t.kind, id: t.id, playbook: p.name });
        if (answered) {
          out.skipped.push({ target: device, why: `playbook ${p.name} answered this ${t.kind} already (${answered.id}, ${answered.state})` });
          continue;
        }
        const automatic = p.mode === "automatic" && s.automatic.enabled && a.reversible;
        const actor = `longwatch:playbook:${p.name}`;
        let stage: "propose" | "apply" = "propose";
        let proposed: string | undefined;
        try {
          const r = await proposeOnce(deps, actor, { action: a.id, target, params: p.params, reason: `${t.kind} ${t.detector ?? t.rule} (${t.severity}) matched playbook ${p.name}`, source: { kind: t.kind, id: t.id, playbook: p.name, severity: t.severity, ...(t.detector ? { detector: t.detector } : {}), ...(t.rule ? { rule: t.rule } : {}) }, mode: automatic ? "automatic" : "manual" });
          if (typeof r === "string") {
            out.skipped.push({ target: device, why: r });
            continue;
          }
          out.proposed.push(r);
          proposed = r.id;
          const code: WaitingCode | undefined = !automatic ? (p.mode !== "automatic" ? "manual" : !a.reversible ? "irreversible" : "disabled") : paused ? "paused" : undefined;
          if (code !== undefined) {
            const why = { manual: "the playbook proposes; a person decides", irreversible: `${a.id} cannot be undone, so it always needs a person`, disabled: "automatic response is not enabled", paused: "automatic response is paused", budget: "" }[code];
            out.waiting.push({ response: r, why, code });
            continue;
          }
          stage = "apply";
          const done = await apply(deps, actor, r.id, { execute: true, budget: s.automatic.budget });
          if (done.overBudget !== undefined) {
            const note = `the automatic budget (${s.automatic.budget.devices} devices per ${Math.round(s.automatic.budget.per / 60_000)} min) is used up`;
            await appendLog(deps.store.responses, { at: iso(deps.now()), event: "budget-exhausted", actor, response_id: r.id, action: r.action, target: r.target, detail: { used: done.overBudget, budget: s.automatic.budget.devices } });
            out.waiting.push({ response: r, why: note, code: "budget" });
            continue;
          }
          out.applied.push(done.response);
        } catch (e) {
          out.errors.push({ target: device, message: (e as Error).message, stage, ...(stage === "apply" ? { called: await actionCalled(deps, proposed!) } : {}) });
        }
      }
    }
  }
  return out;
}

/**
 * Whether an apply that threw got as far as calling the action, as its record says: `failed` (the action threw; a
 * response proposed in this run reaches failed no other way before it is applied) or holding what was applied (its
 * verify threw). A record that cannot be read counts as not called.
 */
async function actionCalled(deps: RespondDeps, id: string): Promise<boolean> {
  const r = await deps.store.responses.get(id).catch(() => undefined);
  return r !== undefined && (r.state === "failed" || r.applied !== undefined);
}

/** Proposes, or says why not when another process answered the same trigger (or target) first: a race, not an error. */
async function proposeOnce(deps: RespondDeps, actor: string, input: Parameters<typeof propose>[2]): Promise<ResponseRecord | string> {
  try {
    return await propose(deps, actor, input);
  } catch (e) {
    if (isLongwatchError(e, "conflict")) return (e as Error).message;
    throw e;
  }
}

/**
 * Reverses automatic responses whose time-to-live ran out unless confirmed; does nothing while paused. Each reversal
 * is claimed in the store first (reverseExpired), so sweeps running at once in several processes reverse each
 * response once between them; what another process took, or a person confirmed meanwhile, is `skipped`.
 */
export async function sweep(deps: RespondDeps): Promise<{ reversed: ResponseRecord[]; skipped: { id: string; why: string }[]; errors: { id: string; message: string }[]; paused: boolean }> {
  if ((await pauseState(deps)).paused) return { reversed: [], skipped: [], errors: [], paused: true };
  const reversed: ResponseRecord[] = [];
  const skipped: { id: string; why: string }[] = [];
  const errors: { id: string; message: string }[] = [];
  for (const r of await deps.store.responses.expired(iso(deps.now()))) {
    try {
      const got = await reverseExpired(deps, "longwatch:ttl", r.id);
      if ("reversed" in got) reversed.push(got.reversed);
      else skipped.push({ id: r.id, why: got.skipped });
    } catch (e) {
      errors.push({ id: r.id, message: (e as Error).message });
    }
  }
  return { reversed, skipped, errors, paused: false };
}
