/** Lifecycle forecast, saved self-assessments, and what the vulnerability side knows (SBOMs, advisories, feeds). */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { computeForecast, fromStored } from "../../../lifecycle/forecast.ts";
import { loadCryptoPolicy } from "../../../lifecycle/policy.ts";
import { route } from "../route.ts";

const n = z.number().int();
const ForecastRowSchema = z
  .object({ year: n, date: z.string(), devices: n, retired: n, in_field: n, in_support: n, support_unknown: n, valid_identity: n, identity_unknown: n, crypto_allowed: n, crypto_migratable: n, crypto_unknown: n, securable: n, at_risk: n })
  .meta({ id: "ForecastRow" });
const ForecastBody = z.object({ as_of: z.string(), until: n, policy_version: z.string(), devices: n, devices_without_retirement: n, rows: z.array(ForecastRowSchema) });
const ForecastSchema = ForecastBody.extend({
  from_scan: z
    .object({ scan_id: n, computed_at: z.string(), stale: z.boolean().describe("Devices were imported after that scan: the next scan brings it up to date.") })
    .optional()
    .describe("Present when the forecast is the one the latest scan tallied as it audited the fleet (as of its date), not computed for this request."),
}).meta({ id: "Forecast" });
const AssessmentInfo = z.object({ id: n, model_id: z.string(), standard: z.string(), created_at: z.string() }).meta({ id: "AssessmentInfo" });
const VulnStatus = z
  .object({
    counts: z.object({ sboms: n, components: n, advisories: n, affected: n, kev: n, epss: n, vex: n }),
    feeds: z.array(z.object({ kind: z.string(), source: z.string(), imported_at: z.string(), detail: z.record(z.string(), z.unknown()) })).describe("Feed imports, oldest first."),
  })
  .meta({ id: "VulnerabilityStatus" });

export const insightRoutes = [
  route({
    id: "forecast.get",
    method: "GET",
    path: "/api/v1/forecast",
    role: "viewer",
    tag: "forecast",
    summary: "Year by year until `until`: devices in the field, in support, with valid identity, allowed crypto, securable",
    description: "Answered from the forecast the latest scan stored (`from_scan`) when it was made this year and reaches `until`; otherwise computed over every device for this request, which takes seconds on a large fleet.",
    query: z.object({ until: z.coerce.number().int().min(2000).max(2100).optional().describe("Last year (default: 15 years from now).") }),
    response: ForecastSchema,
    handler: async (ctx) => {
      const year = new Date(ctx.now).getUTCFullYear();
      const until = ctx.query.until ?? year + 15;
      if (until < year) throw new LongwatchError("usage", `until ${until} is before the current year ${year}`, { field: "query.until" });
      const policy = loadCryptoPolicy();
      const stored = await ctx.store.findings.latestForecast();
      const parsed = stored ? ForecastBody.safeParse(stored.doc) : undefined;
      const cut = parsed?.success ? fromStored(parsed.data, { now: ctx.now, until, policyVersion: policy.version }) : undefined;
      if (cut && stored) return { ...cut, from_scan: { scan_id: stored.scan_id, computed_at: stored.computed_at, stale: stored.stale } };
      return computeForecast(ctx.store, { now: ctx.now, until, policy });
    },
  }),
  route({
    id: "assessments.list",
    method: "GET",
    path: "/api/v1/assessments",
    role: "viewer",
    tag: "assessments",
    summary: "Saved self-assessments (`longwatch certify`), newest first",
    query: z.object({ model_id: z.string().optional(), standard: z.string().optional(), page_size: z.coerce.number().int().min(1).max(1000).default(100) }),
    response: z.object({ items: z.array(AssessmentInfo) }),
    handler: async (ctx) => ({ items: await ctx.store.assessments.list({ ...(ctx.query.model_id ? { model_id: ctx.query.model_id } : {}), ...(ctx.query.standard ? { standard: ctx.query.standard } : {}), limit: ctx.query.page_size }) }),
  }),
  route({
    id: "assessments.get",
    method: "GET",
    path: "/api/v1/assessments/{id}",
    role: "viewer",
    tag: "assessments",
    summary: "One saved self-assessment: the whole document, verdict per provision with evidence",
    params: z.object({ id: z.coerce.number().int().positive() }),
    response: AssessmentInfo.extend({ doc: z.unknown() }).meta({ id: "Assessment" }),
    handler: async (ctx) => {
      const a = await ctx.store.assessments.get(ctx.params.id);
      if (!a) throw new LongwatchError("not_found", `no assessment ${ctx.params.id}`);
      return a;
    },
  }),
  route({
    id: "vulnerabilities.status",
    method: "GET",
    path: "/api/v1/vulnerabilities/status",
    role: "viewer",
    tag: "vulnerabilities",
    summary: "What is loaded: SBOMs, components, advisories, KEV, EPSS, VEX statements, and each feed import",
    response: VulnStatus,
    handler: async (ctx) => ({ counts: await ctx.store.vulns.counts(), feeds: await ctx.store.vulns.feedImports() }),
  }),
];
