/**
 * `whatif --all`: the blast radius of every CA, credential, firmware image, component and endpoint (and, on request,
 * certificate, model and provider), largest first, counted in the database (below).
 */
import type { StoreTx } from "../store/store.ts";
import { componentKey, formatWhatifTarget, type WhatifKind } from "./target.ts";

export const RANKED_KINDS = ["ca", "credential", "firmware", "component", "endpoint"] as const satisfies readonly WhatifKind[];
export const RANKABLE_KINDS = [...RANKED_KINDS, "cert", "model", "provider"] as const satisfies readonly WhatifKind[];
export type RankableKind = (typeof RANKABLE_KINDS)[number];

export interface RankedNode {
  kind: RankableKind;
  /** The what-if target that asks about this node (`longwatch whatif compromise TARGET`). */
  target: string;
  /** For people: a CA's subject, a credential's service and username … */
  label: string;
  devices: number;
  share: number;
}

export interface Ranking {
  fleet_devices: number;
  nodes: RankedNode[];
  /** Nodes of each kind before `limit` was applied. */
  counted: Partial<Record<RankableKind, number>>;
}

/** Largest first; equal sizes by target, so a ranking reads the same every time. */
export const byRank = (a: RankedNode, b: RankedNode): number => b.devices - a.devices || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0);

/**
 * Every count is the database's: firmware images and models from the per-image counts kept at import, CAs and
 * providers from device_cells, credentials grouped by secret in SQL, components as the sum of their images, endpoints
 * from flows. Nothing reads the fleet device by device; the same numbers as a ranking over the fleet graph
 * (test/whatif/fast.test.ts). `perKind` keeps each kind's largest nodes only (counted still counts them all), which
 * spares sorting a million one-device credentials when only the top is wanted.
 */
export async function rankAll(store: StoreTx, opts: { kinds?: readonly RankableKind[]; limit?: number; minDevices?: number; perKind?: number } = {}): Promise<Ranking> {
  const kinds = new Set(opts.kinds ?? RANKED_KINDS);
  const min = opts.minDevices ?? 1;
  const fleet = await store.graph.deviceCount();
  const total = Math.max(fleet, 1);
  let nodes: RankedNode[] = [];
  const counted: Ranking["counted"] = {};
  const add = (kind: RankableKind, target: string, label: string, devices: number) => {
    if (devices < min) return;
    nodes.push({ kind, target, label, devices, share: devices / total });
    counted[kind] = (counted[kind] ?? 0) + 1;
  };
  const images = kinds.has("firmware") || kinds.has("component") ? await store.graph.imageCounts() : [];
  if (kinds.has("firmware")) for (const i of images) add("firmware", `firmware:${i.model_id}@${i.firmware_version}`, `${i.model_id}@${i.firmware_version}`, i.devices);
  if (kinds.has("model")) {
    const docs = new Map((await store.fleet.models()).map((m) => [m.model_id, m]));
    for (const m of await store.graph.modelCounts()) add("model", `model:${m.model_id}`, docs.get(m.model_id)?.name ?? m.model_id, m.devices);
  }
  if (kinds.has("cert")) for (const c of await store.graph.certificateCounts()) add("cert", `cert:${c.fingerprint}`, c.fingerprint.slice(0, 16), c.devices);
  if (kinds.has("ca")) {
    // A CA is its certificate when the device's file carried it, otherwise its name (as in the fleet graph).
    const cas = new Map<string, { fingerprint: string | null; devices: number; subjects: string[] }>();
    for (const c of await store.graph.caCounts()) {
      const key = c.issuer_fingerprint ?? `dn:${c.issuer}`;
      const ca = cas.get(key);
      if (ca) {
        ca.devices += c.devices;
        ca.subjects.push(c.issuer);
      } else cas.set(key, { fingerprint: c.issuer_fingerprint, devices: c.devices, subjects: [c.issuer] });
    }
    for (const ca of cas.values()) {
      // One CA certificate under several names (rare) shows the name of its first certificate, as whatif compromise does.
      const subject = ca.fingerprint !== null && ca.subjects.length > 1 ? ((await store.graph.issuerSubject(ca.fingerprint)) ?? ca.subjects[0]!) : ca.subjects[0]!;
      add("ca", formatWhatifTarget(ca.fingerprint !== null ? { kind: "ca", fingerprint: ca.fingerprint } : { kind: "ca", subject }), subject, ca.devices);
    }
  }
  if (kinds.has("credential")) {
    const r = await store.graph.rankCredentials(min, opts.perKind);
    for (const n of r.nodes) nodes.push({ kind: "credential", target: `credential:${n.name}`, label: `${n.service} user "${n.username}"`, devices: n.devices, share: n.devices / total });
    if (r.counted) counted.credential = r.counted;
  }
  if (kinds.has("component")) {
    const perImage = new Map(images.map((i) => [`${i.model_id}@${i.firmware_version}`, i.devices]));
    const comps = new Map<string, { name: string; version: string | null; images: Set<string> }>();
    for await (const page of store.graph.components()) {
      for (const c of page) {
        const image = `${c.model_id}@${c.firmware_version}`;
        if (!perImage.has(image)) continue; // an inventory of firmware no stored device runs
        const key = componentKey(c);
        let node = comps.get(key);
        if (!node) comps.set(key, (node = { name: c.name, version: c.version, images: new Set() }));
        node.images.add(image);
      }
    }
    for (const [key, c] of comps) {
      let devices = 0;
      for (const im of c.images) devices += perImage.get(im)!;
      add("component", `component:${key}`, c.version !== null ? `${c.name} ${c.version}` : c.name, devices);
    }
  }
  if (kinds.has("endpoint")) for (const e of await store.graph.endpoints()) add("endpoint", `endpoint:${e.destination}`, e.destination, e.devices);
  if (kinds.has("provider")) for (const a of await store.graph.apnCounts()) add("provider", `provider:${a.apn}`, `APN ${a.apn}`, a.devices);
  nodes.sort(byRank);
  if (opts.perKind !== undefined) {
    const seen = new Map<RankableKind, number>();
    const kept = nodes.filter((n) => {
      const k = seen.get(n.kind) ?? 0;
      seen.set(n.kind, k + 1);
      return k < opts.perKind!;
    });
    // Assigned, not spliced in with a spread: spreading 200,000 items as arguments overflows the stack.
    nodes = kept;
  }
  return { fleet_devices: fleet, nodes: opts.limit !== undefined ? nodes.slice(0, opts.limit) : nodes, counted };
}
