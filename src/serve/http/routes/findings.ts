/** Findings of the latest scan, and suppressions (of findings and of detectors' alerts). */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { FINDING_STATUSES, FindingSchema } from "../../../core/finding.ts";
import { DETECTOR_IDS } from "../../../core/record.ts";
import { SEVERITIES } from "../../../core/severity.ts";
import { suppressAlerts } from "../../../detect/alert-lifecycle.ts";
import { allDetectors } from "../../../detect/detectors/index.ts";
import { allRules, findRule } from "../../../audit/rules/index.ts";
import { suggest } from "../../../certify/suggest.ts";
import { COUNT_CAP, defined, keysetList, memoryList, pageQuery, pageSchema, sortQuery, sortRows } from "../lists.ts";
import { route } from "../route.ts";

// Stored findings carry standards refs the input pattern does not cover (e.g. lower-case catalogue ids), so the answer
// states them as plain strings.
const FindingOut = FindingSchema.extend({ standards: z.array(z.string()).describe("Provisions, e.g. ETSI-EN-303-645:5.1-1.") }).meta({ id: "Finding" });
const SuppressionSchema = z.object({ id: z.number().int(), rule: z.string(), fingerprint: z.string().optional(), device_id: z.string().optional(), reason: z.string(), expires: z.string().optional(), created_at: z.string() }).meta({ id: "Suppression" });
const AlertSuppressionSchema = z.object({ id: z.number().int(), detector: z.string(), device_id: z.string().optional(), key: z.string().optional(), reason: z.string(), expires: z.string().optional(), created_at: z.string() }).meta({ id: "AlertSuppression" });
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/, "is not an ISO 8601 date");
const FINDING_COLUMNS = ["rule", "severity", "device_id", "model_id", "title", "status", "fingerprint", "standards", "devices", "evidence"];

export const findingRoutes = [
  route({
    id: "findings.list",
    method: "GET",
    path: "/api/v1/findings",
    role: "viewer",
    tag: "findings",
    summary: "The latest scan's findings, most severe first, filtered by rule, severity, status, device, model, firmware, group, country and provider; paged in the store, or exported whole (CSV, NDJSON)",
    query: z.object({
      rule: z.string().optional(),
      severity: z.enum(SEVERITIES).optional().describe("At least this severe."),
      status: z.enum(FINDING_STATUSES).optional().describe("fixed findings appear only when asked for."),
      device_id: z.string().optional().describe("Findings about this device (its own, and group findings that list it)."),
      model_id: z.string().optional(),
      firmware_version: z.string().optional().describe("Of devices with this firmware."),
      group: z.string().optional().describe("Of devices in this group."),
      country: z.string().optional().describe("Of devices in this country (ISO 3166-1 alpha-2)."),
      provider: z.string().optional().describe("Of devices on this connectivity provider."),
      sort: z.enum(["severity", "rule", "id"]).default("severity").describe("severity: most severe first; rule; id: recorded order."),
      order: z.enum(["asc", "desc"]).optional(),
      ...pageQuery,
    }),
    response: pageSchema(FindingOut, "Finding"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { page_size: _s, page_token: _t, format: _f, country, ...filter } = ctx.query;
      const q = { ...defined(filter), ...(country !== undefined ? { country: country.toUpperCase() } : {}) };
      return keysetList(ctx, "findings", (token, size, withTotal) => ctx.store.lists.findings({ ...q, page_size: size, total_cap: withTotal ? COUNT_CAP : 0, ...(token !== undefined ? { page_token: token } : {}) }), FINDING_COLUMNS);
    },
  }),
  route({
    id: "suppressions.list",
    method: "GET",
    path: "/api/v1/suppressions",
    role: "viewer",
    tag: "suppressions",
    summary: "Finding suppressions (accepted findings, with why and until when), filtered by rule and device; paged in memory, or exported whole (CSV, NDJSON)",
    query: z.object({
      rule: z.string().max(200).optional(),
      device_id: z.string().max(1024).optional(),
      ...sortQuery(["created", "rule", "expires"], "created (default; oldest first), rule, or expires (soonest first, those that never expire last)."),
      ...pageQuery,
    }),
    response: pageSchema(SuppressionSchema, "Suppression"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { rule, device_id, sort, order = "asc" } = ctx.query;
      // Suppressions are made by hand, one at a time: a few hundred at most, so they are held and paged in memory.
      const rows = (await ctx.store.findings.suppressions()).filter((s) => (rule === undefined || s.rule === rule) && (device_id === undefined || s.device_id === device_id));
      return memoryList(ctx, "suppressions", sortRows(rows, sort === "created" ? "id" : sort, order, "id"), ["id", "rule", "fingerprint", "device_id", "reason", "expires", "created_at"]);
    },
  }),
  route({
    id: "suppressions.create",
    method: "POST",
    path: "/api/v1/suppressions",
    role: "analyst",
    tag: "suppressions",
    summary: "Accept a rule's findings (one finding, one device's, or all) for a stated reason, optionally until a date",
    body: z.object({ rule: z.string().min(1), fingerprint: z.string().optional(), device_id: z.string().optional(), reason: z.string().min(3).max(2000), expires: date.optional() }).strict().meta({ id: "NewSuppression" }),
    status: 201,
    response: SuppressionSchema,
    handler: async (ctx) => {
      // As `longwatch suppress add`: a suppression of a rule that does not exist (a typo) would never match anything.
      if (!findRule(ctx.body.rule)) throw new LongwatchError("invalid_input", `body.rule: no rule ${ctx.body.rule}${suggest(ctx.body.rule, allRules.map((r) => r.id))} (\`longwatch rules\` lists them)`, { errors: [{ field: "body.rule", detail: `unknown: ${ctx.body.rule}` }] });
      return ctx.store.transaction(async (tx) => {
        const s = await tx.findings.addSuppression(defined(ctx.body), new Date(ctx.now).toISOString());
        await ctx.audit({ target_kind: "suppression", target_id: String(s.id), after: s }, tx);
        return s;
      });
    },
  }),
  route({
    id: "suppressions.delete",
    method: "DELETE",
    path: "/api/v1/suppressions/{id}",
    role: "analyst",
    tag: "suppressions",
    summary: "Remove a finding suppression",
    params: z.object({ id: z.coerce.number().int().positive() }),
    status: 204,
    response: z.null(),
    handler: async (ctx) =>
      ctx.store.transaction(async (tx) => {
        const before = (await tx.findings.suppressions()).find((s) => s.id === ctx.params.id);
        if (!before || !(await tx.findings.removeSuppression(ctx.params.id))) throw new LongwatchError("not_found", `no suppression ${ctx.params.id}`);
        await ctx.audit({ target_kind: "suppression", target_id: String(ctx.params.id), before, after: null }, tx);
        return null;
      }),
  }),
  route({
    id: "alert-suppressions.list",
    method: "GET",
    path: "/api/v1/alert-suppressions",
    role: "viewer",
    tag: "suppressions",
    summary: "Detector suppressions (alerts not raised, on a device or for a key, until a date), filtered by detector and device; paged in memory, or exported whole (CSV, NDJSON)",
    query: z.object({
      detector: z.string().max(200).optional(),
      device_id: z.string().max(1024).optional(),
      ...sortQuery(["created", "detector", "expires"], "created (default; oldest first), detector, or expires (soonest first, those that never expire last)."),
      ...pageQuery,
    }),
    response: pageSchema(AlertSuppressionSchema, "AlertSuppression"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { detector, device_id, sort, order = "asc" } = ctx.query;
      // Made by hand like finding suppressions: held and paged in memory.
      const rows = (await ctx.store.alerts.suppressions()).filter((s) => (detector === undefined || s.detector === detector) && (device_id === undefined || s.device_id === device_id));
      return memoryList(ctx, "alert-suppressions", sortRows(rows, sort === "created" ? "id" : sort, order, "id"), ["id", "detector", "device_id", "key", "reason", "expires", "created_at"]);
    },
  }),
  route({
    id: "alert-suppressions.create",
    method: "POST",
    path: "/api/v1/alert-suppressions",
    role: "analyst",
    tag: "suppressions",
    summary: "Stop raising a detector's alerts (on one device, for one key) for a stated reason, optionally until a date",
    body: z.object({ detector: z.enum(DETECTOR_IDS), device_id: z.string().optional(), key: z.string().optional(), reason: z.string().min(3).max(2000), expires: date.optional() }).strict().meta({ id: "NewAlertSuppression" }),
    status: 201,
    response: AlertSuppressionSchema,
    handler: async (ctx) =>
      ctx.store.transaction(async (tx) => {
        const s = await suppressAlerts(tx, defined(ctx.body), new Date(ctx.now).toISOString(), new Set(allDetectors.map((d) => d.id as string)));
        await ctx.audit({ target_kind: "alert-suppression", target_id: String(s.id), after: s }, tx);
        return s;
      }),
  }),
  route({
    id: "alert-suppressions.delete",
    method: "DELETE",
    path: "/api/v1/alert-suppressions/{id}",
    role: "analyst",
    tag: "suppressions",
    summary: "Remove a detector suppression",
    params: z.object({ id: z.coerce.number().int().positive() }),
    status: 204,
    response: z.null(),
    handler: async (ctx) =>
      ctx.store.transaction(async (tx) => {
        const before = (await tx.alerts.suppressions()).find((s) => s.id === ctx.params.id);
        if (!before || !(await tx.alerts.removeSuppression(ctx.params.id))) throw new LongwatchError("not_found", `no alert suppression ${ctx.params.id}`);
        await ctx.audit({ target_kind: "alert-suppression", target_id: String(ctx.params.id), before, after: null }, tx);
        return null;
      }),
  }),
];
