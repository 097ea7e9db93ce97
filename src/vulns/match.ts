/**
 * Deciding whether one version is inside an advisory's affected set, and the advisory index that makes matching
 * linear in components: affected entries grouped by key, so each component costs a few map lookups plus the entries
 * for its own package, never a pass over every advisory.
 */
import type { Affected, VersionBounds } from "../core/advisory.ts";
import type { MatchKey } from "../core/component.ts";
import { isOrderableVersion } from "../core/version.ts";
import { type Comparator, comparators } from "./versions/index.ts";

/** Whether `version` is in the interval. */
export function inBounds(version: string, b: VersionBounds, cmp: Comparator): boolean {
  if (b.introduced !== undefined && b.introduced !== "0") {
    const c = cmp(version, b.introduced);
    if (c < 0 || (c === 0 && b.introduced_exclusive)) return false;
  }
  if (b.fixed !== undefined && cmp(version, b.fixed) >= 0) return false;
  if (b.last_affected !== undefined && cmp(version, b.last_affected) > 0) return false;
  return true;
}

export interface AffectedHit {
  /** Which rule of the entry matched, for the evidence: `all versions`, `= 1.2`, `>= 1.0, < 1.2`. */
  because: string;
  /** The lowest fixed version above the component's, when the advisory names one. */
  fixed_in?: string;
}

/**
 * Whether a component version is affected. An unorderable version (a commit hash, `custom`) only matches an exact
 * version listed by the advisory, or an advisory that affects every version.
 */
export function affects(a: Affected, version: string | undefined, orderable: boolean): AffectedHit | undefined {
  if (a.all_versions) return { because: "all versions" };
  if (version === undefined) return undefined;
  const cmp = comparators[a.scheme];
  for (const v of a.versions) if (v === version || (orderable && cmp(v, version) === 0)) return { because: `= ${v}` };
  if (!orderable) return undefined;
  let hit: AffectedHit | undefined;
  for (const b of a.ranges) {
    if (!inBounds(version, b, cmp)) continue;
    const h: AffectedHit = { because: describeBounds(b) };
    if (b.fixed !== undefined) h.fixed_in = b.fixed;
    // Keep the interval with the lowest fix: that is the upgrade that helps.
    if (!hit || (h.fixed_in !== undefined && (hit.fixed_in === undefined || cmp(h.fixed_in, hit.fixed_in) < 0))) hit = h;
  }
  return hit;
}

export function describeBounds(b: VersionBounds): string {
  const parts: string[] = [];
  if (b.introduced !== undefined && b.introduced !== "0") parts.push(`${b.introduced_exclusive ? ">" : ">="} ${b.introduced}`);
  if (b.fixed !== undefined) parts.push(`< ${b.fixed}`);
  if (b.last_affected !== undefined) parts.push(`<= ${b.last_affected}`);
  return parts.length ? parts.join(", ") : "all versions";
}

/** Whether a component built for `distro` may be judged by an entry about `entryDistro` (unknown on either side: yes). */
export function distroMatches(componentDistro: string | undefined, entryDistro: string | undefined): boolean {
  if (componentDistro === undefined || entryDistro === undefined) return true;
  const release = /(\d+(?:\.\d+)*)/.exec(componentDistro)?.[1] ?? componentDistro;
  return release === entryDistro || release.startsWith(`${entryDistro}.`);
}

export interface IndexedAffected {
  advisory_id: string;
  affected: Affected;
}

export interface KeyHit {
  advisory_id: string;
  key: MatchKey;
  hit: AffectedHit;
}

/**
 * Affected entries by key. Build it from the entries of the keys your components have (store.vulns.affectedByKeys).
 * Results are memoised per (key, version, distro): a fleet runs the same package versions in many firmware images,
 * so each distinct package version is compared with its advisories once, and every further component costs a lookup.
 */
export class AdvisoryIndex {
  private readonly memo = new Map<string, { advisory_id: string; hit: AffectedHit }[]>();

  constructor(private readonly byKey: ReadonlyMap<string, readonly IndexedAffected[]>) {}

  /** Every (advisory, key) that affects a component with these keys, at most one hit per advisory. */
  match(keys: readonly MatchKey[]): KeyHit[] {
    const out: KeyHit[] = [];
    const seen = new Set<string>();
    for (const k of keys) {
      for (const h of this.hitsFor(k)) {
        if (seen.has(h.advisory_id)) continue;
        seen.add(h.advisory_id);
        out.push({ advisory_id: h.advisory_id, key: k, hit: h.hit });
      }
    }
    return out;
  }

  private hitsFor(k: MatchKey): { advisory_id: string; hit: AffectedHit }[] {
    const entries = this.byKey.get(k.key);
    if (!entries) return [];
    const memoKey = `${k.key}\0${k.version ?? ""}\0${k.distro ?? ""}`;
    const cached = this.memo.get(memoKey);
    if (cached) return cached;
    const orderable = k.version !== undefined && isOrderableVersion(k.version);
    const hits: { advisory_id: string; hit: AffectedHit }[] = [];
    for (const e of entries) {
      if (!distroMatches(k.distro, e.affected.distro)) continue;
      const hit = affects(e.affected, k.version, orderable);
      if (hit) hits.push({ advisory_id: e.advisory_id, hit });
    }
    this.memo.set(memoKey, hits);
    return hits;
  }
}
