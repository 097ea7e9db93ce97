/**
 * The oracle for whatif/rank.ts: the ranking as it was computed before the database counted it — over the fleet
 * graph's arrays, one pass per kind. rankAll must give exactly this (fast.test.ts).
 */
import type { StoreTx } from "../../src/store/store.ts";
import { buildGraph, type FleetGraph } from "./graph.ts";
import { RANKED_KINDS, type RankableKind, type RankedNode, type Ranking } from "../../src/whatif/rank.ts";
import { credentialDevices } from "./select.ts";
import { formatWhatifTarget } from "../../src/whatif/target.ts";

function counts(size: number, n: number, of: (i: number) => number, g: FleetGraph): Float64Array {
  const c = new Float64Array(n);
  for (let i = 0; i < g.size && i < size; i++) {
    const k = of(i);
    if (k >= 0) c[k]!++;
  }
  return c;
}

export async function rankOnGraph(store: StoreTx, opts: { kinds?: readonly RankableKind[]; limit?: number; graph?: FleetGraph; minDevices?: number } = {}): Promise<Ranking> {
  const kinds = new Set(opts.kinds ?? RANKED_KINDS);
  const g = opts.graph ?? (await buildGraph(store, [...(kinds.has("ca") ? ["certificates" as const] : []), ...(kinds.has("credential") ? ["credentials" as const] : []), ...(kinds.has("component") ? ["components" as const] : [])]));
  const total = Math.max(g.size, 1);
  const nodes: RankedNode[] = [];
  const counted: Ranking["counted"] = {};
  const add = (kind: RankableKind, target: string, label: string, devices: number) => {
    if (devices < (opts.minDevices ?? 1)) return;
    nodes.push({ kind, target, label, devices, share: devices / total });
    counted[kind] = (counted[kind] ?? 0) + 1;
  };
  const imageCounts = counts(g.size, g.images.size, (i) => g.image[i]!, g);
  if (kinds.has("firmware")) g.images.names.forEach((name, i) => add("firmware", `firmware:${name}`, name, imageCounts[i]!));
  if (kinds.has("model")) {
    const c = counts(g.size, g.models.size, (i) => g.model[i]!, g);
    g.models.names.forEach((name, i) => add("model", `model:${name}`, g.modelDocs.get(name)?.name ?? name, c[i]!));
  }
  if (kinds.has("cert")) {
    const c = counts(g.size, g.certs.size, (i) => g.cert[i]!, g);
    g.certs.names.forEach((fp, i) => add("cert", `cert:${fp}`, fp.slice(0, 16), c[i]!));
  }
  if (kinds.has("ca")) {
    const c = counts(g.size, g.cas.length, (i) => (g.cert[i]! >= 0 ? g.certCa[g.cert[i]!]! : -1), g);
    g.cas.forEach((ca, i) => add("ca", formatWhatifTarget(ca.fingerprint ? { kind: "ca", fingerprint: ca.fingerprint } : { kind: "ca", subject: ca.subject }), ca.subject, c[i]!));
  }
  if (kinds.has("credential")) {
    // Most credentials belong to one device; only model-wide ones need a pass over the fleet.
    const mark = new Uint8Array(g.size);
    for (const n of g.credentials) {
      let devices: number;
      if (n.models.length === 0) devices = new Set(n.devices).size;
      else {
        mark.fill(0);
        credentialDevices(g, n, mark);
        devices = 0;
        for (let i = 0; i < mark.length; i++) devices += mark[i]!;
      }
      add("credential", `credential:${n.name}`, `${n.service} user "${n.username}"`, devices);
    }
  }
  if (kinds.has("component")) {
    for (const c of g.components) {
      let devices = 0;
      for (const im of c.images) devices += imageCounts[im]!;
      add("component", `component:${c.key}`, c.version !== undefined ? `${c.name} ${c.version}` : c.name, devices);
    }
  }
  if (kinds.has("endpoint")) for (const e of await store.graph.endpoints()) add("endpoint", `endpoint:${e.destination}`, e.destination, e.devices);
  if (kinds.has("provider")) {
    const c = counts(g.size, g.apns.size, (i) => g.apn[i]!, g);
    g.apns.names.forEach((apn, i) => add("provider", `provider:${apn}`, `APN ${apn}`, c[i]!));
  }
  nodes.sort((a, b) => b.devices - a.devices || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  return { fleet_devices: g.size, nodes: opts.limit !== undefined ? nodes.slice(0, opts.limit) : nodes, counted };
}
