/**
 * bench:serve's bound on waiting. Every wait of the bench is for something another process does (a broker
 * delivering, a subscriber counting, the service acknowledging), and a message lost on the way never arrives: a
 * wait with no bound then waits forever. So each wait watches a progress figure and fails, naming what it waited
 * for and how far it got, once that figure has not moved for `stallMs` — long enough for a loaded machine's pauses,
 * short enough that a lost message ends the run in a minute instead of never.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WaitSpec {
  /** True once the wait is over. */
  done: () => boolean;
  /** Any figure that moves while things go on (messages taken, acknowledgements …). */
  progress: () => number | string;
  /** Where things stand, for the failure: "published 1,500, taken 1,400 of 50,000". */
  status: () => string;
  /** A reason to stop at once (a process exited, a publish failed), or undefined. */
  failed?: () => string | undefined;
  /** Runs before each look, e.g. to read the service's counters (its failure ends the wait). */
  poll?: () => Promise<void>;
  stallMs: number;
  pollMs?: number;
}

export class BenchStalled extends Error {}

/** Resolves once `done()`; rejects (BenchStalled) when `failed()` says why or `progress()` stood still for `stallMs`. */
export async function waitFor(what: string, w: WaitSpec): Promise<void> {
  let last = w.progress();
  let movedAt = performance.now();
  for (;;) {
    await w.poll?.();
    if (w.done()) return;
    const why = w.failed?.();
    if (why !== undefined) throw new BenchStalled(`waiting for ${what}: ${why}; ${w.status()}`);
    const p = w.progress();
    if (p !== last) {
      last = p;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > w.stallMs) {
      throw new BenchStalled(`waiting for ${what}: nothing moved for ${(w.stallMs / 1000).toFixed(0)} s; ${w.status()}`);
    }
    await sleep(w.pollMs ?? 20);
  }
}
