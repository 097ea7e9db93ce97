/** API tokens (admin only): list, create (the token is in this one answer and nowhere else), revoke. */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { ROLES } from "../../../core/roles.ts";
import { createToken, DEFAULT_TOKEN_DAYS, parseDuration, revokeToken } from "../../auth/tokens.ts";
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

const TokenList = z.object({ items: z.array(ApiTokenSchema) }).meta({ id: "ApiTokenList" });
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
    summary: "API tokens (never the tokens themselves): name, role, prefix, expiry, last use",
    query: z.object({ include_revoked: z.enum(["true", "false"]).default("false") }),
    response: TokenList,
    handler: async (ctx) => ({ items: await ctx.store.access.tokens({ includeRevoked: ctx.query.include_revoked === "true" }) }),
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
