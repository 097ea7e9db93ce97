/**
 * Dashboard sign-in: POST /api/v1/session with a token or a username and password sets an HttpOnly,
 * SameSite=Strict cookie (Secure under TLS) and answers the CSRF token the dashboard sends back in X-CSRF-Token on
 * every change. Failed sign-ins are limited per client address and per username (rate-limit.ts).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ROLES } from "../../../core/roles.ts";
import { LongwatchError } from "../../../core/errors.ts";
import type { Principal } from "../../../store/store.ts";
import { newSecret, sha256Hex, verifyPassword } from "../../auth/secrets.ts";
import { tokenFor } from "../../auth/tokens.ts";
import { SESSION_COOKIE } from "../authenticate.ts";
import { route } from "../route.ts";
import { PrincipalSchema } from "./meta.ts";

const SignIn = z
  .union([z.object({ token: z.string().min(1).max(200) }).strict(), z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(1024) }).strict()])
  .meta({ id: "SignIn", description: "A token, or a username and password." });
const SessionOut = z
  .object({
    name: z.string(),
    role: z.enum(ROLES),
    principal: PrincipalSchema,
    expires_at: z.string().optional().describe("When the session ends (absent for a request made with a bearer token)."),
    csrf_token: z.string().optional().describe("Send it in X-CSRF-Token with every change made with the cookie."),
  })
  .meta({ id: "Session" });

/** The CSRF token of a session is derived from its (HttpOnly) cookie: only a same-origin page that was answered it can send it. */
export function csrfTokenOf(sessionSecret: string): string {
  return `lw_${createHash("sha256").update(`longwatch-csrf\0${sessionSecret}`).digest("base64url").slice(0, 43)}`;
}

function cookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? "; Secure" : ""}`;
}

export const sessionRoutes = [
  route({
    id: "session.create",
    method: "POST",
    path: "/api/v1/session",
    role: "public",
    tag: "session",
    summary: "Sign in (a token, or a username and password): sets the session cookie",
    body: SignIn,
    status: 201,
    response: SessionOut,
    handler: async (ctx) => {
      const b = ctx.body as { token?: string; username?: string; password?: string };
      const keys = [`ip:${ctx.sourceIp}`, ...(b.username !== undefined ? [`user:${b.username}`] : [])];
      ctx.deps.loginLimiter.check(keys, ctx.now);
      let principal: Principal;
      try {
        if (b.token !== undefined) {
          const t = await tokenFor(ctx.store, b.token, ctx.now);
          principal = { kind: "token", name: t.name, role: t.role, token_id: t.id };
        } else {
          const a = await ctx.store.access.account(b.username!);
          if (!(await verifyPassword(b.password!, a?.password_hash))) throw new LongwatchError("unauthenticated", "wrong username or password", { reason: "password" });
          principal = { kind: "account", name: a!.username, role: a!.role };
        }
      } catch (e) {
        if (e instanceof LongwatchError && e.code === "unauthenticated") {
          ctx.deps.loginLimiter.fail(keys, ctx.now);
          ctx.deps.log("warn", "sign-in failed", { ip: ctx.sourceIp, ...(b.username !== undefined ? { username: b.username } : {}), reason: e.detail?.reason ?? null });
          throw new LongwatchError("unauthenticated", b.token !== undefined ? "the token is not valid" : "wrong username or password");
        }
        throw e;
      }
      const sid = newSecret();
      const csrf = csrfTokenOf(sid.secret);
      const expires = new Date(ctx.now + ctx.deps.sessionTtlMs).toISOString();
      await ctx.store.transaction(async (tx) => {
        await tx.access.deleteExpiredSessions(new Date(ctx.now).toISOString());
        await tx.access.createSession({ id_hash: sid.hash, csrf_hash: sha256Hex(csrf), principal, created_at: new Date(ctx.now).toISOString(), expires_at: expires });
        await ctx.audit({ actor: principal, target_kind: "session", target_id: principal.name, after: { principal, expires_at: expires } }, tx);
      });
      ctx.header("Set-Cookie", cookie(sid.secret, Math.floor(ctx.deps.sessionTtlMs / 1000), ctx.deps.tls));
      return { name: principal.name, role: principal.role, principal, expires_at: expires, csrf_token: csrf };
    },
  }),
  route({
    id: "session.get",
    method: "GET",
    path: "/api/v1/session",
    role: "viewer",
    tag: "session",
    summary: "Who is signed in, until when, and the session's CSRF token (for a page reloaded with the cookie)",
    response: SessionOut,
    handler: async (ctx) => {
      const sid = ctx.cookies.get(SESSION_COOKIE);
      const s = sid !== undefined && ctx.principal.kind !== undefined ? await ctx.store.access.session(sha256Hex(sid), new Date(ctx.now).toISOString()) : undefined;
      return { name: ctx.principal.name, role: ctx.principal.role, principal: ctx.principal, ...(s && sid ? { expires_at: s.expires_at, csrf_token: csrfTokenOf(sid) } : {}) };
    },
  }),
  route({
    id: "session.delete",
    method: "DELETE",
    path: "/api/v1/session",
    role: "viewer",
    tag: "session",
    summary: "Sign out: ends the session and clears the cookie",
    status: 204,
    response: z.null(),
    handler: async (ctx) => {
      // Reached only through authentication, so the cookie (if any) names a live session.
      const sid = ctx.cookies.get(SESSION_COOKIE);
      await ctx.store.transaction(async (tx) => {
        if (sid !== undefined) await tx.access.deleteSession(sha256Hex(sid));
        await ctx.audit({ target_kind: "session", target_id: ctx.principal.name, before: { principal: ctx.principal }, after: null }, tx);
      });
      ctx.header("Set-Cookie", cookie("", 0, ctx.deps.tls));
      return null;
    },
  }),
];
