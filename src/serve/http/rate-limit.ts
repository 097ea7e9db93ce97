/**
 * Failed sign-ins, limited per client address and per username: after `max` failures within `windowMs`, further
 * attempts are refused (429 with Retry-After) until the oldest failure leaves the window. Successes do not reset a
 * username's count (so an attacker who also holds one valid login cannot keep guessing another). In memory: one
 * process serves the API; the table is bounded (oldest keys evicted).
 */
import { LongwatchError } from "../../core/errors.ts";

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    readonly max = 5,
    readonly windowMs = 15 * 60_000,
    private readonly maxKeys = 100_000,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Throws `rate_limited` (with retry_after_s) when any of the keys has used up its failures. */
  check(keys: readonly string[], now: number): void {
    for (const k of keys) {
      const list = this.recent(k, now);
      if (list.length >= this.max) {
        const retry = Math.max(1, Math.ceil((list[0]! + this.windowMs - now) / 1000));
        throw new LongwatchError("rate_limited", `too many failed sign-ins; try again in ${retry} s`, { retry_after_s: retry });
      }
    }
  }

  fail(keys: readonly string[], now: number): void {
    for (const k of keys) {
      const list = this.recent(k, now);
      list.push(now);
      this.failures.delete(k);
      this.failures.set(k, list);
      if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
    }
  }
}
