/**
 * The test oracle of what-if (whatif/ answers every question in the database; graph-compromise.ts, graph-rank.ts):
 * the fleet graph, device → model, firmware image, certificate → issuing CA, credential (by shared secret),
 * SIM → provider (IMSI prefix, APN), plus firmware image → components and endpoint → devices. Built from the store in
 * pages into typed arrays indexed by a dense device number (one Int32 per device and edge kind, strings interned once),
 * so a million devices are a few tens of megabytes and every question is a pass over arrays. Layers a question does
 * not need (certificates, credentials, components) are not read.
 */
import type { DeviceModel } from "../../src/core/fleet.ts";
import type { StoreTx } from "../../src/store/store.ts";
import { componentKey } from "../../src/whatif/target.ts";

/** Strings interned to dense numbers. */
export class Dict {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  of(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(s);
      this.index.set(s, i);
    }
    return i;
  }
  get(s: string): number | undefined {
    return this.index.get(s);
  }
  get size(): number {
    return this.names.length;
  }
}

/** A growable Int32 column. */
class Column {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export interface CaNode {
  /** SHA-256 of the CA certificate when known; otherwise the CA is known by its subject only. */
  fingerprint?: string;
  subject: string;
}

/** Devices holding one secret: directly (device-scoped credentials) or through their model (and firmware). */
export interface CredentialNode {
  /** `DEVICE/SERVICE/USERNAME` or `model:MODEL/SERVICE/USERNAME` of the first holder, as respond names credentials. */
  name: string;
  service: string;
  username: string;
  devices: number[];
  models: { model: number; image?: number }[];
}

export interface ComponentNode {
  /** purl (without qualifiers) or name@version. */
  key: string;
  name: string;
  version?: string;
  images: Set<number>;
}

export type GraphLayer = "certificates" | "credentials" | "components";

export interface FleetGraph {
  size: number;
  ids: string[];
  models: Dict;
  /** The stored model documents by model id. */
  modelDocs: Map<string, DeviceModel>;
  model: Int32Array;
  /** Firmware images `MODEL@VERSION`. */
  images: Dict;
  image: Int32Array;
  countries: Dict;
  country: Int32Array;
  groups: Dict;
  /** CSR: the groups of device i are groupList[groupStart[i] .. groupStart[i+1]). */
  groupStart: Int32Array;
  groupList: Int32Array;
  certs: Dict;
  cert: Int32Array;
  /** 6-digit IMSI prefixes (MCC + 2- or 3-digit MNC and the next digit); matched by prefix. */
  imsiPrefixes: Dict;
  imsiPrefix: Int32Array;
  apns: Dict;
  apn: Int32Array;
  /** 1 when the device has an MQTT client id (so a broker quarantine can name it). */
  mqtt: Uint8Array;
  layers: Set<GraphLayer>;
  /** CA of each certificate (index into `cas`), -1 when unknown; filled by the certificates layer. */
  certCa: Int32Array;
  cas: CaNode[];
  credentials: CredentialNode[];
  components: ComponentNode[];
  /** Lazily built device id → index. */
  indexOf(id: string): number | undefined;
}

const str = (d: Dict, s: string | null) => (s === null || s === "" ? -1 : d.of(s));

export async function buildGraph(store: StoreTx, layers: readonly GraphLayer[] = []): Promise<FleetGraph> {
  const ids: string[] = [];
  const models = new Dict(), images = new Dict(), countries = new Dict(), groups = new Dict(), certs = new Dict(), imsiPrefixes = new Dict(), apns = new Dict();
  const model = new Column(), image = new Column(), country = new Column(), cert = new Column(), imsiPrefix = new Column(), apn = new Column(), groupList = new Column(), groupStart = new Column();
  const flags: number[] = [];
  for await (const page of store.graph.devices()) {
    for (const d of page) {
      ids.push(d.device_id);
      model.push(str(models, d.model_id));
      image.push(d.model_id !== null && d.firmware_version !== null ? images.of(`${d.model_id}@${d.firmware_version}`) : -1);
      country.push(str(countries, d.country));
      cert.push(str(certs, d.cert_fingerprint));
      imsiPrefix.push(str(imsiPrefixes, d.mccmnc));
      apn.push(str(apns, d.apn));
      groupStart.push(groupList.length);
      for (const g of d.groups) groupList.push(groups.of(g));
      flags.push(d.mqtt ? 1 : 0);
    }
  }
  groupStart.push(groupList.length);
  const size = ids.length;
  const mqtt = Uint8Array.from(flags);
  const modelDocs = new Map((await store.fleet.models()).map((m) => [m.model_id, m]));
  let byId: Map<string, number> | undefined;
  const g: FleetGraph = {
    size, ids, models, modelDocs, model: model.done(), images, image: image.done(), countries, country: country.done(), groups,
    groupStart: groupStart.done(), groupList: groupList.done(), certs, cert: cert.done(), imsiPrefixes, imsiPrefix: imsiPrefix.done(), apns, apn: apn.done(),
    mqtt, layers: new Set(), certCa: new Int32Array(0), cas: [], credentials: [], components: [],
    indexOf(id) {
      byId ??= new Map(ids.map((x, i) => [x, i]));
      return byId.get(id);
    },
  };
  for (const l of layers) await addLayer(store, g, l);
  return g;
}

export async function addLayer(store: StoreTx, g: FleetGraph, layer: GraphLayer): Promise<void> {
  if (g.layers.has(layer)) return;
  g.layers.add(layer);
  if (layer === "certificates") await certificates(store, g);
  else if (layer === "credentials") await credentials(store, g);
  else await components(store, g);
}

async function certificates(store: StoreTx, g: FleetGraph): Promise<void> {
  g.certCa = new Int32Array(g.certs.size).fill(-1);
  const caIndex = new Map<string, number>();
  for await (const page of store.graph.certificates()) {
    for (const c of page) {
      const i = g.certs.get(c.fingerprint);
      if (i === undefined) continue;
      // A CA is its certificate when the device's file carried it, otherwise its name: two CAs with one name and
      // different keys are then one node (the report says the CA is known by name only).
      const key = c.issuer_fingerprint ?? `dn:${c.issuer}`;
      let ca = caIndex.get(key);
      if (ca === undefined) {
        ca = g.cas.length;
        g.cas.push(c.issuer_fingerprint ? { fingerprint: c.issuer_fingerprint, subject: c.issuer } : { subject: c.issuer });
        caIndex.set(key, ca);
      }
      g.certCa[i] = ca;
    }
  }
}

async function credentials(store: StoreTx, g: FleetGraph): Promise<void> {
  const bySecret = new Map<string, CredentialNode>();
  for await (const page of store.graph.credentials()) {
    for (const c of page) {
      // One node per service, username and secret: what respond's credential-rotate and `cert-shared` call one credential.
      const key = `${c.service}\u0000${c.username}\u0000${c.secret_group}`;
      let node = bySecret.get(key);
      const name = c.device_id !== null ? `${c.device_id}/${c.service}/${c.username}` : `model:${c.model_id}/${c.service}/${c.username}`;
      if (!node) bySecret.set(key, (node = { name, service: c.service, username: c.username, devices: [], models: [] }));
      if (c.device_id !== null) {
        const i = g.indexOf(c.device_id);
        if (i !== undefined) node.devices.push(i);
      } else if (c.model_id !== null) {
        const m = g.models.get(c.model_id);
        if (m === undefined) continue;
        if (c.firmware_version === null) node.models.push({ model: m });
        else {
          const image = g.images.get(`${c.model_id}@${c.firmware_version}`);
          if (image !== undefined) node.models.push({ model: m, image });
        }
      }
    }
  }
  g.credentials = [...bySecret.values()];
}

async function components(store: StoreTx, g: FleetGraph): Promise<void> {
  const byKey = new Map<string, ComponentNode>();
  for await (const page of store.graph.components()) {
    for (const c of page) {
      const image = g.images.get(`${c.model_id}@${c.firmware_version}`);
      if (image === undefined) continue; // an inventory of firmware no stored device runs
      const key = componentKey(c);
      let node = byKey.get(key);
      if (!node) byKey.set(key, (node = c.version !== null ? { key, name: c.name, version: c.version, images: new Set() } : { key, name: c.name, images: new Set() }));
      node.images.add(image);
    }
  }
  g.components = [...byKey.values()];
}
