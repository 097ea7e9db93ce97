/**
 * API tokens as library calls, shared by `longwatch token …` and the service's /api/v1/tokens routes: create (the
 * token is returned once, the store keeps its digest), list, revoke (which also ends the sessions it opened), and
 * authenticate a presented token.
 */
import { LongwatchError } from "../../core/errors.ts";
import type { Role } from "../../core/roles.ts";
import type { ApiToken, StoreTx } from "../../store/store.ts";
import { newSecret, sha256Hex, TOKEN_PATTERN } from "./secrets.ts";

export const DEFAULT_TOKEN_DAYS = 30;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,63}$/u;

/** `30d`, `12h`, `90m`, `2w`, or `never`; milliseconds, undefined for never. */
export function parseDuration(text: string, what = "--expires"): number | undefined {
  if (text === "never") return undefined;
  const m = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (!m) throw new LongwatchError("usage", `${what}: "${text}" is not a duration like 30d, 12h, 90m, 2w or never`, { field: what });
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[m[2] as "m" | "h" | "d" | "w"];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new LongwatchError("usage", `${what}: a token must live for some time`, { field: what });
  return ms;
}

export interface CreatedToken {
  /** Shown once; never stored. */
  token: string;
  record: ApiToken;
}

export async function createToken(store: StoreTx, o: { name: string; role: Role; expiresInMs?: number | undefined; by: string; now: number }): Promise<CreatedToken> {
  if (!NAME.test(o.name)) throw new LongwatchError("invalid_input", `token name "${o.name}": 1–64 letters, digits, spaces and . _ @ -, starting with a letter or digit`, { field: "name" });
  const s = newSecret();
  const record = await store.access.createToken(
    { name: o.name, role: o.role, prefix: s.prefix, hash: s.hash, created_by: o.by, ...(o.expiresInMs !== undefined ? { expires_at: new Date(o.now + o.expiresInMs).toISOString() } : {}) },
    new Date(o.now).toISOString(),
  );
  return { token: s.secret, record };
}

/** Revokes a token by name or id and ends the sessions opened with it; undefined when no live token has that name. */
export async function revokeToken(store: StoreTx, nameOrId: string, now: number): Promise<ApiToken | undefined> {
  return store.transaction(async (tx) => {
    const t = await tx.access.revokeToken(nameOrId, new Date(now).toISOString());
    if (t) await tx.access.deleteSessionsOf("token", t.name);
    return t;
  });
}

/** The live token presented, or why it is refused (always `unauthenticated`, with a reason for the log only). */
export async function tokenFor(store: StoreTx, presented: string, now: number): Promise<ApiToken> {
  if (!TOKEN_PATTERN.test(presented)) throw new LongwatchError("unauthenticated", "not a Longwatch token", { reason: "malformed" });
  const t = await store.access.tokenByHash(sha256Hex(presented));
  if (!t) throw new LongwatchError("unauthenticated", "unknown token", { reason: "unknown" });
  if (t.revoked_at) throw new LongwatchError("unauthenticated", "the token was revoked", { reason: "revoked" });
  if (t.expires_at && Date.parse(t.expires_at) <= now) throw new LongwatchError("unauthenticated", "the token has expired", { reason: "expired" });
  return t;
}
