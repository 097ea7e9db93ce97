/**
 * Who is calling: a bearer token (`Authorization: Bearer lw_…`) or the dashboard's session cookie. A request made
 * with the cookie must also carry the session's CSRF token in `X-CSRF-Token` for anything but GET/HEAD (the cookie
 * is SameSite=Strict as well; the header is the second lock). Account sessions take the account's current role, so
 * a demotion takes effect at once; removing an account or revoking a token ends its sessions.
 */
import type { IncomingMessage } from "node:http";
import { LongwatchError } from "../../core/errors.ts";
import type { Principal } from "../../store/store.ts";
import { sameDigest, sha256Hex } from "../auth/secrets.ts";
import { tokenFor } from "../auth/tokens.ts";
import type { ServiceDeps } from "./deps.ts";

export const SESSION_COOKIE = "lw_session";
export const CSRF_HEADER = "x-csrf-token";
/** last_used_at is written at most this often per token (every request would make every read a write). */
const TOUCH_EVERY_MS = 60_000;

export function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

export interface Authenticated {
  principal: Principal;
  via: "token" | "session";
  sessionHash?: string;
}

export async function authenticate(req: IncomingMessage, deps: ServiceDeps, now: number): Promise<Authenticated> {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw new LongwatchError("unauthenticated", "Authorization must be `Bearer <token>`", { reason: "scheme" });
    const t = await tokenFor(deps.store, m[1]!, now);
    if ((!t.last_used_at || Date.parse(t.last_used_at) < now - TOUCH_EVERY_MS) && !deps.writeLockHeld()) {
      await deps.store.access.touchToken(t.id, new Date(now).toISOString()).catch((e: unknown) => deps.log("warn", "could not record a token's use", { token: t.name, error: String(e) }));
    }
    return { principal: { kind: "token", name: t.name, role: t.role, token_id: t.id }, via: "token" };
  }
  const sid = cookies(req).get(SESSION_COOKIE);
  if (sid === undefined) throw new LongwatchError("unauthenticated", "this needs a token (Authorization: Bearer …) or a session (POST /api/v1/session)", { reason: "missing" });
  const hash = sha256Hex(sid);
  const s = await deps.store.access.session(hash, new Date(now).toISOString());
  if (!s) throw new LongwatchError("unauthenticated", "the session has ended; sign in again", { reason: "session" });
  let principal = s.principal;
  if (principal.kind === "account") {
    const a = await deps.store.access.account(principal.name);
    if (!a) throw new LongwatchError("unauthenticated", "the account no longer exists", { reason: "account" });
    principal = { ...principal, role: a.role };
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    const given = req.headers[CSRF_HEADER];
    if (typeof given !== "string" || !sameDigest(sha256Hex(given), s.csrf_hash)) throw new LongwatchError("forbidden", "a change made with the session cookie needs the session's CSRF token in X-CSRF-Token", { reason: "csrf" });
  }
  return { principal, via: "session", sessionHash: hash };
}
