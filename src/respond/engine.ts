/**
 * The response state machine, as library operations the CLI and the server both call with an actor:
 *
 *   propose → approve (by someone else; expires) → apply (dry run unless `execute`) → verify → verified | failed
 *   applied/verified/failed → reverse (reversible actions only) · proposed/approved → reject
 *
 * Irreversible actions always need an approval; with `approval.required: all` (the default) every manual response
 * does. Every transition is written with a version check, so two people acting on one response at once cannot both
 * win, and lands in the hash-chained log with actor, approver, target, before, after and idempotency key.
 */
import { randomUUID } from "node:crypto";
import { LongwatchError } from "../core/errors.ts";
import type { ActionPlan, ResponseMode, ResponseRecord, ResponseSource, Target } from "../core/response.ts";
import type { Action } from "./action.ts";
import { actionById } from "./actions/index.ts";
import { actionContext, type RespondDeps } from "./context.ts";
import { appendLog } from "./log.ts";

const iso = (ms: number) => new Date(ms).toISOString();

export function actionOf(id: string): Action {
  const a = actionById(id);
  if (!a) throw new LongwatchError("not_found", `no action "${id}" (see \`longwatch respond actions\`)`, { action: id });
  return a;
}

function parseParams(a: Action, params: unknown): Record<string, unknown> {
  const r = a.params.safeParse(params ?? {});
  if (!r.success) throw new LongwatchError("invalid_input", `parameters of ${a.id}: ${r.error.issues.map((i) => `${i.path.join(".") || "(params)"}: ${i.message}`).join("; ")}`, { action: a.id, issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  return r.data as Record<string, unknown>;
}

/** What an action would do to a target, without recording anything; `offline` contacts no outside system (what-if). */
export async function dryRun(deps: RespondDeps, action: string, target: Target, params: unknown, offline: boolean): Promise<ActionPlan> {
  const a = actionOf(action);
  if (a.target !== target.kind) throw new LongwatchError("invalid_input", `${a.id} acts on a ${a.target}, not a ${target.kind}`, { action: a.id });
  return a.plan({ ctx: actionContext(deps, "dry-run", offline), target, params: parseParams(a, params) });
}

async function load(deps: RespondDeps, id: string): Promise<ResponseRecord> {
  const r = await deps.store.responses.get(id);
  if (!r) throw new LongwatchError("not_found", `no response ${id}`, { response_id: id });
  return r;
}

async function save(deps: RespondDeps, r: ResponseRecord, next: Partial<ResponseRecord>): Promise<ResponseRecord> {
  const updated: ResponseRecord = { ...r, ...next, version: r.version + 1 };
  if (!(await deps.store.responses.update(updated))) throw new LongwatchError("conflict", `response ${r.id} was changed by someone else meanwhile; look at it again`, { response_id: r.id });
  return updated;
}

function log(deps: RespondDeps, r: ResponseRecord, event: string, actor: string, extra: { before?: unknown; after?: unknown; detail?: Record<string, unknown> } = {}) {
  return appendLog(deps.store.responses, {
    at: iso(deps.now()),
    event,
    actor,
    response_id: r.id,
    action: r.action,
    approver: r.approver ?? null,
    target: r.target,
    key: r.idempotency_key,
    before: (extra.before ?? null) as Record<string, unknown> | null,
    after: (extra.after ?? null) as Record<string, unknown> | null,
    detail: extra.detail ?? null,
  });
}

function need(r: ResponseRecord, states: readonly ResponseRecord["state"][], what: string): void {
  if (!states.includes(r.state)) throw new LongwatchError("conflict", `response ${r.id} is ${r.state}: it cannot be ${what} (only when ${states.join(" or ")})`, { response_id: r.id, state: r.state });
}

export interface ProposeInput {
  action: string;
  target: Target;
  params?: unknown;
  reason: string;
  source?: ResponseSource;
  mode?: ResponseMode;
  /** Plan without reading the target's current state (when the system is unreachable or for speed). */
  offline?: boolean;
}

export async function propose(deps: RespondDeps, actor: string, p: ProposeInput): Promise<ResponseRecord> {
  const a = actionOf(p.action);
  if (a.target !== p.target.kind) throw new LongwatchError("invalid_input", `${a.id} acts on a ${a.target}, not a ${p.target.kind}`, { action: a.id });
  const params = parseParams(a, p.params);
  const existing = await deps.store.responses.openFor(a.id, p.target.id);
  if (existing) throw new LongwatchError("conflict", `response ${existing.id} (${existing.state}) already does ${a.id} to ${p.target.id}`, { response_id: existing.id });
  const id = `r-${iso(deps.now()).slice(0, 10).replaceAll("-", "")}-${randomUUID().slice(0, 8)}`;
  const plan = await a.plan({ ctx: actionContext(deps, id, p.offline ?? false), target: p.target, params });
  const r: ResponseRecord = { id, action: a.id, target: p.target, params, state: "proposed", mode: p.mode ?? "manual", reversible: a.reversible, reason: p.reason, source: p.source ?? { kind: "person" }, proposer: actor, proposed_at: iso(deps.now()), idempotency_key: `lw-${id}`, plan, warnings: [...plan.warnings], version: 1 };
  // Checked again with the insert, atomically: another process (a worker, the service) may have answered meanwhile.
  const raced = await deps.store.responses.insertUnlessAnswered(r);
  if (raced) throw new LongwatchError("conflict", `response ${raced.id} (${raced.state}) already ${raced.source.playbook !== undefined && raced.source.playbook === r.source.playbook ? `answers this ${r.source.kind} with ${a.id} on` : `does ${a.id} to`} ${p.target.id}`, { response_id: raced.id });
  await log(deps, r, "proposed", actor, { before: plan.before, after: plan.after, detail: { summary: plan.summary, reason: p.reason, mode: r.mode, source: r.source } });
  return r;
}

export async function approve(deps: RespondDeps, actor: string, id: string, note?: string): Promise<ResponseRecord> {
  const r = await load(deps, id);
  need(r, ["proposed"], "approved");
  if (actor === r.proposer) throw new LongwatchError("forbidden", `${actor} proposed response ${id} and so cannot approve it: a second person must (four eyes)`, { response_id: id });
  const now = deps.now();
  const out = await save(deps, r, { state: "approved", approver: actor, approved_at: iso(now), approval_expires_at: iso(now + deps.settings.approval.expires) });
  await log(deps, out, "approved", actor, { detail: { expires: out.approval_expires_at, ...(note ? { note } : {}) } });
  return out;
}

export async function reject(deps: RespondDeps, actor: string, id: string, reason: string): Promise<ResponseRecord> {
  const r = await load(deps, id);
  need(r, ["proposed", "approved"], "rejected");
  const out = await save(deps, r, { state: "rejected", rejected_by: actor });
  await log(deps, out, "rejected", actor, { detail: { reason } });
  return out;
}

export function approvalNeeded(deps: RespondDeps, r: ResponseRecord): boolean {
  if (!r.reversible) return true;
  if (r.mode === "automatic") return false;
  return deps.settings.approval.required === "all";
}

export interface ApplyOutcome {
  response: ResponseRecord;
  /** False for a dry run, or when the budget was spent: nothing was changed. */
  executed: boolean;
  plan: ActionPlan;
  /** Not applied because the automatic budget was spent: the distinct targets it already counts. */
  overBudget?: number;
}

export interface ApplyOptions {
  execute: boolean;
  /** An automatic apply: only if the budget (distinct targets per window, shared by every process on the store) has room. */
  budget?: { devices: number; per: number };
}

/** Without `execute`, plans again and shows what would happen. With it, applies, then verifies at once. */
export async function apply(deps: RespondDeps, actor: string, id: string, opts: ApplyOptions): Promise<ApplyOutcome> {
  let r = await load(deps, id);
  need(r, ["proposed", "approved"], "applied");
  const a = actionOf(r.action);
  const call = { ctx: actionContext(deps, r.id), target: r.target, params: r.params };
  if (approvalNeeded(deps, r)) {
    if (r.state !== "approved") throw new LongwatchError("forbidden", `response ${id} needs an approval by someone other than ${r.proposer} first${r.reversible ? "" : " (it cannot be undone)"}: longwatch respond approve ${id}`, { response_id: id });
    if (Date.parse(r.approval_expires_at!) <= deps.now()) {
      const back = await save(deps, r, { state: "proposed" });
      await log(deps, back, "approval-expired", actor, { detail: { expired: r.approval_expires_at } });
      throw new LongwatchError("conflict", `the approval of response ${id} expired at ${r.approval_expires_at}; it needs a new one`, { response_id: id });
    }
  }
  const plan = await a.plan(call);
  if (!opts.execute) return { response: r, executed: false, plan };
  if (opts.budget) {
    // The budget is counted and this response's place in it taken in one step of the store.
    const start: ResponseRecord = { ...r, applier: actor, applied_at: iso(deps.now()), version: r.version + 1 };
    const got = await deps.store.responses.startAutomatic(start, iso(deps.now() - opts.budget.per), opts.budget.devices);
    if (got === "conflict") throw new LongwatchError("conflict", `response ${r.id} was changed by someone else meanwhile; look at it again`, { response_id: r.id });
    if (got !== "started") return { response: r, executed: false, plan, overBudget: got.used };
    r = start;
  } else r = await save(deps, r, { applier: actor, applied_at: iso(deps.now()) });
  try {
    const applied = await a.apply(call, r.idempotency_key);
    const ttl = r.mode === "automatic" ? { ttl_expires_at: iso(deps.now() + deps.settings.automatic.ttl) } : {};
    r = await save(deps, r, { state: "applied", applied, warnings: [...r.warnings, ...applied.warnings], ...ttl });
    await log(deps, r, "applied", actor, { before: plan.before, after: applied.after, detail: { warnings: applied.warnings, ...ttl } });
  } catch (e) {
    const err = { code: (e as { code?: string }).code ?? "internal", message: (e as Error).message };
    r = await save(deps, r, { state: "failed", error: err });
    await log(deps, r, "apply-failed", actor, { before: plan.before, detail: { error: err } });
    throw e;
  }
  return { response: await verify(deps, actor, r.id), executed: true, plan };
}

/** Reads the result back from the system that holds it: verified, or failed with the reason. */
export async function verify(deps: RespondDeps, actor: string, id: string): Promise<ResponseRecord> {
  const r = await load(deps, id);
  need(r, ["applied", "verified", "failed"], "verified");
  if (!r.applied) throw new LongwatchError("conflict", `response ${id} was never applied`, { response_id: id });
  const a = actionOf(r.action);
  const v = await a.verify({ ctx: actionContext(deps, r.id), target: r.target, params: r.params }, r.applied);
  const out = await save(deps, r, { state: v.ok ? "verified" : "failed", verification: v, verified_at: iso(deps.now()), warnings: [...new Set([...r.warnings, ...v.warnings])] });
  await log(deps, out, v.ok ? "verified" : "verify-failed", actor, { after: v.observed, detail: { ...(v.reason ? { reason: v.reason } : {}), warnings: v.warnings } });
  return out;
}

/**
 * How long a reversal claim keeps others off: longer than any reverse call takes (a command's or provider's time-out,
 * a SIM platform polled until it answers). A claim older than this was left by a process that died mid-reversal.
 */
export const REVERSE_CLAIM_MS = 15 * 60_000;

function claimHeld(deps: RespondDeps, r: ResponseRecord): boolean {
  return r.reversing !== undefined && Date.parse(r.reversing.at) > deps.now() - REVERSE_CLAIM_MS;
}

/**
 * Writes `next` over the response this process claimed for reversal: retried on a newer version (a verify that ran
 * meanwhile) as long as the claim is still ours; false when it is not (taken over after the claim time-out).
 */
async function saveClaimed(deps: RespondDeps, r: ResponseRecord, token: string, next: Partial<ResponseRecord>): Promise<ResponseRecord | undefined> {
  let cur = r;
  for (let i = 0; i < 5; i++) {
    const updated: ResponseRecord = { ...cur, ...next, version: cur.version + 1 };
    if (!("reversing" in next)) delete updated.reversing;
    if (await deps.store.responses.update(updated)) return updated;
    const again = await deps.store.responses.get(r.id);
    if (!again || again.reversing?.token !== token) return undefined;
    cur = again;
  }
  return undefined;
}

type ReverseClaim = { response: ResponseRecord; token: string } | { busy: string };

/** Takes the reversal of `r` for this process (one version-checked write: of processes racing, one wins), or says who has it. */
async function claimReversal(deps: RespondDeps, r: ResponseRecord, actor: string): Promise<ReverseClaim> {
  if (claimHeld(deps, r)) return { busy: `response ${r.id} is being reversed by ${r.reversing!.by} since ${r.reversing!.at}` };
  const token = randomUUID();
  const claimed: ResponseRecord = { ...r, reversing: { by: actor, at: iso(deps.now()), token }, version: r.version + 1 };
  if (!(await deps.store.responses.update(claimed))) return { busy: `response ${r.id} was changed by someone else meanwhile (another process reversing or confirming it)` };
  return { response: claimed, token };
}

async function reverseClaimed(deps: RespondDeps, actor: string, r: ResponseRecord, token: string, reason: string | undefined): Promise<ResponseRecord> {
  const a = actionOf(r.action);
  let res: Awaited<ReturnType<NonNullable<Action["reverse"]>>>;
  try {
    res = await a.reverse!({ ctx: actionContext(deps, r.id), target: r.target, params: r.params }, r.applied!);
  } catch (e) {
    // Nothing was reversed: the claim is let go, so a later sweep (or a person) tries again.
    await saveClaimed(deps, r, token, {});
    await log(deps, r, "reverse-failed", actor, { detail: { error: (e as Error).message } });
    throw e;
  }
  const out = await saveClaimed(deps, r, token, { state: "reversed", reverser: actor, reversed_at: iso(deps.now()), warnings: [...r.warnings, ...res.warnings] });
  const detail = { ...(reason ? { reason } : {}), warnings: res.warnings };
  if (!out) {
    // The reverse ran and changed the target: the log records it although the record now belongs to whoever took over.
    const lost = `the claim was taken over meanwhile (the reversal outlasted ${REVERSE_CLAIM_MS / 60_000} min), so the response record was not updated`;
    await log(deps, r, "reversed", actor, { before: r.applied!.after, after: res.after, detail: { ...detail, claim_lost: lost } });
    throw new LongwatchError("conflict", `response ${r.id} was reversed, but ${lost}; look at it again`, { response_id: r.id });
  }
  await log(deps, out, "reversed", actor, { before: r.applied!.after, after: res.after, detail });
  return out;
}

function reversible(r: ResponseRecord, id: string): void {
  const a = actionOf(r.action);
  if (!a.reverse || !r.reversible) throw new LongwatchError("conflict", `${a.id} cannot be undone by Longwatch; undo it by hand and record why`, { response_id: id });
  if (!r.applied) throw new LongwatchError("conflict", `response ${id} failed before it changed anything: nothing to reverse`, { response_id: id });
}

/**
 * Undoes an applied response. The reversal is claimed first, so of two processes (or people) reversing one response
 * at once only one calls the action's reverse; the other is told it is under way.
 */
export async function reverse(deps: RespondDeps, actor: string, id: string, reason?: string): Promise<ResponseRecord> {
  const r = await load(deps, id);
  need(r, ["applied", "verified", "failed"], "reversed");
  reversible(r, id);
  const c = await claimReversal(deps, r, actor);
  if ("busy" in c) throw new LongwatchError("conflict", c.busy, { response_id: id });
  return reverseClaimed(deps, actor, c.response, c.token, reason);
}

/**
 * The time-to-live's reversal of one automatic response, claimed once across every process that sweeps (the service,
 * the worker holding partition 0, a hand-run `respond sweep`): `skipped` with why when it is no longer due — another
 * process reversed it or is reversing it, or someone confirmed it since the sweep listed it.
 */
export async function reverseExpired(deps: RespondDeps, actor: string, id: string): Promise<{ reversed: ResponseRecord } | { skipped: string }> {
  const r = await load(deps, id);
  if (!["applied", "verified", "failed"].includes(r.state)) return { skipped: `response ${id} is ${r.state} already` };
  if (r.mode !== "automatic") return { skipped: `response ${id} was applied by a person (manual); only automatic responses expire` };
  if (r.confirmed_by !== undefined) return { skipped: `response ${id} was confirmed by ${r.confirmed_by}` };
  if (r.ttl_expires_at === undefined || Date.parse(r.ttl_expires_at) > deps.now()) return { skipped: `response ${id} is not due until ${r.ttl_expires_at ?? "never"}` };
  reversible(r, id);
  const c = await claimReversal(deps, r, actor);
  if ("busy" in c) return { skipped: c.busy };
  return { reversed: await reverseClaimed(deps, actor, c.response, c.token, `time-to-live ended at ${r.ttl_expires_at} without confirmation`) };
}

/** Keeps an automatic response in place: its time-to-live no longer reverses it. */
export async function confirm(deps: RespondDeps, actor: string, id: string, note?: string): Promise<ResponseRecord> {
  const r = await load(deps, id);
  need(r, ["applied", "verified", "failed"], "confirmed");
  if (r.mode !== "automatic") throw new LongwatchError("conflict", `response ${id} was applied by a person; only automatic responses expire`, { response_id: id });
  if (claimHeld(deps, r)) throw new LongwatchError("conflict", `response ${id} is being reversed by ${r.reversing!.by} since ${r.reversing!.at}: too late to confirm it`, { response_id: id });
  const out = await save(deps, r, { confirmed_by: actor, confirmed_at: iso(deps.now()) });
  await log(deps, out, "confirmed", actor, { detail: note ? { note } : {} });
  return out;
}

/** Proposes the action's declared escalation (e.g. quarantine → disable) on the same target, linked to this response. */
export async function escalate(deps: RespondDeps, actor: string, id: string, reason: string): Promise<ResponseRecord> {
  const r = await load(deps, id);
  const next = actionOf(r.action).escalation;
  if (next === undefined) throw new LongwatchError("conflict", `${r.action} declares no stronger action to escalate to`, { response_id: id });
  return propose(deps, actor, { action: next, target: r.target, reason: `${reason} (escalation of ${r.id})`, source: { kind: "person", id: r.id } });
}
