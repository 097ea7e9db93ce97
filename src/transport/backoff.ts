/**
 * Exponential backoff with jitter, shared by sink retries and source reconnects. Jitter spreads the retries of many
 * instances (or many sinks after one outage) so they do not hammer a recovering peer in lockstep.
 */
import { z } from "zod";

export const BackoffSchema = z
  .object({
    initial_ms: z.number().int().min(1).max(600_000).default(500).describe("Wait before the first retry."),
    max_ms: z.number().int().min(1).max(3_600_000).default(30_000).describe("Longest wait between two attempts."),
    multiplier: z.number().min(1).max(10).default(2),
    jitter: z.number().min(0).max(1).default(0.5).describe("Fraction of each wait that is random: 0 none, 1 anywhere from 0 to the full wait."),
  })
  .strict();
export type Backoff = z.infer<typeof BackoffSchema>;

export const DEFAULT_BACKOFF: Backoff = BackoffSchema.parse({});

/** The wait before attempt `attempt + 1` (attempt 1 is the first retry), in milliseconds. */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const full = Math.min(b.max_ms, b.initial_ms * b.multiplier ** Math.max(0, attempt - 1));
  return Math.round(full * (1 - b.jitter) + full * b.jitter * random());
}

/** Sleeps `ms`, or less if the signal aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
