/** API tokens (admin only): list, create (the token is in this one answer and nowhere else), revoke. */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { ROLES } from "../../../core/roles.ts";
import { createToken, DEFAULT_TOKEN_DAYS, parseDuration, revokeToken } from "../../auth/tokens.ts";
import { memoryList, pageQuery, pageSchema, sortQuery, sortRows } from "../lists.ts";
import { route } from "../route.ts";

export const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    prefix: z.string().describe("The token's visible start, to tell tokens apart."),
    created_at: z.string(),
    created_by: z.string(),
    expires_at: z.string().optional(),
    last_used_at: z.string().optional().describe("Updated at most once a minute."),
    revoked_at: z.string().optional(),
  })
  .meta({ id: "ApiToken" });

/** The CSV columns: exactly the JSON's fields, never the token or its hash (the store keeps only the hash). */
const TOKEN_COLUMNS = Object.keys(ApiTokenSchema.shape);
const NewToken = z
  .object({
    name: z.string().min(1).max(64),
    role: z.enum(ROLES),
    expires: z.string().default(`${DEFAULT_TOKEN_DAYS}d`).describe("How long it lives: 30d, 12h, 90m, 2w, or never."),
  })
  .strict()
  .meta({ id: "NewApiToken" });
const Created = z.object({ token: z.string().describe("The token itself: shown only in this answer."), record: ApiTokenSchema }).meta({ id: "CreatedApiToken" });
const NameParam = z.object({ name: z.string().min(1).max(64) });

export const tokenRoutes = [
  route({
    id: "tokens.list",
    method: "GET",
    path: "/api/v1/tokens",
    role: "admin",
    tag: "tokens",
    summary: "API tokens (never the tokens themselves): name, role, prefix, expiry, last use; filtered by role, paged in memory, or exported whole (CSV, NDJSON)",
    query: z.object({
      include_revoked: z.enum(["true", "false"]).default("false"),
      role: z.enum(ROLES).optional(),
      ...sortQuery(["created", "name", "last_used", "expires"], "created (default; oldest first), name, last_used or expires (those never used or never expiring last)."),
      ...pageQuery,
    }),
    response: pageSchema(ApiTokenSchema, "ApiToken"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { role, sort, order = "asc" } = ctx.query;
      // Parsed through the answer's schema, which drops any field it does not name: an export writes rows as they
      // are, and must not carry more than the JSON does.
      const rows = (await ctx.store.access.tokens({ includeRevoked: ctx.query.include_revoked === "true" })).filter((t) => role === undefined || t.role === role).map((t) => ApiTokenSchema.parse(t));
      const field = ({ created: "created_at", name: "name", last_used: "last_used_at", expires: "expires_at" } as const)[sort];
      // Tokens are made by people: a few hundred at most, held and paged in memory.
      return memoryList(ctx, "tokens", sort === "created" && order === "asc" ? rows : sortRows(rows, field, order, "name"), TOKEN_COLUMNS);
    },
  }),
  route({
    id: "tokens.create",
    method: "POST",
    path: "/api/v1/tokens",
    role: "admin",
    tag: "tokens",
    summary: "Create a token; the answer carries it once, the store keeps only its SHA-256",
    body: NewToken,
    status: 201,
    response: Created,
    handler: async (ctx) =>
      ctx.store.transaction(async (tx) => {
        let ms: number | undefined;
        try {
          ms = parseDuration(ctx.body.expires, "expires");
        } catch (e) {
          throw new LongwatchError("invalid_input", (e as Error).message, { errors: [{ field: "body.expires", detail: (e as Error).message }] });
        }
        const made = await createToken(tx, { name: ctx.body.name, role: ctx.body.role, expiresInMs: ms, by: ctx.principal.name, now: ctx.now });
        await ctx.audit({ target_kind: "token", target_id: made.record.name, after: made.record }, tx);
        return made;
      }),
  }),
  route({
    id: "tokens.revoke",
    method: "DELETE",
    path: "/api/v1/tokens/{name}",
    role: "admin",
    tag: "tokens",
    summary: "Revoke a token (by name or id); its sessions end at once",
    params: NameParam,
    response: ApiTokenSchema,
    handler: async (ctx) =>
      ctx.store.transaction(async (tx) => {
        const t = await revokeToken(tx, ctx.params.name, ctx.now);
        if (!t) throw new LongwatchError("not_found", `no live token named "${ctx.params.name}"`, { name: ctx.params.name });
        await ctx.audit({ target_kind: "token", target_id: t.name, before: { ...t, revoked_at: undefined }, after: t }, tx);
        return t;
      }),
  }),
];
