/**
 * The stored `whatif --all` ranking. Ranking a million-device fleet takes seconds, far too long for a page to wait on,
 * so `longwatch whatif --all` and every scan job through the service store it, and the dashboard and API read it back
 * with the time it was computed and whether the fleet was imported since (then it may be out of date).
 *
 * Each kind is stored on its own (ranking only some kinds replaces just those), with its largest STORED_PER_KIND
 * nodes in rank order; a read merges the kinds asked for in the same order rankAll gives.
 */
import type { StoreTx } from "../store/store.ts";
import type { StoredRankingKind } from "../store/graph.ts";
import { byRank, RANKED_KINDS, rankAll, type RankableKind, type RankedNode, type Ranking } from "./rank.ts";

/** Nodes kept per kind: every kind's long tail is one-device nodes nobody pages to. */
export const STORED_PER_KIND = 1000;

export type RankingSource = "whatif" | "scan-job";

export interface StoredRanking {
  /** When the oldest of the kinds read was ranked; null when none of them has been. */
  computed_at: string | null;
  /** Devices were imported after computed_at: the ranking may not describe the fleet as it is now. */
  stale: boolean;
  /** The fleet's size when the newest of the kinds read was ranked; null when none has been. */
  fleet_devices: number | null;
  /** Each kind read that has a stored ranking: when, over how many devices, how many nodes it counted, and by what. */
  kinds: StoredRankingKind[];
  /** Kinds asked for that were never ranked. */
  missing: RankableKind[];
  /** The largest nodes of the kinds read, largest first (share of the fleet as it was when its kind was ranked). */
  nodes: RankedNode[];
  /** Nodes of each kind read that the ranking counted (before any were left out). */
  counted: Partial<Record<RankableKind, number>>;
}

/** Stores a ranking of these kinds (computed without a limit, so each kind's largest nodes are all there). */
export async function saveRanking(store: StoreTx, r: Ranking, kinds: readonly RankableKind[], at: { computedAt: string; source: RankingSource; keep?: number }): Promise<void> {
  const keep = at.keep ?? STORED_PER_KIND;
  const pos = new Map<string, number>();
  const nodes = [];
  for (const n of r.nodes) {
    if (!kinds.includes(n.kind)) continue;
    const p = pos.get(n.kind) ?? 0;
    if (p >= keep) continue;
    pos.set(n.kind, p + 1);
    nodes.push({ kind: n.kind, pos: p, target: n.target, label: n.label, devices: n.devices });
  }
  const meta = kinds.map((kind) => ({ kind, computed_at: at.computedAt, fleet_devices: r.fleet_devices, counted: r.counted[kind] ?? 0, source: at.source }));
  await store.graph.saveRanking(meta, nodes);
}

/**
 * Ranks these kinds (default those of `whatif --all`) and stores the ranking; returns each kind's largest
 * STORED_PER_KIND nodes, or every node with `whole`.
 */
export async function rankAndStore(store: StoreTx, opts: { kinds?: readonly RankableKind[]; now: () => number; source: RankingSource; whole?: boolean }): Promise<Ranking> {
  const kinds = opts.kinds ?? RANKED_KINDS;
  const r = await rankAll(store, { kinds, ...(opts.whole ? {} : { perKind: STORED_PER_KIND }) });
  await saveRanking(store, r, kinds, { computedAt: new Date(opts.now()).toISOString(), source: opts.source });
  return r;
}

/** The stored ranking of these kinds (default those of `whatif --all`), its largest `limit` nodes (at most STORED_PER_KIND). */
export async function storedRanking(store: StoreTx, opts: { kinds?: readonly RankableKind[]; limit?: number } = {}): Promise<StoredRanking> {
  const want = [...new Set(opts.kinds ?? RANKED_KINDS)];
  const limit = Math.min(opts.limit ?? 25, STORED_PER_KIND);
  const kinds = (await store.graph.rankingKinds()).filter((k) => (want as string[]).includes(k.kind));
  const missing = want.filter((k) => !kinds.some((s) => s.kind === k));
  if (kinds.length === 0) return { computed_at: null, stale: false, fleet_devices: null, kinds: [], missing, nodes: [], counted: {} };
  const fleet = new Map(kinds.map((k) => [k.kind, k.fleet_devices]));
  const nodes = (await store.graph.rankingNodes(kinds.map((k) => k.kind), limit))
    .map(({ kind, target, label, devices }) => ({ kind: kind as RankableKind, target, label, devices, share: devices / Math.max(fleet.get(kind) ?? 1, 1) }))
    .sort(byRank)
    .slice(0, limit);
  const oldest = kinds.reduce((a, b) => (b.computed_at < a.computed_at ? b : a));
  const newest = kinds.reduce((a, b) => (b.computed_at > a.computed_at ? b : a));
  const imported = await store.graph.lastDeviceImport();
  return {
    computed_at: oldest.computed_at,
    stale: imported !== undefined && imported > oldest.computed_at,
    fleet_devices: newest.fleet_devices,
    kinds,
    missing,
    nodes,
    counted: Object.fromEntries(kinds.map((k) => [k.kind, k.counted])),
  };
}
