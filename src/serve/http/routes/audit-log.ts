/** The audit log of every change made through the service: who, what, when, before and after. */
import { z } from "zod";
import { ROLES } from "../../../core/roles.ts";
import { COUNT_CAP, decodePageToken, encodePageToken, listReply, pageQuery, pageSchema } from "../lists.ts";
import { route } from "../route.ts";

const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actor: z.string(),
    actor_kind: z.enum(["token", "account", "system"]),
    role: z.enum(ROLES).optional(),
    action: z.string().describe("The operation, e.g. alerts.ack or tokens.create."),
    target_kind: z.string(),
    target_id: z.string().optional(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    request_id: z.string().optional(),
    source_ip: z.string().optional(),
  })
  .meta({ id: "AuditEntry" });

export const auditRoutes = [
  route({
    id: "audit.list",
    method: "GET",
    path: "/api/v1/audit-log",
    role: "admin",
    tag: "audit",
    summary: "Changes made through the service, newest first (append-only)",
    query: z.object({
      actor: z.string().optional(),
      action: z.string().optional(),
      target_kind: z.string().optional(),
      target_id: z.string().optional(),
      since: z.string().optional().describe("at or after (ISO 8601)"),
      until: z.string().optional().describe("before (ISO 8601)"),
      ...pageQuery,
    }),
    response: pageSchema(AuditEntrySchema, "AuditEntry"),
    alsoProduces: ["text/csv"],
    handler: async (ctx) => {
      const { page_size, page_token, format: _f, ...filter } = ctx.query;
      const cursor = decodePageToken<{ s: number }>("audit", page_token);
      const f = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
      const rows = await ctx.store.access.audit({ ...f, ...(cursor ? { before_seq: cursor.s } : {}), limit: page_size + 1 });
      const items = rows.slice(0, page_size);
      const count = await ctx.store.access.auditCount(f, COUNT_CAP + 1);
      const next = rows.length > page_size ? encodePageToken("audit", { s: items[items.length - 1]!.seq }) : null;
      return listReply(ctx, { items, next_page_token: next, total: { count: Math.min(count, COUNT_CAP), type: count > COUNT_CAP ? "at_least" : "exact" } }, ["seq", "at", "actor", "actor_kind", "role", "action", "target_kind", "target_id", "before", "after", "request_id", "source_ip"]);
    },
  }),
];
