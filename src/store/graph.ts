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
  /** The IMSI's first six digits (MCC + MNC + one), the APN in lower case (fleet migration 4). */
  mccmnc: string | null;
  apn: string | null;
  /** Whether the device has an MQTT client id (so a broker quarantine can name it). */
  mqtt: boolean;
}

/** Splits the `groups` column (GROUP_SEP-joined, one at each end; '' for none). */
export function groupsOf(column: string): string[] {
  return column === "" ? [] : column.slice(1, -1).split(GROUP_SEP);
}

/** A graph row from the device columns ('' is none in the list columns). */
export function graphDevice(r: { device_id: string; model_id: string | null; firmware_version: string; cert_fingerprint: string | null; country: string; groups: string; mccmnc: string; apn: string; mqtt: number }): GraphDeviceRow {
  return { device_id: r.device_id, model_id: r.model_id, firmware_version: r.firmware_version || null, cert_fingerprint: r.cert_fingerprint, country: r.country || null, groups: groupsOf(r.groups), mccmnc: r.mccmnc || null, apn: r.apn || null, mqtt: r.mqtt === 1 };
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

/** Which devices a what-if question selects, in terms the database can answer with its indexes and device_cells. */
export type DeviceSelector =
  | { model: string; firmware?: string }
  | { cert: string }
  /** Devices whose stored certificate was issued by the CA certificate with this SHA-256. */
  | { issuer_fingerprint: string }
  /** Devices running one of these firmware images. */
  | { images: readonly { model: string; firmware: string }[] }
  | { device_ids: readonly string[] }
  /** Devices whose stored certificate names this issuer (a CA known by name, whatever its key). */
  | { issuer: string }
  /** Devices on this APN (lower case). */
  | { apn: string }
  /** Devices whose IMSI starts with these digits (5 or 6: MCC + MNC). */
  | { mccmnc: string }
  /** The holders of a credential: these devices, and every device of these models (of one firmware version when given). */
  | { holders: CredentialHolders };

/** Who holds one secret, in the fleet: devices that hold it themselves, and models (and firmware) it is set for. */
export interface CredentialHolders {
  device_ids: readonly string[];
  models: readonly { model: string; firmware?: string }[];
}

/** One credential as whatif/ knows it: one service, username and secret, with the holders that are in the fleet. */
export interface CredentialNodeRow extends CredentialHolders {
  /** `DEVICE/SERVICE/USERNAME` or `model:MODEL/SERVICE/USERNAME` of its first stored holder (as respond names credentials). */
  name: string;
}

/** A credential row of a secret's group, as both adapters read it: `first` is the group's first row, `present` whether its device or model (and firmware) is in the fleet. */
export interface CredentialGroupRow {
  id: number;
  device_id: string | null;
  model_id: string | null;
  firmware_version: string | null;
  first: number;
  present: number | boolean;
}

/** Credential nodes from their groups' rows (ordered by id): one per group, in order of its first row, which names it. */
export function credentialNodesOf(rows: readonly CredentialGroupRow[], service: string, username: string): CredentialNodeRow[] {
  const nodes = new Map<number, { name: string; device_ids: string[]; models: { model: string; firmware?: string }[] }>();
  for (const r of rows) {
    let n = nodes.get(r.first);
    if (!n) nodes.set(r.first, (n = { name: r.device_id !== null ? `${r.device_id}/${service}/${username}` : `model:${r.model_id}/${service}/${username}`, device_ids: [], models: [] }));
    if (!r.present) continue;
    if (r.device_id !== null) n.device_ids.push(r.device_id);
    else if (r.model_id !== null) n.models.push(r.firmware_version === null ? { model: r.model_id } : { model: r.model_id, firmware: r.firmware_version });
  }
  return [...nodes.values()];
}

/** One ranked credential: its name (as CredentialNodeRow) and the distinct devices of the fleet that hold it. */
export interface RankedCredentialRow {
  name: string;
  service: string;
  username: string;
  devices: number;
}

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

/** One device a selector picks (affectedDevices). */
export interface AffectedDeviceRow {
  device_id: string;
  model_id: string | null;
  country: string | null;
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
  /** How many devices are stored (as counted at the end of the last import). */
  deviceCount(): Promise<number>;
  /** Counts the selected devices by model, country and groups without reading them one by one. */
  affected(selector: DeviceSelector, sample: number): Promise<AffectedDevices>;
  /**
   * The selected devices themselves, ordered by device_id (byte order): the per-device list of a what-if. One query
   * and one sort (keyset pages would sort what is left of the selection again for every page).
   */
  affectedDevices(selector: DeviceSelector): Promise<AffectedDeviceRow[]>;
  /** The issuer name of the first (by fingerprint) stored device certificate issued by this CA certificate. */
  issuerSubject(issuerFingerprint: string): Promise<string | undefined>;
  /**
   * The credentials (one service, username and secret each) a device holds, or a model (`model: true`) is set for —
   * grouped by secret in the database, the secret never leaving it — in order of their first stored holder; undefined
   * when the device or model is not stored.
   */
  credentialNodes(owner: string, ownerIsModel: boolean, service: string, username: string): Promise<CredentialNodeRow[] | undefined>;
  /**
   * Every credential (service, username, secret) held by at least `minDevices` devices of the fleet, counted in the
   * database: `counted` of them, the largest `limit` (all without one) by devices, then name.
   */
  rankCredentials(minDevices: number, limit?: number): Promise<{ counted: number; nodes: RankedCredentialRow[] }>;
  /** Devices per firmware image (devices with a model and a firmware version), from the counts kept at import. */
  imageCounts(): Promise<{ model_id: string; firmware_version: string; devices: number }[]>;
  /** Devices per model (with a model). */
  modelCounts(): Promise<{ model_id: string; devices: number }[]>;
  /** Devices per stored certificate fingerprint. */
  certificateCounts(): Promise<{ fingerprint: string; devices: number }[]>;
  /** Devices per issuing CA of their stored certificate: by the CA certificate's SHA-256 when known, else by name. */
  caCounts(): Promise<{ issuer_fingerprint: string | null; issuer: string; devices: number }[]>;
  /** Devices per APN (lower case). */
  apnCounts(): Promise<{ apn: string; devices: number }[]>;
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
