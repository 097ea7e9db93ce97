/**
 * Timeouts and retries as wrappers around a Deliverer, so adapters only make one attempt and say how it went.
 * A deliverer that hangs and ignores its abort signal is abandoned at the deadline: the caller moves on.
 */
import { z } from "zod";
import { BackoffSchema, backoffDelay, sleep } from "../backoff.ts";
import { errorText, retryable, type IoResult } from "../result.ts";
import type { AlertNotice, Deliverer } from "./sink.ts";

export const RetrySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(100).default(5).describe("Attempts in all, the first included."),
    backoff: BackoffSchema.default(BackoffSchema.parse({})),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetrySchema>;

export type Attempted = IoResult & { readonly attempts: number };

/** Bounds each attempt to `timeoutMs`; a throw or a timeout becomes a retryable result. */
export function withTimeout(d: Deliverer, timeoutMs: number): Deliverer {
  return {
    type: d.type,
    async deliver(notice, signal) {
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      let onAbort!: () => void;
      const aborted = new Promise<IoResult>((resolve) => {
        onAbort = () => resolve(retryable(signal.aborted ? "shut down before the peer answered" : `no answer within ${timeoutMs} ms`));
        if (attempt.aborted) onAbort();
        else attempt.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return await Promise.race([d.deliver(notice, attempt).catch((e: unknown) => retryable(errorText(e))), aborted]);
      } finally {
        attempt.removeEventListener("abort", onAbort);
      }
    },
    ...(d.close ? { close: () => d.close!() } : {}),
  };
}

/** Tries again on retryable results with exponential backoff and jitter (honouring a peer's Retry-After), until success, a failure, the attempt limit or the signal. */
export function withRetry(d: Deliverer, policy: RetryPolicy, onRetry: (attempt: number, last: IoResult) => void = () => {}, random: () => number = Math.random) {
  return {
    type: d.type,
    async deliver(notice: AlertNotice, signal: AbortSignal): Promise<Attempted> {
      for (let attempt = 1; ; attempt++) {
        const r = await d.deliver(notice, signal);
        if (r.kind !== "retryable" || attempt >= policy.max_attempts || signal.aborted) return { ...r, attempts: attempt };
        onRetry(attempt, r);
        const wait = Math.max(backoffDelay(attempt, policy.backoff, random), Math.min(r.retryAfterMs ?? 0, policy.backoff.max_ms));
        await sleep(wait, signal);
        if (signal.aborted) return { ...r, attempts: attempt };
      }
    },
    ...(d.close ? { close: () => d.close!() } : {}),
  };
}
