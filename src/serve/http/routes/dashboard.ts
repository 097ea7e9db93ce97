/**
 * What the dashboard's overview and inboxes need beyond the resource lists: the overview counts (with coverage), the
 * findings grouped by rule in distinct devices, and a server-sent event stream of new and changed alerts. The stream
 * reads the store, so alerts written by any process — a CLI `detect`, the ingest pipeline, scale-out workers on a
 * shared PostgreSQL — reach every open dashboard.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { FINDING_STATUSES } from "../../../core/finding.ts";
import type { Alert } from "../../../core/record.ts";
import { SEVERITIES } from "../../../core/severity.ts";
import { allRules } from "../../../audit/rules/index.ts";
import { defined, memoryList, pageQuery, pageSchema } from "../lists.ts";
import { route, StreamReply } from "../route.ts";

/** A rule's short name, for groups stored without one (scans recorded before titles were kept per rule). */
const RULE_TITLES = new Map(allRules.map((r) => [r.id, r.title]));
function titled<G extends { rule: string; title?: string }>(g: G): G {
  return g.title ? g : { ...g, ...(RULE_TITLES.has(g.rule) ? { title: RULE_TITLES.get(g.rule)! } : {}) };
}

const SeverityCounts = z.partialRecord(z.enum(SEVERITIES), z.number().int().min(0));
const FindingGroupSchema = z
  .object({
    rule: z.string(),
    severity: z.enum(SEVERITIES).describe("The most severe of the rule's findings."),
    title: z.string().optional().describe("Absent for scans recorded before titles were kept per rule."),
    findings: z.number().int(),
    devices: z.number().int().describe("Distinct devices the rule's findings touch; with `devices_at_least`, at least this many (the largest `reach`), never 0 for a rule whose findings reach devices."),
    devices_at_least: z.literal(true).optional().describe("Present when `devices` is a lower bound: some findings say how many devices they reach without listing them (single-point-of-compromise), and they may overlap."),
    reach: z.number().int().optional().describe("The largest reach of the rule's findings that list no devices (absent when every finding lists its devices)."),
    new: z.number().int(),
    suppressed: z.number().int(),
  })
  .meta({ id: "FindingGroup" });
const CoverageSchema = z
  .object({
    devices: z.number().int(),
    no_firmware_inventory: z.number().int().describe("Devices whose firmware has no component inventory: vulnerable components cannot be found."),
    no_certificate: z.number().int(),
    no_credentials: z.number().int(),
    no_traffic: z.number().int().describe("Devices detection has seen nothing from."),
  })
  .meta({ id: "Coverage", description: "What Longwatch cannot see: a missing finding is not a clean result." });
const OverviewSchema = z
  .object({
    devices: z.number().int(),
    securable_today: z.number().int().describe("Devices with no open finding that means they cannot be kept secure now (support ended, no OTA, expired identity)."),
    latest_scan: z.object({ id: z.number().int(), started_at: z.string(), finished_at: z.string().optional(), rules: z.array(z.string()), counts: SeverityCounts }).optional(),
    open_findings: SeverityCounts,
    open_alerts: SeverityCounts,
    top_problems: z.array(FindingGroupSchema),
    coverage: CoverageSchema,
  })
  .meta({ id: "Overview" });

const TrendsSchema = z
  .object({
    since: z.string().describe("First day counted (UTC midnight)."),
    until: z.string().describe("The day after the last day counted."),
    alerts_per_day: z.array(z.object({ day: z.string(), raised: z.number().int(), high: z.number().int().describe("Of them, high or critical.") })),
    scans: z.array(z.object({ id: z.number().int(), at: z.string(), counts: SeverityCounts })).describe("The last 30 finished scans, oldest first, with their findings by severity."),
  })
  .meta({ id: "Trends" });

/**
 * For each detector, the evidence fields that hold what was measured and the baseline it was compared with (by the
 * detectors' own naming), so the alert page can draw the measure against the baseline without knowing detectors.
 */
const MEASURES: { value: string; baseline?: string; high?: string; unit: (e: Record<string, unknown>) => string }[] = [
  { value: "observed", baseline: "expected", high: "usual_high", unit: (e) => `${String(e["metric"] ?? "value")} per ${String(e["window_minutes"] ?? "?")} min` },
  { value: "packets", baseline: "usual_peak_packets", unit: (e) => `packets per ${String(e["window_seconds"] ?? "?")} s` },
  { value: "count", baseline: "usual_per_window", unit: (e) => `events per ${String(e["window_seconds"] ?? "?")} s` },
  { value: "silence_seconds", baseline: "usual_interval_seconds", unit: () => "seconds without a report" },
  { value: "kmh", high: "max_kmh", unit: () => "km/h between two sightings" },
  { value: "distinct_addresses_estimate", unit: () => "addresses probed" },
  { value: "contacts", unit: () => "contacts" },
];
const numberOf = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

const SeriesSchema = z
  .object({
    measure: z.string().nullable().describe("The evidence field drawn (null: the detector reports no number; occurrences are counted)."),
    unit: z.string(),
    baseline: z.number().nullable().describe("What the device usually does (its learned expectation)."),
    high: z.number().nullable().describe("The usual upper bound (or the limit) above which it alerts."),
    ratio: z.number().nullable().describe("This alert's value over the baseline."),
    points: z.array(z.object({ alert_id: z.string(), at: z.string(), value: z.number(), record: z.string().optional().describe("The record that raised it (file:line).") })).describe("This alert and the device's earlier alerts of the same detector in the 30 days before, oldest first."),
  })
  .meta({ id: "AlertSeries" });

/** How often the event stream looks for changed alerts, and how often it sends a keep-alive comment. */
const POLL_MS = 2_000;
const KEEPALIVE_MS = 15_000;
/** How many of the newest alerts each look compares. */
const WINDOW = 500;

export const dashboardRoutes = [
  route({
    id: "overview.get",
    method: "GET",
    path: "/api/v1/overview",
    role: "viewer",
    tag: "overview",
    summary: "The fleet at a glance: devices, securable today, open findings and alerts by severity, top problems in distinct devices, coverage",
    response: OverviewSchema,
    handler: async (ctx) => {
      const [overview, coverage] = await Promise.all([ctx.store.lists.overview(), ctx.store.lists.coverage()]);
      return { ...overview, top_problems: overview.top_problems.map(titled), coverage };
    },
  }),
  route({
    id: "findings.groups",
    method: "GET",
    path: "/api/v1/findings/groups",
    role: "viewer",
    tag: "findings",
    summary: "The latest scan's open findings, one row per rule, ordered by the distinct devices it affects",
    query: z.object({
      rule: z.string().optional(),
      severity: z.enum(SEVERITIES).optional().describe("At least this severe."),
      model_id: z.string().optional(),
      status: z.enum(FINDING_STATUSES).optional().describe("Only findings of this status (default: every status but fixed)."),
      ...pageQuery,
    }),
    response: pageSchema(FindingGroupSchema, "FindingGroup"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { page_size: _s, page_token: _t, format: _f, ...filter } = ctx.query;
      // One row per rule: a few dozen, paged in memory.
      const items = (await ctx.store.lists.findingGroups(defined(filter))).map(titled);
      return memoryList(ctx, "finding-groups", items, ["rule", "severity", "title", "findings", "devices", "devices_at_least", "reach", "new", "suppressed"]);
    },
  }),
  route({
    id: "overview.trends",
    method: "GET",
    path: "/api/v1/overview/trends",
    role: "viewer",
    tag: "overview",
    summary: "Trends over time: alerts raised per day (all, and high or critical) and the last 30 scans' findings by severity",
    description: "Days end at `until` (default: the day after the newest alert, or today); the days are counted in one pass over the alerts' (first_seen, severity) index, so the answer stays fast on a large store.",
    query: z.object({
      days: z.coerce.number().int().min(1).max(90).default(30),
      until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "is not a date (YYYY-MM-DD)").optional().describe("The day after the last day counted."),
    }),
    response: TrendsSchema,
    handler: async (ctx) => {
      const DAY = 86_400_000;
      let end: number;
      if (ctx.query.until) end = Date.parse(`${ctx.query.until}T00:00:00Z`);
      else {
        const [newest] = (await ctx.store.lists.alerts({ sort: "first_seen", order: "desc", page_size: 1, total_cap: 0 })).items;
        const last = newest ? Math.min(Date.parse(newest.first_seen), ctx.now) : ctx.now;
        end = Math.floor(last / DAY) * DAY + DAY;
      }
      const start = end - ctx.query.days * DAY;
      const iso = (t: number) => new Date(t).toISOString();
      const counted = new Map((await ctx.store.lists.alertsPerDay({ since: iso(start), until: iso(end) })).map((d) => [d.day, d]));
      const alerts_per_day = [];
      for (let t = start; t < end; t += DAY) {
        const day = iso(t).slice(0, 10);
        alerts_per_day.push({ day, raised: counted.get(day)?.raised ?? 0, high: counted.get(day)?.high ?? 0 });
      }
      // The last 30 audits whenever they ran: a fleet is audited on its own schedule, not on the alerts' days.
      const scans = (await ctx.store.lists.scans({ page_size: 30, total_cap: 0 })).items.reverse().map((s) => ({ id: s.id, at: s.finished_at ?? s.started_at, counts: s.counts }));
      return { since: iso(start), until: iso(end), alerts_per_day, scans };
    },
  }),
  route({
    id: "alerts.series",
    method: "GET",
    path: "/api/v1/alerts/{id}/series",
    role: "viewer",
    tag: "alerts",
    summary: "What the alert measured against the device's baseline, with the device's earlier alerts of the same detector, for a chart",
    params: z.object({ id: z.string().min(1) }),
    response: SeriesSchema,
    handler: async (ctx) => {
      const alert = await ctx.store.alerts.get(ctx.params.id);
      if (!alert) throw new LongwatchError("not_found", `no alert ${ctx.params.id}`, { alert_id: ctx.params.id });
      const m = MEASURES.find((x) => numberOf(alert.evidence[x.value]) !== undefined);
      const until = new Date(Date.parse(alert.last_seen) + 1000).toISOString();
      const since = new Date(Date.parse(alert.last_seen) - 30 * 86_400_000).toISOString();
      const page = await ctx.store.lists.alerts({ device_id: alert.device_id, detector: alert.detector, since, until, sort: "last_seen", order: "desc", page_size: 200, total_cap: 0 });
      const all = page.items.some((a) => a.id === alert.id) ? page.items : [alert, ...page.items];
      const points = all
        .map((a) => {
          const record = a.evidence["record"] as { at?: unknown; ts?: unknown } | undefined;
          const at = typeof record?.ts === "string" ? record.ts : a.first_seen;
          const value = m ? numberOf(a.evidence[m.value]) : a.count;
          return value === undefined ? undefined : { alert_id: a.id, at, value, ...(typeof record?.at === "string" ? { record: record.at } : {}) };
        })
        .filter((p) => p !== undefined)
        .sort((a, b) => a.at.localeCompare(b.at));
      const baseline = m?.baseline ? (numberOf(alert.evidence[m.baseline]) ?? null) : null;
      const high = m?.high ? (numberOf(alert.evidence[m.high]) ?? null) : null;
      const value = m ? numberOf(alert.evidence[m.value]) : undefined;
      const ref = baseline ?? high;
      return { measure: m?.value ?? null, unit: m ? m.unit(alert.evidence) : "times seen", baseline, high, ratio: value !== undefined && ref ? value / ref : null, points };
    },
  }),
  route({
    id: "events.stream",
    method: "GET",
    path: "/api/v1/events",
    role: "viewer",
    tag: "events",
    summary: "Server-sent events: `alert` for each alert raised, seen again or triaged since the stream opened (data: the alert as JSON)",
    description: "Keeps the connection open. The newest 500 alerts are compared with the last look every 2 s, so alerts written by any process (detect, the ingest pipeline, workers on a shared store) are sent. A comment line every 15 s keeps proxies from closing an idle stream.",
    query: z.object({ topics: z.literal("alerts").optional().describe("What to send: alerts (the only topic so far, and the default).") }),
    response: { mediaType: "text/event-stream" },
    handler: async (ctx) =>
      new StreamReply("text/event-stream; charset=utf-8", async (write, signal) => {
        // What each of the newest alerts looked like at the last look: a new id or a changed version is an event.
        // Looking at the newest by event time (not at a wall-clock cursor) also catches a replay of old records.
        const seen = new Map<string, string>();
        const look = async (): Promise<Alert[]> => {
          const page = await ctx.store.lists.alerts({ sort: "last_seen", order: "desc", page_size: WINDOW, total_cap: 0 });
          const changed: Alert[] = [];
          for (const a of page.items) {
            const version = `${a.last_seen}|${a.state}|${a.verification}|${a.assignee ?? ""}|${a.count}`;
            if (seen.get(a.id) !== version) changed.push(a);
            seen.set(a.id, version);
          }
          if (seen.size > 20 * WINDOW) for (const id of [...seen.keys()].slice(0, seen.size - 10 * WINDOW)) seen.delete(id);
          return changed;
        };
        await look();
        write(": longwatch events\nretry: 5000\n\n");
        let quiet = 0;
        while (!signal.aborted) {
          try {
            await sleep(POLL_MS, undefined, { signal });
          } catch {
            break;
          }
          const changed = await look();
          for (const a of changed.reverse()) write(`event: alert\nid: ${a.id}\ndata: ${JSON.stringify(a)}\n\n`);
          quiet = changed.length ? 0 : quiet + POLL_MS;
          if (quiet >= KEEPALIVE_MS) {
            write(": keep-alive\n\n");
            quiet = 0;
          }
        }
      }),
  }),
];
