/**
 * One HTTP request to a provider API, with what every provider needs: a timeout, waiting out `429 Too Many Requests`
 * (and 503) as long as `Retry-After` says within a cap, retrying network failures with backoff, and errors that name
 * the provider, the call and the status — never a header or a token.
 */
import { LongwatchError } from "../../core/errors.ts";

export interface HttpCall {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  /** A body sent exactly as given (its content-type among the headers), e.g. one that was signed. */
  raw?: string;
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export interface RetryPolicy {
  retries: number;
  /** A Retry-After longer than this is not waited for: the call fails as rate limited. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, maxWaitMs: 60_000 };

/** Seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function httpCall(provider: string, what: string, c: HttpCall, retry: RetryPolicy = DEFAULT_RETRY): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: "application/json", ...c.headers };
  let body: string | undefined;
  if (c.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(c.json);
  } else if (c.raw !== undefined) {
    body = c.raw;
  } else if (c.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(c.form).toString();
  }
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(c.url, { method: c.method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(c.timeoutMs), redirect: "error" });
    } catch (e) {
      if (attempt < retry.retries) {
        await sleep(200 * 2 ** attempt);
        continue;
      }
      const timedOut = (e as Error).name === "TimeoutError";
      throw new LongwatchError("upstream_failed", `${provider}: ${what} ${timedOut ? `timed out after ${c.timeoutMs} ms` : `failed: ${(e as Error).message}`}`, { provider, call: what }, { cause: e });
    }
    if (res.status === 429 || res.status === 503) {
      const wait = retryAfterMs(res.headers.get("retry-after")) ?? 1000 * 2 ** attempt;
      await res.body?.cancel();
      if (attempt < retry.retries && wait <= retry.maxWaitMs) {
        await sleep(wait);
        continue;
      }
      throw new LongwatchError("rate_limited", `${provider}: ${what} was refused as too many requests (HTTP ${res.status}${res.headers.get("retry-after") ? `, retry after ${res.headers.get("retry-after")}` : ""})`, { provider, call: what, status: res.status });
    }
    const text = await res.text();
    let parsed: unknown = text;
    if (text !== "" && (res.headers.get("content-type") ?? "").includes("json")) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: text === "" ? null : parsed };
  }
}

/** The error for an answer the caller did not expect; the provider's own message is kept short. */
export function unexpected(provider: string, what: string, a: HttpAnswer): LongwatchError {
  const said = typeof a.body === "string" ? a.body : JSON.stringify(a.body ?? "");
  const code = a.status === 401 ? "unauthenticated" : a.status === 403 ? "forbidden" : a.status === 404 ? "not_found" : "upstream_failed";
  return new LongwatchError(code, `${provider}: ${what} answered HTTP ${a.status}${said ? `: ${said.slice(0, 200)}` : ""}`, { provider, call: what, status: a.status });
}
