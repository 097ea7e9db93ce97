/**
 * Port: the rows the what-if fleet graph (whatif/) is built from — devices with the fields that link them to other
 * nodes, certificates with their issuers, credentials grouped by secret, firmware components, and endpoints seen in
 * flows. Narrow rows read in pages, so a million devices cost one pass over each table. Nothing here returns a secret:
 * credentials carry a number that is equal exactly when two stored secrets are equal. Also the stored `whatif --all`
 * ranking (whatif/stored.ts), the one thing of this area that is written.
 */

import { GROUP_SEP } from "./rows.ts";

export interface GraphDeviceRow {
  device_id: string;
  model_id: string | null;
  firmware_version: string | null;
  cert_fingerprint: string | null;
  country: string | null;
  groups: string[];
  imsi: string | null;
  iccid: string | null;
  sim_apn: string | null;
  mqtt_client_id: string | null;
}

/** Splits the `groups` column (GROUP_SEP-joined, one at each end; '' for none). */
export function groupsOf(column: string): string[] {
  return column === "" ? [] : column.slice(1, -1).split(GROUP_SEP);
}

/** The graph's fields of a stored device document (both adapters read the document and call this). */
export function graphDevice(device_id: string, model_id: string | null, cert_fingerprint: string | null, doc: string): GraphDeviceRow {
  const d = JSON.parse(doc) as Partial<Record<"firmware_version" | "country" | "imsi" | "iccid" | "sim_apn" | "mqtt_client_id", string>> & { groups?: string[] };
  return { device_id, model_id, firmware_version: d.firmware_version ?? null, cert_fingerprint, country: d.country ?? null, groups: d.groups ?? [], imsi: d.imsi ?? null, iccid: d.iccid ?? null, sim_apn: d.sim_apn ?? null, mqtt_client_id: d.mqtt_client_id ?? null };
}

export interface GraphCertificateRow {
  fingerprint: string;
  subject: string;
  issuer: string;
  /** SHA-256 of the issuing certificate, when the device's certificate file carried it. */
  issuer_fingerprint: string | null;
}

export interface GraphCredentialRow {
  device_id: string | null;
  model_id: string | null;
  firmware_version: string | null;
  service: string;
  username: string;
  /** Within one read of `credentials()`: equal for two rows exactly when their stored secrets (kind and hash or digest) are equal; 1, 2, 3 … */
  secret_group: number;
}

export interface GraphComponentRow {
  model_id: string;
  firmware_version: string;
  name: string;
  version: string | null;
  purl: string | null;
}

export interface GraphEndpointRow {
  destination: string;
  devices: number;
}

/** Which devices a what-if question selects, in terms the database can answer with its indexes. */
export type DeviceSelector =
  | { model: string; firmware?: string }
  | { cert: string }
  /** Devices whose stored certificate was issued by the CA certificate with this SHA-256. */
  | { issuer_fingerprint: string }
  /** Devices running one of these firmware images. */
  | { images: readonly { model: string; firmware: string }[] }
  | { device_ids: readonly string[] };

/** The selected devices, counted in the database: one row per (model, firmware, country, groups) and what the response plan needs. */
export interface AffectedDevices {
  rows: { model_id: string | null; firmware_version: string | null; country: string | null; groups: string[]; devices: number }[];
  /** Selected devices with an MQTT client id, and the first `sample` of them in devices() order. */
  mqtt: number;
  mqtt_sample: string[];
  /** Distinct certificates of the selected devices, and the first `sample` fingerprints in byte order. */
  certificates: number;
  certificate_sample: string[];
}

/** One kind of node in the stored `whatif --all` ranking: when it was ranked and over how big a fleet. */
export interface StoredRankingKind {
  kind: string;
  computed_at: string;
  fleet_devices: number;
  /** Nodes of this kind the ranking counted (more than are kept when the kind has many). */
  counted: number;
  /** What ranked it: `whatif` (the CLI) or `scan-job` (after a scan through the service). */
  source: string;
}

/** A stored ranked node; `pos` is its rank within its kind, from 0. */
export interface StoredRankingNode {
  kind: string;
  pos: number;
  target: string;
  label: string;
  devices: number;
}

export interface GraphRepository {
  /** How many devices are stored. */
  deviceCount(): Promise<number>;
  /** Counts the selected devices by model, country and groups without reading them one by one. */
  affected(selector: DeviceSelector, sample: number): Promise<AffectedDevices>;
  /** The issuer name of the first (by fingerprint) stored device certificate issued by this CA certificate. */
  issuerSubject(issuerFingerprint: string): Promise<string | undefined>;
  /** Every device, ordered by device_id (byte order). */
  devices(pageSize?: number): AsyncIterable<GraphDeviceRow[]>;
  /** Every stored certificate, ordered by fingerprint. */
  certificates(pageSize?: number): AsyncIterable<GraphCertificateRow[]>;
  /** Every credential (device- and model-scoped), in insertion order. */
  credentials(pageSize?: number): AsyncIterable<GraphCredentialRow[]>;
  /** Every component of every imported firmware inventory, ordered by model, firmware version, position. */
  components(pageSize?: number): AsyncIterable<GraphComponentRow[]>;
  /** Distinct devices per destination seen in flows, most devices first, then by destination. */
  endpoints(): Promise<GraphEndpointRow[]>;
  /**
   * Devices seen talking to an endpoint — an exact name, `.example.com` for a domain and its subdomains, or an
   * address — optionally on one remote port; ordered by device id.
   */
  endpointDevices(endpoint: string, port?: number): Promise<string[]>;
  /** Replaces the stored ranking of each kind given (its nodes and when it was ranked); other kinds are kept. */
  saveRanking(kinds: readonly StoredRankingKind[], nodes: readonly StoredRankingNode[]): Promise<void>;
  /** Which kinds have a stored ranking, by kind. */
  rankingKinds(): Promise<StoredRankingKind[]>;
  /** The stored nodes of these kinds with pos < limit, by kind and pos. */
  rankingNodes(kinds: readonly string[], limit: number): Promise<StoredRankingNode[]>;
  /** When devices were last imported (ISO 8601), to tell a stored ranking older than the fleet it describes. */
  lastDeviceImport(): Promise<string | undefined>;
}
