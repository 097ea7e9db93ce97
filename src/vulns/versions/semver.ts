/**
 * Semantic Versioning 2.0.0 precedence (https://semver.org/#spec-item-11), used by npm, Go, Cargo and most OSV
 * ecosystems. A leading `v` or `=` is accepted (Go writes `v1.2.3`); build metadata (`+…`) never affects the order.
 * Strings that are not semver fall back to the generic scheme rather than failing, because advisories do contain them.
 */
import { compareGenericVersions } from "../../core/version.ts";

const SEMVER = /^[v=]?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

interface SemVer {
  core: [number, number, number];
  pre: string[];
}

export function parseSemver(v: string): SemVer | undefined {
  const m = SEMVER.exec(v.trim());
  if (!m) return undefined;
  const core: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!core.every(Number.isSafeInteger)) return undefined;
  return { core, pre: m[4] !== undefined ? m[4].split(".") : [] };
}

export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return compareGenericVersions(a, b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! < y.core[i]! ? -1 : 1;
  // A pre-release has lower precedence than the release itself.
  if (x.pre.length === 0 || y.pre.length === 0) return x.pre.length === y.pre.length ? 0 : x.pre.length === 0 ? 1 : -1;
  const n = Math.min(x.pre.length, y.pre.length);
  for (let i = 0; i < n; i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return compareDigitStrings(p, q);
    if (pn !== qn) return pn ? -1 : 1; // numeric identifiers sort before alphanumeric ones
    return p < q ? -1 : 1;
  }
  return x.pre.length === y.pre.length ? 0 : x.pre.length < y.pre.length ? -1 : 1;
}

/** Numeric identifiers can exceed 2^53; compare them as text of equal length. */
function compareDigitStrings(p: string, q: string): number {
  if (p.length !== q.length) return p.length < q.length ? -1 : 1;
  return p < q ? -1 : p > q ? 1 : 0;
}
