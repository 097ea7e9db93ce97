/**
 * CVSS base scores from vector strings, for feeds that give only the vector (OSV does). Formulas from the CVSS v3.1
 * specification (https://www.first.org/cvss/v3.1/specification-document, §7.1 and Appendix A for Roundup; v3.0 uses
 * the same weights) and CVSS v2 (https://www.first.org/cvss/v2/guide, §3.2.1). v4.0 scores need FIRST's lookup
 * tables and are not computed: a v4 vector without a score falls back to the advisory's own severity rating.
 */
import type { Severity } from "./severity.ts";

function metrics(vector: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of vector.split("/")) {
    const i = part.indexOf(":");
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

/** CVSS v3.1 Roundup: the smallest number with one decimal that is ≥ the input, robust to floating point. */
function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

export function cvss3BaseScore(vector: string): number | undefined {
  if (!/^CVSS:3\.[01]\//.test(vector)) return undefined;
  const m = metrics(vector);
  const scope = m.get("S");
  const av = ({ N: 0.85, A: 0.62, L: 0.55, P: 0.2 } as Record<string, number>)[m.get("AV") ?? ""];
  const ac = ({ L: 0.77, H: 0.44 } as Record<string, number>)[m.get("AC") ?? ""];
  const pr = (scope === "C" ? { N: 0.85, L: 0.68, H: 0.5 } : ({ N: 0.85, L: 0.62, H: 0.27 } as Record<string, number>))[m.get("PR") ?? ""];
  const ui = ({ N: 0.85, R: 0.62 } as Record<string, number>)[m.get("UI") ?? ""];
  const cia = { H: 0.56, L: 0.22, N: 0 } as Record<string, number>;
  const c = cia[m.get("C") ?? ""];
  const i = cia[m.get("I") ?? ""];
  const a = cia[m.get("A") ?? ""];
  if ([av, ac, pr, ui, c, i, a].some((x) => x === undefined) || (scope !== "U" && scope !== "C")) return undefined;
  const iss = 1 - (1 - c!) * (1 - i!) * (1 - a!);
  const impact = scope === "U" ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av! * ac! * pr! * ui!;
  if (impact <= 0) return 0;
  return scope === "U" ? roundup(Math.min(impact + exploitability, 10)) : roundup(Math.min(1.08 * (impact + exploitability), 10));
}

export function cvss2BaseScore(vector: string): number | undefined {
  const m = metrics(vector.replace(/^\(|\)$/g, ""));
  const av = ({ L: 0.395, A: 0.646, N: 1.0 } as Record<string, number>)[m.get("AV") ?? ""];
  const ac = ({ H: 0.35, M: 0.61, L: 0.71 } as Record<string, number>)[m.get("AC") ?? ""];
  const au = ({ M: 0.45, S: 0.56, N: 0.704 } as Record<string, number>)[m.get("Au") ?? ""];
  const cia = { N: 0, P: 0.275, C: 0.66 } as Record<string, number>;
  const c = cia[m.get("C") ?? ""];
  const i = cia[m.get("I") ?? ""];
  const a = cia[m.get("A") ?? ""];
  if ([av, ac, au, c, i, a].some((x) => x === undefined)) return undefined;
  const impact = 10.41 * (1 - (1 - c!) * (1 - i!) * (1 - a!));
  const exploitability = 20 * av! * ac! * au!;
  const f = impact === 0 ? 0 : 1.176;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

/** The score of a vector of any supported version, or undefined. */
export function cvssBaseScore(vector: string): { version: string; score: number } | undefined {
  const v3 = /^CVSS:(3\.[01])\//.exec(vector);
  if (v3) {
    const score = cvss3BaseScore(vector);
    return score === undefined ? undefined : { version: v3[1]!, score };
  }
  if (/^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(vector)) {
    const score = cvss2BaseScore(vector);
    return score === undefined ? undefined : { version: "2.0", score };
  }
  return undefined;
}

/** Qualitative rating of a score (CVSS v3 table; v2 had no "critical", but the bands below 9.0 agree). */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  if (score > 0) return "low";
  return "info";
}

/** Words feeds use for severity (GHSA MODERATE, Ubuntu negligible …) → ours; undefined when unknown. */
export function severityOfWord(word: string): Severity | undefined {
  switch (word.trim().toLowerCase()) {
    case "critical":
      return "critical";
    case "high":
    case "important":
      return "high";
    case "moderate":
    case "medium":
      return "medium";
    case "low":
      return "low";
    case "negligible":
    case "none":
    case "unimportant":
    case "info":
      return "info";
    default:
      return undefined;
  }
}
