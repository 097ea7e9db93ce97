/**
 * Where an alert goes when a sink gives up on it, so nothing raised is lost silently: the service backs this with the
 * store (and shows it in the API); tests and one-off runs use the in-memory list.
 */
import type { AlertNotice } from "./sink.ts";

export type DeadLetterReason = "failed" | "retries_exhausted" | "queue_full" | "shutdown";

export interface DeadLetter {
  readonly sink: string;
  readonly sink_type: string;
  readonly notice: AlertNotice;
  readonly reason: DeadLetterReason;
  /** The last error the peer gave (absent for queue_full and for shutdown before any attempt). */
  readonly error?: string;
  readonly attempts: number;
  /** ISO time it was given up on. */
  readonly at: string;
}

export interface DeadLetterStore {
  add(letter: DeadLetter): Promise<void>;
}

/** A bounded in-memory list (oldest dropped first beyond `limit`, counted in `overflowed`). */
export class MemoryDeadLetters implements DeadLetterStore {
  readonly letters: DeadLetter[] = [];
  overflowed = 0;
  constructor(private readonly limit = 10_000) {}

  add(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
    if (this.letters.length > this.limit) {
      this.letters.shift();
      this.overflowed++;
    }
    return Promise.resolve();
  }
}
