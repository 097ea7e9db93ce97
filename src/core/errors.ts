/**
 * Errors with a stable code. Library code throws `LongwatchError(code, message)`; the CLI maps the code to an exit code
 * and the service to an HTTP status through the one table below, so nothing ever matches on message text.
 */
import { EXIT, type ExitCode } from "./exit-codes.ts";

interface CodeInfo {
  exit: ExitCode;
  http: number;
  /** The short, fixed title of an RFC 9457 problem document. */
  title: string;
}

export const ERROR_CODES = {
  /** Bad flags, arguments or request parameters. */
  usage: { exit: EXIT.usage, http: 400, title: "Bad request" },
  /** A named input file (or folder) does not exist or cannot be read. */
  file_not_found: { exit: EXIT.error, http: 404, title: "File not found" },
  /** A configuration, mapping or policy file is invalid. */
  invalid_config: { exit: EXIT.usage, http: 400, title: "Invalid configuration" },
  /** A request or document failed validation. */
  invalid_input: { exit: EXIT.usage, http: 422, title: "Invalid input" },
  /** The thing named (device, alert, model, scan …) does not exist. */
  not_found: { exit: EXIT.usage, http: 404, title: "Not found" },
  /** The change conflicts with the current state (e.g. approving one's own response, a stale version). */
  conflict: { exit: EXIT.error, http: 409, title: "Conflict" },
  unauthenticated: { exit: EXIT.error, http: 401, title: "Unauthenticated" },
  forbidden: { exit: EXIT.error, http: 403, title: "Forbidden" },
  rate_limited: { exit: EXIT.error, http: 429, title: "Too many requests" },
  payload_too_large: { exit: EXIT.usage, http: 413, title: "Payload too large" },
  unsupported_media_type: { exit: EXIT.usage, http: 415, title: "Unsupported media type" },
  /** The store is locked by another process or unreachable. */
  store_unavailable: { exit: EXIT.error, http: 503, title: "Store unavailable" },
  /** The store's schema is newer than this version of Longwatch understands, or otherwise unusable. */
  store_incompatible: { exit: EXIT.error, http: 500, title: "Store incompatible" },
  /** Saved detection state is missing pieces, corrupt, or of another version. */
  state_invalid: { exit: EXIT.error, http: 500, title: "Detection state invalid" },
  /** Not enough memory or disk for the work asked. */
  resources_exhausted: { exit: EXIT.error, http: 507, title: "Insufficient resources" },
  /** An outside system (broker, provider API, SMTP server) failed or timed out. */
  upstream_failed: { exit: EXIT.error, http: 502, title: "Upstream failure" },
  internal: { exit: EXIT.error, http: 500, title: "Internal error" },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LongwatchError extends Error {
  override readonly name = "LongwatchError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable particulars (a field, a file, a line), returned with the error by the API. */
    readonly detail?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isLongwatchError(e: unknown, code?: ErrorCode): e is LongwatchError {
  return e instanceof LongwatchError && (code === undefined || e.code === code);
}

/** The code of any thrown value: ours as given, node's file errors as file_not_found, anything else internal. */
export function errorCode(e: unknown): ErrorCode {
  if (e instanceof LongwatchError) return e.code;
  const sys = (e as { code?: unknown } | null)?.code;
  if (sys === "ENOENT" || sys === "EISDIR" || sys === "ENOTDIR" || sys === "EACCES") return "file_not_found";
  if (sys === "ENOSPC" || sys === "ENOMEM") return "resources_exhausted";
  return "internal";
}

export function exitCodeOf(e: unknown): ExitCode {
  return ERROR_CODES[errorCode(e)].exit;
}

export function httpStatusOf(e: unknown): number {
  return ERROR_CODES[errorCode(e)].http;
}
