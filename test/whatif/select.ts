/** The test oracle of what-if: which devices fall when a target is compromised, as device numbers of the fleet graph (graph.ts). */
import { LongwatchError } from "../../src/core/errors.ts";
import type { StoreTx } from "../../src/store/store.ts";
import { addLayer, type CredentialNode, type FleetGraph } from "./graph.ts";
import { componentMatches, type WhatifTarget } from "../../src/whatif/target.ts";

export interface Selection {
  devices: Int32Array;
  /** What the target resolved to, for the report (a CA's subject, a credential's holders …). */
  resolved: Record<string, unknown>;
  notes: string[];
}

function where(g: FleetGraph, keep: (i: number) => boolean): Int32Array {
  let n = 0;
  const out = new Int32Array(g.size);
  for (let i = 0; i < g.size; i++) if (keep(i)) out[n++] = i;
  return out.slice(0, n);
}

function fromMarks(mark: Uint8Array): Int32Array {
  let n = 0;
  for (let i = 0; i < mark.length; i++) n += mark[i]!;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < mark.length; i++) if (mark[i]) out[k++] = i;
  return out;
}

/** Every device holding the credential: its own holders, and every device of a model (and firmware) it is set for. */
export function credentialDevices(g: FleetGraph, node: CredentialNode, mark = new Uint8Array(g.size)): Uint8Array {
  for (const i of node.devices) mark[i] = 1;
  if (node.models.length) {
    for (let i = 0; i < g.size; i++) {
      for (const m of node.models) if (g.model[i] === m.model && (m.image === undefined || g.image[i] === m.image)) mark[i] = 1;
    }
  }
  return mark;
}

export function componentImages(g: FleetGraph, t: Extract<WhatifTarget, { kind: "component" }>): Set<number> {
  const images = new Set<number>();
  for (const c of g.components) if (componentMatches(t, c.key, c.name, c.version)) for (const im of c.images) images.add(im);
  return images;
}

export async function selectDevices(store: StoreTx, g: FleetGraph, t: WhatifTarget): Promise<Selection> {
  switch (t.kind) {
    case "model": {
      const m = g.models.get(t.model);
      if (m === undefined && !g.modelDocs.has(t.model)) throw new LongwatchError("not_found", `no device of model ${t.model} is stored`, { model_id: t.model });
      return { devices: m === undefined ? new Int32Array(0) : where(g, (i) => g.model[i] === m), resolved: { model_id: t.model }, notes: [] };
    }
    case "firmware": {
      const im = g.images.get(`${t.model}@${t.version}`);
      if (im === undefined) throw new LongwatchError("not_found", `no stored device runs firmware ${t.version} of model ${t.model}`, { model_id: t.model, firmware_version: t.version });
      return { devices: where(g, (i) => g.image[i] === im), resolved: { model_id: t.model, firmware_version: t.version }, notes: [] };
    }
    case "cert": {
      const c = g.certs.get(t.fingerprint);
      if (c === undefined) throw new LongwatchError("not_found", `no stored device uses certificate ${t.fingerprint}`, { fingerprint: t.fingerprint });
      return { devices: where(g, (i) => g.cert[i] === c), resolved: { fingerprint: t.fingerprint }, notes: [] };
    }
    case "ca": {
      await addLayer(store, g, "certificates");
      const hit = new Set<number>();
      g.cas.forEach((ca, i) => {
        if (t.fingerprint !== undefined ? ca.fingerprint === t.fingerprint : ca.subject === t.subject) hit.add(i);
      });
      const notes: string[] = [];
      if (t.fingerprint !== undefined && hit.size === 0) {
        throw new LongwatchError("not_found", `no stored device certificate was issued by the CA certificate ${t.fingerprint} (a CA is recognised when a device's certificate file carries it; otherwise name it by subject: ca:"CN=…")`, { fingerprint: t.fingerprint });
      }
      if (t.subject !== undefined && [...hit].some((i) => g.cas[i]!.fingerprint !== undefined)) notes.push("Named by subject: every CA certificate with this subject counts, whatever its key.");
      const subjects = [...new Set([...hit].map((i) => g.cas[i]!.subject))];
      const devices = where(g, (i) => g.cert[i]! >= 0 && hit.has(g.certCa[g.cert[i]!]!));
      if (devices.length === 0) throw new LongwatchError("not_found", `no stored device certificate was issued by ${t.subject}`, { subject: t.subject });
      return { devices, resolved: { subjects, certificates: new Set([...devices].map((i) => g.cert[i])).size }, notes };
    }
    case "credential": {
      await addLayer(store, g, "credentials");
      const owner = t.ownerIsModel ? g.models.get(t.owner) : g.indexOf(t.owner);
      if (owner === undefined) throw new LongwatchError("not_found", `no ${t.ownerIsModel ? "model" : "device"} ${t.owner} is stored`, { owner: t.owner });
      const nodes = g.credentials.filter((n) => n.service === t.service && n.username === t.username && (t.ownerIsModel ? n.models.some((m) => m.model === owner) : n.devices.includes(owner) || n.models.some((m) => m.model === g.model[owner] && (m.image === undefined || m.image === g.image[owner]))));
      if (nodes.length === 0) throw new LongwatchError("not_found", `no stored ${t.service} credential of ${t.owner} with username "${t.username}"`, { owner: t.owner, service: t.service });
      const mark = new Uint8Array(g.size);
      for (const n of nodes) credentialDevices(g, n, mark);
      return { devices: fromMarks(mark), resolved: { service: t.service, username: t.username, holders: nodes.map((n) => n.name), model_wide: nodes.some((n) => n.models.length > 0) }, notes: [] };
    }
    case "component": {
      await addLayer(store, g, "components");
      const images = componentImages(g, t);
      if (images.size === 0) throw new LongwatchError("not_found", `no imported firmware inventory of a stored device contains ${t.purl ?? `${t.name}${t.version ? `@${t.version}` : ""}`}`, {});
      return { devices: where(g, (i) => images.has(g.image[i]!)), resolved: { firmware: [...images].map((i) => g.images.names[i]).sort() }, notes: [] };
    }
    case "endpoint": {
      const ids = await store.graph.endpointDevices(t.host, t.port);
      const mark = new Uint8Array(g.size);
      let unknown = 0;
      for (const id of ids) {
        const i = g.indexOf(id);
        if (i === undefined) unknown++;
        else mark[i] = 1;
      }
      const notes = ["Devices are those seen talking to the endpoint in recorded flows (detect runs); a device that has not been observed is not counted."];
      if (unknown) notes.push(`${unknown} device(s) seen in flows are not in the inventory and are left out.`);
      return { devices: fromMarks(mark), resolved: { seen_devices: ids.length }, notes };
    }
    case "provider": {
      const hit = new Set<number>();
      if (t.apn !== undefined) {
        const a = g.apns.get(t.apn);
        if (a !== undefined) hit.add(a);
        return { devices: where(g, (i) => hit.has(g.apn[i]!)), resolved: { apn: t.apn }, notes: [] };
      }
      g.imsiPrefixes.names.forEach((p, i) => {
        if (p.startsWith(t.mccmnc!)) hit.add(i);
      });
      return { devices: where(g, (i) => hit.has(g.imsiPrefix[i]!)), resolved: { mccmnc: t.mccmnc }, notes: t.mccmnc!.length === 5 ? ["Matched on the IMSI's first five digits (MCC + two-digit MNC); a three-digit MNC starting with the same digits also matches — give six digits to tell them apart."] : [] };
    }
  }
}
