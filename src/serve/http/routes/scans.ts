/** Scans: start one as a job (run on a worker thread), follow its progress, and see the latest finished scan. */
import { z } from "zod";
import { allRules } from "../../../audit/rules/index.ts";
import { LongwatchError } from "../../../core/errors.ts";
import { memoryList, pageQuery, pageSchema, sortQuery, sortRows } from "../lists.ts";
import { route } from "../route.ts";

const ScanJobSchema = z
  .object({
    id: z.string(),
    state: z.enum(["running", "succeeded", "failed"]),
    started_at: z.string(),
    finished_at: z.string().optional(),
    started_by: z.string(),
    phase: z.enum(["import", "audit", "rank"]).optional(),
    done: z.number().int().describe("Devices audited so far."),
    total: z.number().int().describe("Devices to audit (0 until known)."),
    result: z.object({ scan_id: z.number().int(), devices: z.number().int(), findings: z.number().int(), fixed: z.number().int(), counts: z.record(z.string(), z.number()), rank_error: z.string().optional().describe("Why the what-if ranking after the scan failed; the scan and its findings are stored all the same.") }).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: "ScanJob" });
const ScanInfoSchema = z.object({ id: z.number().int(), started_at: z.string(), finished_at: z.string().optional(), rules: z.array(z.string()), counts: z.record(z.string(), z.number()) }).meta({ id: "ScanInfo" });
const known = new Set(allRules.map((r) => r.id));

export const scanRoutes = [
  route({
    id: "scans.start",
    method: "POST",
    path: "/api/v1/scans",
    role: "analyst",
    tag: "scans",
    summary: "Audit the stored fleet now, as a job: answers at once (202) with the job to follow",
    body: z.object({ rules: z.array(z.string()).min(1).optional().describe("Rule ids to run (default: every rule).") }).strict().meta({ id: "ScanRequest" }),
    status: 202,
    response: ScanJobSchema,
    handler: async (ctx) => {
      const unknown = (ctx.body.rules ?? []).filter((r) => !known.has(r));
      if (unknown.length) throw new LongwatchError("invalid_input", `body.rules: no rule ${unknown.join(", ")} (\`longwatch rules\` lists them)`, { errors: [{ field: "body.rules", detail: `unknown: ${unknown.join(", ")}` }] });
      // Recorded before the worker starts: on SQLite the scan then holds the write lock until it commits.
      ctx.deps.scans.assertCanStart();
      const id = ctx.deps.scans.newId();
      await ctx.audit({ target_kind: "scan-job", target_id: id, after: { rules: ctx.body.rules ?? "all" } });
      const job = ctx.deps.scans.start(ctx.principal.name, ctx.body.rules, id);
      ctx.header("Location", `/api/v1/scan-jobs/${job.id}`);
      return job;
    },
  }),
  route({
    id: "scans.jobs",
    method: "GET",
    path: "/api/v1/scan-jobs",
    role: "viewer",
    tag: "scans",
    summary: "Scan jobs this service ran since it started (the last 100), newest first, filtered by state; paged in memory, or exported whole (CSV, NDJSON)",
    query: z.object({
      state: ScanJobSchema.shape.state.optional(),
      ...sortQuery(["started", "state"], "started (default; newest first) or state."),
      ...pageQuery,
    }),
    response: pageSchema(ScanJobSchema, "ScanJob"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { state, sort, order = sort === "started" ? "desc" : "asc" } = ctx.query;
      // The service keeps its last jobs in memory; once older ones are let go the total is a lower bound.
      const { jobs, forgotten } = ctx.deps.scans.list();
      const rows = jobs.filter((j) => state === undefined || j.state === state);
      return memoryList(ctx, "scan-jobs", sort === "started" && order === "desc" ? rows : sortRows(rows, sort === "started" ? "started_at" : sort, order, "started_at"), ["id", "state", "started_at", "finished_at", "started_by", "phase", "done", "total", "result", "error"], forgotten);
    },
  }),
  route({
    id: "scans.job",
    method: "GET",
    path: "/api/v1/scan-jobs/{id}",
    role: "viewer",
    tag: "scans",
    summary: "One scan job: its phase, progress and, when done, its outcome",
    params: z.object({ id: z.string().min(1) }),
    response: ScanJobSchema,
    handler: async (ctx) => {
      const j = ctx.deps.scans.get(ctx.params.id);
      if (!j) throw new LongwatchError("not_found", `no scan job ${ctx.params.id}`, { job_id: ctx.params.id });
      return j;
    },
  }),
  route({
    id: "scans.latest",
    method: "GET",
    path: "/api/v1/scans/latest",
    role: "viewer",
    tag: "scans",
    summary: "The latest finished scan: when, which rules, findings by severity",
    response: ScanInfoSchema,
    handler: async (ctx) => {
      const s = await ctx.store.findings.latestScan();
      if (!s) throw new LongwatchError("not_found", "no scan yet: POST /api/v1/scans or run `longwatch scan`");
      return s;
    },
  }),
];
