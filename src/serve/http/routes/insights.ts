/** Lifecycle forecast, saved self-assessments, and what the vulnerability side knows (SBOMs, advisories, feeds). */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { computeForecast, fromStored, SCAN_FORECAST_YEARS } from "../../../lifecycle/forecast.ts";
import { loadCryptoPolicy } from "../../../lifecycle/policy.ts";
import { COUNT_CAP, defined, memoryList, memoryPage, pageQuery, pageSchema, sortQuery, sortRows } from "../lists.ts";
import { route, type RouteContext } from "../route.ts";

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
const ModelForecastRow = z
  .object({
    model_id: z.string().nullable().describe("null: devices without a model."),
    in_field: n,
    retired: n,
    securable: n,
    at_risk: n,
    failing: z.object({ support: n, identity: n, crypto: n }).describe("Devices in the field known to fail each criterion (a device can fail several)."),
    unknown: z.object({ support: n, identity: n, crypto: n }).describe("Devices in the field whose support end, certificate or crypto is not known."),
  })
  .meta({ id: "ModelForecastRow" });
const StoredBody = ForecastBody.extend({ by_model: z.array(z.object({ model_id: z.string().nullable(), rows: z.array(ForecastRowSchema) })).optional() });
type StoredBody = z.infer<typeof StoredBody>;
type FromScan = z.infer<typeof ForecastSchema>["from_scan"];

/**
 * The forecast the latest scan stored, when it answers for this year, `until` and the shipped policy (and, with
 * `byModel`, has the per-model rows); otherwise one computed over every device for this request.
 */
async function forecastFor(ctx: RouteContext<unknown, unknown, unknown>, until: number, byModel: boolean): Promise<{ forecast: StoredBody; from_scan?: FromScan }> {
  const policy = loadCryptoPolicy();
  const stored = await ctx.store.findings.latestForecast();
  const parsed = stored ? StoredBody.safeParse(stored.doc) : undefined;
  const cut = parsed?.success && (!byModel || parsed.data.by_model) ? fromStored(parsed.data, { now: ctx.now, until, policyVersion: policy.version }) : undefined;
  if (cut && stored) return { forecast: byModel ? { ...cut, by_model: parsed!.data!.by_model! } : cut, from_scan: { scan_id: stored.scan_id, computed_at: stored.computed_at, stale: stored.stale } };
  return { forecast: await computeForecast(ctx.store, { now: ctx.now, until, policy, byModel }) };
}

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
      const { forecast, from_scan } = await forecastFor(ctx, until, false);
      return { ...forecast, ...(from_scan ? { from_scan } : {}) };
    },
  }),
  route({
    id: "forecast.models",
    method: "GET",
    path: "/api/v1/forecast/models",
    role: "viewer",
    tag: "forecast",
    summary: "One year of the forecast per device model: in the field, securable, at risk, and how many fail (or are unknown on) support, identity and crypto; most at risk first, paged",
    description: "From the per-model rows the latest scan stored with its forecast (`from_scan`), like GET /api/v1/forecast; computed over every device when there are none.",
    query: z.object({
      year: z.coerce.number().int().min(2000).max(2100).optional().describe("The year (default: this year, as of the forecast's date)."),
      sort: z.enum(["at_risk", "model_id"]).default("at_risk"),
      page_size: pageQuery.page_size,
      page_token: pageQuery.page_token,
    }),
    response: z
      .object({ year: n, date: z.string(), from_scan: ForecastSchema.shape.from_scan, items: z.array(ModelForecastRow), next_page_token: z.string().nullable(), total: z.object({ count: n, type: z.literal("exact") }) })
      .meta({ id: "ModelForecastPage" }),
    handler: async (ctx) => {
      const first = new Date(ctx.now).getUTCFullYear();
      const year = ctx.query.year ?? first;
      if (year < first || year > first + SCAN_FORECAST_YEARS) throw new LongwatchError("usage", `year ${year} is not between ${first} and ${first + SCAN_FORECAST_YEARS}`, { field: "query.year" });
      // Up to the year asked for only: a forecast computed for this request need not count the years after it.
      const { forecast, from_scan } = await forecastFor(ctx, year, true);
      const i = year - first;
      const rows = (forecast.by_model ?? []).map((m) => {
        const r = m.rows[i]!;
        return {
          model_id: m.model_id,
          in_field: r.in_field,
          retired: r.retired,
          securable: r.securable,
          at_risk: r.at_risk,
          failing: { support: r.in_field - r.in_support - r.support_unknown, identity: r.in_field - r.valid_identity - r.identity_unknown, crypto: r.in_field - r.crypto_allowed - r.crypto_migratable - r.crypto_unknown },
          unknown: { support: r.support_unknown, identity: r.identity_unknown, crypto: r.crypto_unknown },
        };
      });
      const name = (m: { model_id: string | null }) => m.model_id ?? "";
      rows.sort((a, b) => (ctx.query.sort === "at_risk" ? b.at_risk - a.at_risk : 0) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
      const page = memoryPage(`forecast-models:${year}:${ctx.query.sort}`, ctx.query.page_token, ctx.query.page_size, rows, false);
      return { year, date: forecast.rows[i]!.date, ...(from_scan ? { from_scan } : {}), items: page.items, next_page_token: page.next_page_token, total: { count: page.total.count, type: "exact" as const } };
    },
  }),
  route({
    id: "assessments.list",
    method: "GET",
    path: "/api/v1/assessments",
    role: "viewer",
    tag: "assessments",
    summary: "Saved self-assessments (`longwatch certify`), newest first, filtered by model and standard; the newest 10,000 that match, paged in memory, or exported whole (CSV, NDJSON)",
    query: z.object({
      model_id: z.string().max(1024).optional(),
      standard: z.string().max(200).optional().describe("Catalogue key, e.g. etsi-en-303-645-v3.1.3."),
      ...sortQuery(["created", "model_id", "standard"], "created (default; newest first), model_id or standard."),
      ...pageQuery,
    }),
    response: pageSchema(AssessmentInfo, "AssessmentInfo"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { model_id, standard, sort, order = sort === "created" ? "desc" : "asc" } = ctx.query;
      // Filtered in the store, newest first, without their documents; held up to the count cap, `at_least` beyond.
      const rows = await ctx.store.assessments.list({ ...defined({ model_id, standard }), limit: COUNT_CAP + 1 });
      const capped = rows.length > COUNT_CAP;
      const held = capped ? rows.slice(0, COUNT_CAP) : rows;
      return memoryList(ctx, "assessments", sort === "created" && order === "desc" ? held : sortRows(held, sort === "created" ? "id" : sort, order, "id"), ["id", "model_id", "standard", "created_at"], capped);
    },
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
