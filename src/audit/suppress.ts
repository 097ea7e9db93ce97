/**
 * Suppressions: a user's decision to accept a finding (or every finding of a rule, or of a rule on one device) for a
 * stated reason, optionally until a date. An expired suppression no longer applies.
 */
import type { Finding } from "../core/finding.ts";
import type { Suppression } from "../store/store.ts";

/** The most specific live suppression that covers the finding: its fingerprint, then rule+device, then the rule. */
export function matchSuppression(all: readonly Suppression[], f: Finding, today: string): Suppression | undefined {
  let best: Suppression | undefined;
  let bestRank = 0;
  for (const s of all) {
    if (s.rule !== f.rule && s.rule !== "*") continue;
    if (s.expires !== undefined && s.expires < today) continue;
    let rank = 0;
    if (s.fingerprint !== undefined) rank = s.fingerprint === f.fingerprint ? 3 : 0;
    else if (s.device_id !== undefined) rank = s.device_id === f.device_id ? 2 : 0;
    else rank = 1;
    if (rank > bestRank) {
      best = s;
      bestRank = rank;
    }
  }
  return best;
}
