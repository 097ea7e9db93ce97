/** The audit log of every change made through the service: who, what, when, before and after. */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { ROLES } from "../../../core/roles.ts";
import { COUNT_CAP, decodePageToken, defined, encodePageToken, keysetList, pageQuery, pageSchema } from "../lists.ts";
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
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { page_size: _s, page_token: _t, format: _f, ...filter } = ctx.query;
      const f = defined(filter);
      // Keyset pages on the log's sequence number, newest first: the token carries the last seq seen.
      return keysetList(
        ctx,
        "audit-log",
        async (token, size, withTotal) => {
          const cursor = decodePageToken<{ s: number }>("audit", token);
          if (cursor && !Number.isSafeInteger(cursor.s)) throw new LongwatchError("usage", "page_token: damaged", { field: "query.page_token" });
          const rows = await ctx.store.access.audit({ ...f, ...(cursor ? { before_seq: cursor.s } : {}), limit: size + 1 });
          const items = rows.slice(0, size);
          const next = rows.length > size ? encodePageToken("audit", { s: items[items.length - 1]!.seq }) : null;
          if (!withTotal) return { items, next_page_token: next };
          const count = await ctx.store.access.auditCount(f, COUNT_CAP + 1);
          return { items, next_page_token: next, total: { count: Math.min(count, COUNT_CAP), type: count > COUNT_CAP ? "at_least" : "exact" } };
        },
        ["seq", "at", "actor", "actor_kind", "role", "action", "target_kind", "target_id", "before", "after", "request_id", "source_ip"],
      );
    },
  }),
];
