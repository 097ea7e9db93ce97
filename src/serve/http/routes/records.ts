/** POST /api/v1/records: a body of records (NDJSON, CSV, Zeek conn.log, JSON) into the live ingest pipeline. */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { charsetOf, formatOf } from "../../pipeline/media-types.ts";
import { route } from "../route.ts";

const Result = z
  .object({
    accepted: z.number().int(),
    rejected: z.number().int(),
    rejects: z.array(z.object({ line: z.number().int(), reason: z.string() })),
    late: z.number().int().optional(),
    warnings: z.array(z.object({ line: z.number().int(), reason: z.string(), offset: z.number().int().optional().describe("The byte's offset in the body.") })).optional().describe("Where the body's text was not what it was read as: not UTF-8, so read as Windows-1252 from that byte (send a charset to say which it is)."),
  })
  .meta({ id: "IngestResult" });

export const recordRoutes = [
  route({
    id: "records.ingest",
    method: "POST",
    path: "/api/v1/records",
    role: "analyst",
    tag: "records",
    summary: "Ingest records: answered once they are durably taken, with each reject's line and reason",
    body: { raw: ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/json", "text/csv", "text/x-zeek", "text/plain", "application/octet-stream"] },
    response: Result,
    handler: async (ctx) => {
      if (!ctx.deps.ingest) throw new LongwatchError("store_unavailable", "live ingest is not running in this service");
      const encoding = charsetOf(ctx.contentType);
      const body = ctx.raw ?? new Uint8Array();
      const format = formatOf(ctx.contentType);
      const out = await ctx.deps.ingest.ingest(body, format, { source: "http", name: `http:${ctx.principal.name}`, ...(encoding ? { encoding } : {}) });
      // What an ingest changed is the records it took: how many, of what, how many refused (the rejects are in the answer).
      await ctx.audit({ target_kind: "records", after: { format, bytes: body.length, accepted: out.accepted, rejected: out.rejected, ...(out.late !== undefined ? { late: out.late } : {}) } });
      return out;
    },
  }),
];
