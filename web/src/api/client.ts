/**
 * The dashboard's only door to Longwatch: the public HTTP API under /api/v1, signed in with the session cookie that
 * POST /api/v1/session sets. Every change carries the CSRF token the session handed out, and every error arrives as
 * RFC 9457 problem+json, which is turned into an ApiError the pages can show in plain words.
 */
import { type Bodies, type OperationId, operations, type Responses } from "./schema.ts";
import type { ListPage, Principal, Problem } from "./types.ts";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly problem: Problem | undefined;
  constructor(status: number, problem: Problem | undefined, fallback: string) {
    super(problem?.detail ?? problem?.title ?? fallback);
    this.status = status;
    this.code = problem?.code;
    this.problem = problem;
  }
}

// The server keeps only a hash of the CSRF token, so the tab keeps the token itself for as long as it lives.
const CSRF_KEY = "lw-csrf";
let csrfToken: string | undefined = sessionStorage.getItem(CSRF_KEY) ?? undefined;
const unauthorisedListeners = new Set<() => void>();

/** Called when any request answers 401: the session ended (expired, revoked, signed out elsewhere). */
export function onUnauthorised(listener: () => void): () => void {
  unauthorisedListeners.add(listener);
  return () => unauthorisedListeners.delete(listener);
}

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

export function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export async function request<T>(method: string, path: string, options: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const init: RequestInit = { method, headers, credentials: "same-origin" };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  if (options.signal) init.signal = options.signal;
  const response = await fetch(`/api/v1${path}${queryString(options.query)}`, init);
  if (response.status === 401 && path !== "/session") for (const listener of unauthorisedListeners) listener();
  if (!response.ok) {
    let problem: Problem | undefined;
    try {
      problem = (await response.json()) as Problem;
    } catch {
      problem = undefined;
    }
    throw new ApiError(response.status, problem, `${response.status} ${response.statusText}`);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>("GET", path, signal ? { query: query ?? {}, signal } : { query: query ?? {} }),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, { body: body ?? {} }),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, { body }),
  del: <T>(path: string) => request<T>("DELETE", path),
  list: <T>(path: string, query?: Query, signal?: AbortSignal) => api.get<ListPage<T>>(path, query, signal),
};

type CallOptions<Op extends OperationId> = {
  params?: Record<string, string | number>;
  query?: Query;
  signal?: AbortSignal;
} & (Op extends keyof Bodies ? { body: Bodies[Op] } : { body?: undefined });

/**
 * The typed client: an operation of the OpenAPI document by its operationId, with its path parameters, query and
 * body; the answer has the type the document gives it (schema.ts).
 */
export function call<Op extends OperationId>(op: Op, ...rest: Op extends keyof Bodies ? [CallOptions<Op>] : [CallOptions<Op>?]): Promise<Responses[Op]> {
  const options = (rest[0] ?? {}) as CallOptions<Op>;
  const [method, template] = operations[op].split(" ") as [string, string];
  const path = template.replace(/^\/api\/v1/, "").replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = options.params?.[name];
    if (value === undefined) throw new Error(`${op} needs the path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const init: { query?: Query; body?: unknown; signal?: AbortSignal } = {};
  if (options.query) init.query = options.query;
  if (options.body !== undefined) init.body = options.body;
  else if (method === "POST") init.body = {};
  if (options.signal) init.signal = options.signal;
  return request<Responses[Op]>(method, path, init);
}

export async function signIn(credentials: { token: string } | { username: string; password: string }): Promise<Principal> {
  const session = await request<{ principal: Principal; expires_at: string; csrf_token: string }>("POST", "/session", { body: credentials });
  setCsrfToken(session.csrf_token);
  return session.principal;
}

/** Who is signed in, or undefined when nobody is (no cookie, or the session ended). */
export async function currentSession(): Promise<Principal | undefined> {
  try {
    return await request<Principal>("GET", "/whoami");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function signOut(): Promise<void> {
  await request<void>("DELETE", "/session").catch(() => undefined);
  setCsrfToken(undefined);
}

/** Where a CSV or JSON export of a list is downloaded from: the same filters, with `format`. */
export function exportUrl(path: string, query: Query, format: "csv" | "json"): string {
  return `/api/v1${path}${queryString({ ...query, page_token: undefined, format })}`;
}
