/**
 * Respond and what-if for the responder role: the same library calls as `longwatch respond` and `longwatch whatif`
 * (respond/engine.ts, whatif/), with the caller as the actor, so four eyes, dry runs by default, verification and the
 * hash-chained log hold for the API exactly as for the CLI. Every change is also in the service's audit log.
 * The stored what-if ranking is the exception: read-only counts for every viewer (whatif/stored.ts).
 */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { RESPONSE_STATES, TARGET_KINDS } from "../../../core/response.ts";
import { allActions } from "../../../respond/actions/index.ts";
import type { RespondDeps } from "../../../respond/context.ts";
import { pause, pauseState, resume } from "../../../respond/automatic.ts";
import { apply, approve, confirm, escalate, propose, reject, reverse, verify } from "../../../respond/engine.ts";
import { verifyLog } from "../../../respond/log.ts";
import { RespondSettingsSchema } from "../../../respond/settings.ts";
import type { StoreTx } from "../../../store/store.ts";
import { compromise } from "../../../whatif/compromise.ts";
import { RANKABLE_KINDS, RANKED_KINDS, rankAll, type RankableKind } from "../../../whatif/rank.ts";
import { STORED_PER_KIND, storedRanking } from "../../../whatif/stored.ts";
import { COUNT_CAP, defined, memoryList, pageQuery, pageSchema, sortQuery, sortRows } from "../lists.ts";
import { route, type RouteContext } from "../route.ts";

const doc = z.record(z.string(), z.unknown());
const Plan = z.object({ summary: z.string(), before: doc.nullable(), after: doc, noop: z.boolean(), warnings: z.array(z.string()) }).meta({ id: "ActionPlan" });
const Target = z.object({ kind: z.enum(TARGET_KINDS), id: z.string().min(1).max(1024) }).strict().meta({ id: "ResponseTarget" });
const ResponseOut = z
  .looseObject({ id: z.string(), action: z.string(), target: Target, params: doc, state: z.enum(RESPONSE_STATES), mode: z.enum(["manual", "automatic"]), reversible: z.boolean(), reason: z.string(), proposer: z.string(), proposed_at: z.string(), idempotency_key: z.string(), plan: Plan, warnings: z.array(z.string()), version: z.number().int() })
  .meta({ id: "Response" });
const ActionOut = z.object({ id: z.string(), title: z.string(), target: z.enum(TARGET_KINDS), reversible: z.boolean(), description: z.string(), escalation: z.string().optional() }).meta({ id: "ResponseAction" });
const RankedNodeOut = z.object({ kind: z.string(), target: z.string(), label: z.string(), devices: z.number(), share: z.number() });
const IdParam = z.object({ id: z.string().min(1).max(200) });
const Note = z.object({ note: z.string().min(1).max(10_000).optional() }).strict();
const Reason = z.object({ reason: z.string().min(1).max(10_000) }).strict();

/** `?kinds=ca,credential`: each one a rankable kind. */
function rankableKinds(text: string): RankableKind[] {
  const kinds = text.split(",").map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) if (!(RANKABLE_KINDS as readonly string[]).includes(k)) throw new LongwatchError("invalid_input", `kinds: "${k}" is not one of ${RANKABLE_KINDS.join(", ")}`, { field: "kinds" });
  return kinds as RankableKind[];
}

const AutomaticOut = z
  .object({
    enabled: z.boolean().describe("respond.automatic.enabled: whether automatic playbooks may apply at all"),
    paused: z.boolean(),
    paused_by: z.string().optional(),
    paused_at: z.string().optional(),
    reason: z.string().optional(),
    budget: z.object({ devices: z.number().int(), per_seconds: z.number(), used: z.number().int().describe("Devices changed automatically in the last per_seconds") }),
    ttl_seconds: z.number(),
    sweep_every_seconds: z.number(),
    playbooks: z.array(z.object({ name: z.string(), mode: z.enum(["propose", "automatic"]), action: z.string(), detector: z.array(z.string()).optional(), rule: z.array(z.string()).optional(), severity: z.string() })),
  })
  .meta({ id: "AutomaticResponse" });

/** The pause switch, the budget used and the playbooks, as `longwatch respond status` shows them. */
async function automaticStatus(d: RespondDeps): Promise<z.infer<typeof AutomaticOut>> {
  const p = await pauseState(d);
  const a = d.settings.automatic;
  const used = await d.store.responses.automaticTargetsSince(new Date(d.now() - a.budget.per).toISOString());
  return {
    enabled: a.enabled,
    paused: p.paused,
    ...(p.by ? { paused_by: p.by } : {}),
    ...(p.at ? { paused_at: p.at } : {}),
    ...(p.reason ? { reason: p.reason } : {}),
    budget: { devices: a.budget.devices, per_seconds: a.budget.per / 1000, used },
    ttl_seconds: a.ttl / 1000,
    sweep_every_seconds: a.sweep_every / 1000,
    playbooks: d.settings.playbooks.map((x) => ({ name: x.name, mode: x.mode, action: x.action, ...(x.when.detector ? { detector: x.when.detector } : {}), ...(x.when.rule ? { rule: x.when.rule } : {}), severity: x.when.severity })),
  };
}

function deps(ctx: RouteContext<unknown, unknown, unknown>, store: StoreTx = ctx.store): RespondDeps {
  return { store, settings: ctx.deps.respond ?? RespondSettingsSchema.parse({}), env: process.env, now: () => ctx.now };
}

/** One state change: the library call in a transaction, audited with the response before and after. */
function transition<B>(id: string, path: string, summary: string, body: z.ZodType<B>, call: (d: RespondDeps, actor: string, rid: string, body: B) => Promise<unknown>) {
  return route({
    id,
    method: "POST",
    path,
    role: "responder",
    tag: "respond",
    summary,
    params: IdParam,
    body,
    response: z.unknown(),
    handler: async (ctx) => {
      const before = await ctx.store.responses.get(ctx.params.id);
      const out = await call(deps(ctx), ctx.principal.name, ctx.params.id, ctx.body);
      await ctx.audit({ target_kind: "response", target_id: ctx.params.id, before, after: out });
      return out;
    },
  });
}

export const respondRoutes = [
  route({ id: "respond.actions", method: "GET", path: "/api/v1/respond/actions", role: "responder", tag: "respond", summary: "The actions Longwatch can take, what they act on and whether they can be undone", response: z.array(ActionOut), handler: async () => allActions.map(({ id, title, target, reversible, description, escalation }) => ({ id, title, target, reversible, description, ...(escalation ? { escalation } : {}) })) }),
  route({
    id: "responses.list",
    method: "GET",
    path: "/api/v1/responses",
    role: "responder",
    tag: "respond",
    summary: "Responses, newest first, filtered by state, action and target; the newest 10,000 that match, paged in memory, or exported whole (CSV, NDJSON)",
    query: z.object({
      state: z.enum(RESPONSE_STATES).optional(),
      action: z.string().max(200).optional(),
      target_id: z.string().max(1024).optional(),
      ...sortQuery(["proposed_at", "action", "state"], "proposed_at (default; newest first), action, or state."),
      ...pageQuery,
    }),
    response: pageSchema(ResponseOut, "Response"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { state, action, target_id, sort, order = sort === "proposed_at" ? "desc" : "asc" } = ctx.query;
      // Filtered in the store, newest first; held in memory up to the count cap, and said to be at least that many
      // beyond it (the older ones are reached by filtering, e.g. by target_id).
      const rows = await ctx.store.responses.list({ ...defined({ state, action, target_id }), limit: COUNT_CAP + 1 });
      const capped = rows.length > COUNT_CAP;
      const held = capped ? rows.slice(0, COUNT_CAP) : rows;
      return memoryList(ctx, "responses", sort === "proposed_at" && order === "desc" ? held : sortRows(held, sort, order, "id"), ["id", "action", "target", "state", "mode", "reversible", "reason", "proposer", "proposed_at", "approver", "applied_at", "version"], capped);
    },
  }),
  route({
    id: "responses.get",
    method: "GET",
    path: "/api/v1/responses/{id}",
    role: "responder",
    tag: "respond",
    summary: "One response",
    params: IdParam,
    response: ResponseOut,
    handler: async (ctx) => {
      const r = await ctx.store.responses.get(ctx.params.id);
      if (!r) throw new LongwatchError("not_found", `no response ${ctx.params.id}`, { response_id: ctx.params.id });
      return r;
    },
  }),
  route({
    id: "responses.propose",
    method: "POST",
    path: "/api/v1/responses",
    role: "responder",
    tag: "respond",
    summary: "Propose an action on a target; the answer shows what it would change (nothing changes yet)",
    body: z.object({ action: z.string().min(1), target: Target, params: doc.optional(), reason: z.string().min(1).max(10_000), offline: z.boolean().optional() }).strict().meta({ id: "ResponseProposal" }),
    response: ResponseOut,
    status: 201,
    handler: async (ctx) => {
      const r = await propose(deps(ctx), ctx.principal.name, { action: ctx.body.action, target: ctx.body.target, params: ctx.body.params ?? {}, reason: ctx.body.reason, ...(ctx.body.offline ? { offline: true } : {}) });
      await ctx.audit({ target_kind: "response", target_id: r.id, after: r });
      return r;
    },
  }),
  transition("responses.approve", "/api/v1/responses/{id}/approve", "Approve someone else's proposal (four eyes); the approval expires", Note, (d, a, id, b) => approve(d, a, id, b.note)),
  transition("responses.reject", "/api/v1/responses/{id}/reject", "Reject a proposal", Reason, (d, a, id, b) => reject(d, a, id, b.reason)),
  transition("responses.apply", "/api/v1/responses/{id}/apply", "Apply (with execute: true) or dry-run (the default) an approved response; applying verifies at once", z.object({ execute: z.boolean().default(false) }).strict(), (d, a, id, b) => apply(d, a, id, { execute: b.execute })),
  transition("responses.verify", "/api/v1/responses/{id}/verify", "Read the result back from the system that holds it", z.object({}).strict(), (d, a, id) => verify(d, a, id)),
  transition("responses.reverse", "/api/v1/responses/{id}/reverse", "Undo a reversible response", z.object({ reason: z.string().max(10_000).optional() }).strict(), (d, a, id, b) => reverse(d, a, id, b.reason)),
  transition("responses.confirm", "/api/v1/responses/{id}/confirm", "Keep an automatic response: its time-to-live no longer reverses it", Note, (d, a, id, b) => confirm(d, a, id, b.note)),
  transition("responses.escalate", "/api/v1/responses/{id}/escalate", "Propose the stronger action the response's action declares, on the same target", Reason, (d, a, id, b) => escalate(d, a, id, b.reason)),
  route({ id: "respond.automatic", method: "GET", path: "/api/v1/respond/automatic", role: "responder", tag: "respond", summary: "Automatic response: on, off or paused (by whom, why), the budget used, the time-to-live and the playbooks", response: AutomaticOut, handler: async (ctx) => automaticStatus(deps(ctx)) }),
  route({
    id: "respond.pause",
    method: "POST",
    path: "/api/v1/respond/automatic/pause",
    role: "responder",
    tag: "respond",
    summary: "Pause every automatic response at once: no playbook applies and no time-to-live reverses anything until resumed (people can still act)",
    body: Reason,
    response: AutomaticOut,
    handler: async (ctx) => {
      const d = deps(ctx);
      const before = await pauseState(d);
      await pause(d, ctx.principal.name, ctx.body.reason);
      const out = await automaticStatus(d);
      await ctx.audit({ target_kind: "respond", target_id: "automatic", before, after: { paused: true, reason: ctx.body.reason } });
      return out;
    },
  }),
  route({
    id: "respond.resume",
    method: "POST",
    path: "/api/v1/respond/automatic/resume",
    role: "responder",
    tag: "respond",
    summary: "Let automatic response run again (responses whose time-to-live ran out meanwhile are reversed at the next sweep)",
    body: z.object({}).strict(),
    response: AutomaticOut,
    handler: async (ctx) => {
      const d = deps(ctx);
      const before = await pauseState(d);
      await resume(d, ctx.principal.name);
      const out = await automaticStatus(d);
      await ctx.audit({ target_kind: "respond", target_id: "automatic", before, after: { paused: false } });
      return out;
    },
  }),
  route({
    id: "respond.log",
    method: "GET",
    path: "/api/v1/respond/log",
    role: "responder",
    tag: "respond",
    summary: "The hash-chained response log, checked: whether the chain holds, and its entries",
    query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(1000) }),
    response: z.object({ verification: z.unknown(), entries: z.array(doc) }),
    handler: async (ctx) => {
      const entries: Record<string, unknown>[] = [];
      for await (const page of ctx.store.responses.log(1000)) {
        for (const e of page) if (entries.length < ctx.query.limit) entries.push(e as unknown as Record<string, unknown>);
      }
      return { verification: await verifyLog(ctx.store.responses), entries };
    },
  }),
  route({
    id: "whatif.compromise",
    method: "GET",
    path: "/api/v1/whatif/compromise",
    role: "responder",
    tag: "whatif",
    summary: "What falls if a target is compromised: devices by model, group and country, data, remote recovery, the response plan (dry run) and time to remediate",
    query: z.object({ target: z.string().min(3).max(2048).describe("ca:SHA256, cert:SHA256, firmware:MODEL@VERSION, component:PURL, credential:DEVICE/SERVICE/USERNAME, endpoint:HOST[:PORT], model:ID, provider:APN|MCCMNC"), sample: z.coerce.number().int().min(0).max(100).default(3), devices: z.enum(["true", "false"]).default("false") }),
    response: z.looseObject({ target: z.string(), fleet_devices: z.number(), affected: z.looseObject({ devices: z.number(), share: z.number() }) }).meta({ id: "CompromiseReport" }),
    handler: async (ctx) => compromise(deps(ctx), ctx.query.target, { sample: ctx.query.sample, devices: ctx.query.devices === "true" }),
  }),
  route({
    id: "whatif.stored",
    method: "GET",
    path: "/api/v1/whatif/ranking/stored",
    // Read-only and counts only (no secret, nothing computed on the request): the same nodes single-point-of-compromise
    // findings show every viewer, so the overview can show it to everyone.
    role: "viewer",
    tag: "whatif",
    summary: "The stored what-if ranking: the largest blast radius of every CA, credential, firmware image, component and endpoint, as `whatif --all` or the last scan job ranked it",
    description: "Read from the store, never computed on the request: `longwatch whatif --all` and every scan job (POST /api/v1/scans) store it. `computed_at` is null until one has run; `stale` is true when devices were imported since.",
    query: z.object({ kinds: z.string().optional().describe(`Comma-separated: ${RANKABLE_KINDS.join(", ")} (default ${RANKED_KINDS.join(",")}).`), limit: z.coerce.number().int().min(1).max(STORED_PER_KIND).default(25) }),
    response: z
      .object({
        computed_at: z.string().nullable().describe("When the oldest of the kinds read was ranked; null when none has been."),
        stale: z.boolean().describe("Devices were imported after computed_at."),
        fleet_devices: z.number().int().nullable(),
        kinds: z.array(z.object({ kind: z.string(), computed_at: z.string(), fleet_devices: z.number().int(), counted: z.number().int(), source: z.string() })),
        missing: z.array(z.string()).describe("Kinds asked for that were never ranked."),
        nodes: z.array(RankedNodeOut),
        counted: z.record(z.string(), z.number()),
      })
      .meta({ id: "StoredWhatifRanking" }),
    handler: async (ctx) => storedRanking(ctx.store, { limit: ctx.query.limit, ...(ctx.query.kinds !== undefined ? { kinds: rankableKinds(ctx.query.kinds) } : {}) }),
  }),
  route({
    id: "whatif.rank",
    method: "GET",
    path: "/api/v1/whatif/ranking",
    role: "responder",
    tag: "whatif",
    summary: "The largest blast radius of every CA, credential, firmware image, component and endpoint",
    query: z.object({ kinds: z.string().optional().describe(`Comma-separated: ${RANKABLE_KINDS.join(", ")}.`), limit: z.coerce.number().int().min(1).max(100_000).default(25) }),
    response: z.object({ fleet_devices: z.number(), nodes: z.array(RankedNodeOut), counted: z.record(z.string(), z.number()) }).meta({ id: "WhatifRanking" }),
    handler: async (ctx) => rankAll(ctx.store, { limit: ctx.query.limit, perKind: ctx.query.limit, ...(ctx.query.kinds !== undefined ? { kinds: rankableKinds(ctx.query.kinds) } : {}) }),
  }),
];
