/**
 * Alerts: list (filtered, paged, exported), one alert and its history, and the lifecycle — acknowledge, resolve,
 * reopen, verify, assign, comment — on one alert or many at once (`/alerts/bulk`), through the same library calls
 * as `longwatch alerts` (detect/alert-lifecycle.ts), each change in the audit log with the alert before and after.
 */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { type Alert, ALERT_STATES, AlertSchema, DETECTOR_IDS, VERIFICATIONS } from "../../../core/record.ts";
import { SEVERITIES } from "../../../core/severity.ts";
import { type AlertAction, actOnAlerts } from "../../../detect/alert-lifecycle.ts";
import { COUNT_CAP, defined, keysetList, pageQuery, pageSchema } from "../lists.ts";
import { route, type RouteContext } from "../route.ts";

const AlertOut = AlertSchema.meta({ id: "Alert" });
const ALERT_COLUMNS = ["id", "detector", "device_id", "model_id", "severity", "confidence", "first_seen", "last_seen", "count", "state", "verification", "assignee", "summary"];
const AlertEventSchema = z
  .object({ id: z.number().int(), alert_id: z.string(), at: z.string(), actor: z.string(), action: z.enum(["state", "verification", "assignee", "comment"]), from: z.string().optional(), to: z.string().optional(), comment: z.string().optional() })
  .meta({ id: "AlertEvent" });

const AlertQuery = z.object({
  state: z.enum(ALERT_STATES).optional(),
  detector: z.enum(DETECTOR_IDS).optional(),
  device_id: z.string().optional(),
  model_id: z.string().optional(),
  severity: z.enum(SEVERITIES).optional().describe("At least this severe."),
  verification: z.enum(VERIFICATIONS).optional(),
  assignee: z.string().optional(),
  since: z.string().optional().describe("At or after (ISO 8601), of last_seen (or first_seen with time=first_seen)."),
  until: z.string().optional().describe("Before (ISO 8601)."),
  time: z.enum(["last_seen", "first_seen"]).optional().describe("Which time since/until bound (default last_seen)."),
  sort: z.enum(["last_seen", "first_seen", "severity"]).default("last_seen").describe("Newest (or most severe) first by default."),
  order: z.enum(["asc", "desc"]).optional(),
  ...pageQuery,
});

const Comment = z.string().min(1).max(10_000);
const ActionBody = z.object({ comment: Comment.optional() }).strict().meta({ id: "AlertActionBody" });
const VerifyBody = z.object({ verification: z.enum(VERIFICATIONS), comment: Comment.optional() }).strict().meta({ id: "AlertVerifyBody" });
const AssignBody = z.object({ assignee: z.string().min(1).max(256).nullable().describe("null: to nobody."), comment: Comment.optional() }).strict().meta({ id: "AlertAssignBody" });
const CommentBody = z.object({ comment: Comment }).strict().meta({ id: "AlertCommentBody" });
const BulkBody = z
  .object({
    ids: z.array(z.string().min(1)).min(1).max(10_000),
    action: z.enum(["ack", "resolve", "reopen", "verify", "assign", "comment"]),
    verification: z.enum(VERIFICATIONS).optional(),
    assignee: z.string().min(1).max(256).nullable().optional(),
    comment: Comment.optional(),
  })
  .strict()
  .meta({ id: "AlertBulkBody" });
const BulkResult = z.object({ changed: z.array(AlertOut), missing: z.array(z.string()) }).meta({ id: "AlertBulkResult" });
const IdParam = z.object({ id: z.string().min(1) });

async function change(ctx: RouteContext<unknown, unknown, unknown>, ids: readonly string[], action: AlertAction, comment: string | undefined) {
  return ctx.store.transaction(async (tx) => {
    const before = new Map<string, Alert>();
    for (const id of ids) {
      const a = await tx.alerts.get(id);
      if (a) before.set(id, a);
    }
    const r = await actOnAlerts(tx, ids, action, { actor: ctx.principal.name, at: new Date(ctx.now).toISOString(), ...(comment !== undefined ? { comment } : {}) });
    for (const a of r.changed) await ctx.audit({ action: `alerts.${action.kind}`, target_kind: "alert", target_id: a.id, before: before.get(a.id), after: { ...a, ...(comment !== undefined ? { comment } : {}) } }, tx);
    return r;
  });
}

function one(kind: "ack" | "resolve" | "reopen", summary: string) {
  return route({
    id: `alerts.${kind}`,
    method: "POST",
    path: `/api/v1/alerts/{id}/${kind}`,
    role: "analyst",
    tag: "alerts",
    summary,
    params: IdParam,
    body: ActionBody,
    response: AlertOut,
    handler: async (ctx) => single(await change(ctx, [ctx.params.id], { kind }, ctx.body.comment), ctx.params.id),
  });
}

function single(r: { changed: Alert[]; missing: string[] }, id: string): Alert {
  if (r.missing.length || !r.changed[0]) throw new LongwatchError("not_found", `no alert ${id}`, { alert_id: id });
  return r.changed[0];
}

export const alertRoutes = [
  route({
    id: "alerts.list",
    method: "GET",
    path: "/api/v1/alerts",
    role: "viewer",
    tag: "alerts",
    summary: "Alerts, newest first, filtered by state, detector, device, model, severity, verdict, assignee and time; paged in the store, or exported whole (CSV, NDJSON)",
    query: AlertQuery,
    response: pageSchema(AlertOut, "Alert"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { page_size: _s, page_token: _t, format: _f, ...filter } = ctx.query;
      const q = defined(filter);
      return keysetList(ctx, "alerts", (token, size, withTotal) => ctx.store.lists.alerts({ ...q, page_size: size, total_cap: withTotal ? COUNT_CAP : 0, ...(token !== undefined ? { page_token: token } : {}) }), ALERT_COLUMNS);
    },
  }),
  route({
    id: "alerts.get",
    method: "GET",
    path: "/api/v1/alerts/{id}",
    role: "viewer",
    tag: "alerts",
    summary: "One alert",
    params: IdParam,
    response: AlertOut,
    handler: async (ctx) => {
      const a = await ctx.store.alerts.get(ctx.params.id);
      if (!a) throw new LongwatchError("not_found", `no alert ${ctx.params.id}`, { alert_id: ctx.params.id });
      return a;
    },
  }),
  route({
    id: "alerts.history",
    method: "GET",
    path: "/api/v1/alerts/{id}/history",
    role: "viewer",
    tag: "alerts",
    summary: "Everything people did to an alert, oldest first",
    params: IdParam,
    response: z.object({ items: z.array(AlertEventSchema) }),
    handler: async (ctx) => {
      if (!(await ctx.store.alerts.get(ctx.params.id))) throw new LongwatchError("not_found", `no alert ${ctx.params.id}`, { alert_id: ctx.params.id });
      return { items: await ctx.store.alerts.history(ctx.params.id) };
    },
  }),
  one("ack", "Acknowledge: someone is looking at it"),
  one("resolve", "Resolve: dealt with"),
  one("reopen", "Reopen an acknowledged or resolved alert"),
  route({
    id: "alerts.verify",
    method: "POST",
    path: "/api/v1/alerts/{id}/verify",
    role: "analyst",
    tag: "alerts",
    summary: "Record a verdict (benign_positive teaches the detector)",
    params: IdParam,
    body: VerifyBody,
    response: AlertOut,
    handler: async (ctx) => single(await change(ctx, [ctx.params.id], { kind: "verify", verification: ctx.body.verification }, ctx.body.comment), ctx.params.id),
  }),
  route({
    id: "alerts.assign",
    method: "POST",
    path: "/api/v1/alerts/{id}/assign",
    role: "analyst",
    tag: "alerts",
    summary: "Give an alert to someone (null: to nobody)",
    params: IdParam,
    body: AssignBody,
    response: AlertOut,
    handler: async (ctx) => single(await change(ctx, [ctx.params.id], { kind: "assign", assignee: ctx.body.assignee }, ctx.body.comment), ctx.params.id),
  }),
  route({
    id: "alerts.comment",
    method: "POST",
    path: "/api/v1/alerts/{id}/comment",
    role: "analyst",
    tag: "alerts",
    summary: "Add a comment to an alert's history",
    params: IdParam,
    body: CommentBody,
    response: AlertOut,
    handler: async (ctx) => single(await change(ctx, [ctx.params.id], { kind: "comment" }, ctx.body.comment), ctx.params.id),
  }),
  route({
    id: "alerts.bulk",
    method: "POST",
    path: "/api/v1/alerts/bulk",
    role: "analyst",
    tag: "alerts",
    summary: "One action on many alerts in one transaction (all change or none); ids that name no alert are listed",
    body: BulkBody,
    response: BulkResult,
    handler: async (ctx) => {
      const b = ctx.body;
      let action: AlertAction;
      if (b.action === "verify") {
        if (!b.verification) throw new LongwatchError("invalid_input", "body.verification: verify needs a verification", { errors: [{ field: "body.verification", detail: "required for verify" }] });
        action = { kind: "verify", verification: b.verification };
      } else if (b.action === "assign") {
        if (b.assignee === undefined) throw new LongwatchError("invalid_input", "body.assignee: assign needs an assignee (or null)", { errors: [{ field: "body.assignee", detail: "required for assign" }] });
        action = { kind: "assign", assignee: b.assignee };
      } else action = { kind: b.action };
      return change(ctx, b.ids, action, b.comment);
    },
  }),
];
