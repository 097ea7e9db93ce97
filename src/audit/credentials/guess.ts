/**
 * Guessing passwords against crypt(3) hashes within a budget. Checking a whole dictionary against one SHA-crypt or
 * bcrypt hash takes minutes, and a fleet can hold thousands of distinct hashes, so every hash gets an estimated time
 * budget (cost per guess from the scheme and its work factor) and the scan as a whole gets another. The estimate, not
 * the clock, decides, so the same fleet gives the same findings on any machine. Results are cached per hash string:
 * devices flashed from one image share their hashes, and each is guessed once.
 */
import type { ParsedHash } from "./crypt/index.ts";

export interface GuessBudget {
  /** Estimated milliseconds of guessing allowed per distinct hash. */
  perHashMs: number;
  /** Estimated milliseconds allowed for all hashes of one scan together. */
  perScanMs: number;
}

export type GuessOutcome =
  | { status: "match"; password: string; tried: number }
  /** `complete` when every candidate was tried; otherwise the per-hash budget ran out first. */
  | { status: "no-match"; tried: number; complete: boolean }
  /** A single guess costs more than the per-hash budget, so nothing was tried. */
  | { status: "too-costly"; costMs: number }
  /** The scan's budget was used up before this hash got its share. */
  | { status: "over-scan-budget"; tried: number };

export interface GuessStats {
  hashes: number;
  tooCostly: number;
  overScanBudget: number;
  spentMs: number;
}

export class CryptGuesser {
  private readonly cache = new Map<string, GuessOutcome>();
  readonly stats: GuessStats = { hashes: 0, tooCostly: 0, overScanBudget: 0, spentMs: 0 };

  constructor(private readonly budget: GuessBudget) {}

  /**
   * Tries `candidates` in order against `hash` (cached under `key`, normally the hash string plus whatever decides the
   * candidate order) until one matches or the budget runs out. The matched password is returned to the caller only
   * so it can look the password up in the dictionary; it must not be stored or reported.
   */
  guess(key: string, hash: ParsedHash, candidates: Iterable<string>): GuessOutcome {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const outcome = this.run(hash, candidates);
    this.cache.set(key, outcome);
    this.stats.hashes++;
    if (outcome.status === "too-costly") this.stats.tooCostly++;
    if (outcome.status === "over-scan-budget") this.stats.overScanBudget++;
    return outcome;
  }

  private run(hash: ParsedHash, candidates: Iterable<string>): GuessOutcome {
    const perHash = Math.floor(this.budget.perHashMs / hash.costMs);
    if (perHash < 1) return { status: "too-costly", costMs: hash.costMs };
    const leftInScan = Math.floor((this.budget.perScanMs - this.stats.spentMs) / hash.costMs);
    const allowed = Math.min(perHash, Math.max(0, leftInScan));
    let tried = 0;
    for (const candidate of candidates) {
      if (tried >= allowed) return allowed < perHash ? { status: "over-scan-budget", tried } : { status: "no-match", tried, complete: false };
      tried++;
      this.stats.spentMs += hash.costMs;
      if (hash.verify(candidate)) return { status: "match", password: candidate, tried };
    }
    return { status: "no-match", tried, complete: true };
  }
}
