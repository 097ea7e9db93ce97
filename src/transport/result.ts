/**
 * Tagged results at every I/O boundary of the transport layer (the OpenTelemetry exporter shape): a deliverer says
 * whether an attempt worked, failed for good (a 4xx, a refused recipient — trying again cannot help) or may work if
 * tried again (a timeout, a 5xx, a refused connection). Retrying is a wrapper's decision, never the deliverer's.
 */
export type IoResult =
  | { readonly kind: "success" }
  | { readonly kind: "failure"; readonly error: string }
  | { readonly kind: "retryable"; readonly error: string; /** The peer asked for this wait (HTTP Retry-After). */ readonly retryAfterMs?: number };

export const SUCCESS: IoResult = Object.freeze({ kind: "success" });

export function failure(error: string): IoResult {
  return { kind: "failure", error };
}

export function retryable(error: string, retryAfterMs?: number): IoResult {
  return retryAfterMs === undefined ? { kind: "retryable", error } : { kind: "retryable", error, retryAfterMs };
}

/** The message of anything thrown, for a result or a log line (never the stack: it goes to logs people read). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
