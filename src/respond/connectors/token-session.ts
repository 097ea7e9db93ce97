/**
 * Bearer-token sessions for provider APIs: a token is fetched on first use and kept until it expires; a 401 drops it
 * and fetches one more before giving up, so a token revoked or expired early costs one retry, not a failed response.
 */
import { LongwatchError } from "../../core/errors.ts";
import { type HttpAnswer, type HttpCall, httpCall, unexpected } from "./http.ts";

export interface Token {
  value: string;
  /** Epoch ms; undefined = until refused. */
  expiresAt?: number;
}

export interface TokenSession {
  call(what: string, c: Omit<HttpCall, "headers"> & { headers?: Record<string, string> }): Promise<HttpAnswer>;
}

export function tokenSession(provider: string, fetchToken: () => Promise<Token>, header: (token: string) => Record<string, string> = (t) => ({ authorization: `Bearer ${t}` })): TokenSession {
  let token: Token | undefined;
  const get = async (): Promise<Token> => {
    if (token && (token.expiresAt === undefined || token.expiresAt > Date.now() + 5_000)) return token;
    token = await fetchToken();
    return token;
  };
  return {
    async call(what, c) {
      for (let attempt = 0; ; attempt++) {
        const t = await get();
        const a = await httpCall(provider, what, { ...c, headers: { ...c.headers, ...header(t.value) } });
        if (a.status !== 401) return a;
        token = undefined;
        if (attempt >= 1) throw new LongwatchError("unauthenticated", `${provider}: ${what} was refused (HTTP 401) even with a fresh token: check the API user's rights`, { provider, call: what });
      }
    },
  };
}

/** Reads `access_token` (or another field) and `expires_in` seconds from a token answer. */
export function tokenFrom(provider: string, a: HttpAnswer, field = "access_token"): Token {
  if (a.status === 401 || a.status === 403 || a.status === 400) throw new LongwatchError("unauthenticated", `${provider} refused the API credentials (HTTP ${a.status}): check the client id and secret`, { provider });
  if (a.status !== 200 && a.status !== 201) throw unexpected(provider, "authentication", a);
  const b = (a.body ?? {}) as Record<string, unknown>;
  const value = b[field];
  if (typeof value !== "string" || value === "") throw new LongwatchError("upstream_failed", `${provider}: the token answer has no ${field}`, { provider });
  const expires = typeof b.expires_in === "number" ? b.expires_in : undefined;
  return expires !== undefined ? { value, expiresAt: Date.now() + expires * 1000 } : { value };
}
