/**
 * Errors as RFC 9457 problem documents (`application/problem+json`): `type`, `title`, `status`, `detail`, plus
 * Longwatch's `code` — the same code the CLI exits with (core/errors.ts has the one code → status table) — and the
 * error's particulars (`errors` for each invalid field).
 */
import type { z } from "zod";
import { ERROR_CODES, type ErrorCode, errorCode, LongwatchError } from "../../core/errors.ts";

export const PROBLEM_TYPE_BASE = "https://longwatch.dev/problems/";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  [extra: string]: unknown;
}

/** Particulars that never leave the server (why a token was refused is for the log, not for the caller). */
const PRIVATE_DETAIL = new Set(["reason", "cause"]);

export function problemOf(e: unknown, instance?: string): Problem {
  const code = errorCode(e);
  const info = ERROR_CODES[code];
  // Internal errors say nothing of their insides; the log has them under the request id.
  const detail = code === "internal" ? "An internal error occurred; the service log has the details under this request's id." : e instanceof Error ? e.message : String(e);
  const extra: Record<string, unknown> = {};
  if (e instanceof LongwatchError && e.detail && code !== "internal") {
    for (const [k, v] of Object.entries(e.detail)) if (!PRIVATE_DETAIL.has(k)) extra[k] = v;
  }
  return { type: `${PROBLEM_TYPE_BASE}${code}`, title: info.title, status: info.http, detail, code, ...(instance ? { instance } : {}), ...extra };
}

/** A zod failure as an `invalid_input` (or `usage` for query and path parameters) error naming each field. */
export function validationError(where: "body" | "query" | "path", error: z.ZodError): LongwatchError {
  const errors = error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join("."), code: i.code, detail: i.message }));
  const first = errors[0]!;
  return new LongwatchError(where === "body" ? "invalid_input" : "usage", `${first.field}: ${first.detail}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`, { errors });
}
