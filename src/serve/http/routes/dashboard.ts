/**
 * What the dashboard's overview and inboxes need beyond the resource lists: the overview counts (with coverage), the
 * findings grouped by rule in distinct devices, and a server-sent event stream of new and changed alerts. The stream
 * reads the store, so alerts written by any process — a CLI `detect`, the ingest pipeline, scale-out workers on a
 * shared PostgreSQL — reach every open dashboard.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { Alert } from "../../../core/record.ts";
import { SEVERITIES } from "../../../core/severity.ts";
import { allRules } from "../../../audit/rules/index.ts";
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
    devices: z.number().int().describe("Distinct devices the rule's findings touch."),
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
    }),
    response: z.object({ items: z.array(FindingGroupSchema), next_page_token: z.null(), total: z.object({ count: z.number().int(), type: z.literal("exact") }) }).meta({ id: "FindingGroupPage" }),
    handler: async (ctx) => {
      const q = Object.fromEntries(Object.entries(ctx.query).filter(([, v]) => v !== undefined));
      const items = (await ctx.store.lists.findingGroups(q)).map(titled);
      return { items, next_page_token: null, total: { count: items.length, type: "exact" as const } };
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
