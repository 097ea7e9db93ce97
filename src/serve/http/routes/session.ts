/**
 * Dashboard sign-in: POST /api/v1/session with a token or a username and password sets an HttpOnly,
 * SameSite=Strict cookie (Secure under TLS) and answers the CSRF token the dashboard sends back in X-CSRF-Token on
 * every change. Failed sign-ins are limited per client address and per username (rate-limit.ts).
 */
import { z } from "zod";
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
const SessionOut = z.object({ principal: PrincipalSchema, expires_at: z.string(), csrf_token: z.string().describe("Send it in X-CSRF-Token with every change made with the cookie.") }).meta({ id: "Session" });

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
      const csrf = newSecret();
      const expires = new Date(ctx.now + ctx.deps.sessionTtlMs).toISOString();
      await ctx.store.transaction(async (tx) => {
        await tx.access.deleteExpiredSessions(new Date(ctx.now).toISOString());
        await tx.access.createSession({ id_hash: sid.hash, csrf_hash: csrf.hash, principal, created_at: new Date(ctx.now).toISOString(), expires_at: expires });
        await ctx.audit({ actor: principal, target_kind: "session", target_id: principal.name, after: { principal, expires_at: expires } }, tx);
      });
      ctx.header("Set-Cookie", cookie(sid.secret, Math.floor(ctx.deps.sessionTtlMs / 1000), ctx.deps.tls));
      return { principal, expires_at: expires, csrf_token: csrf.secret };
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
