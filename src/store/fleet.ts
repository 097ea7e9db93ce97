/** Port: the fleet (devices, models, credentials, certificates) and inventory imports. */
import type { CertificateInfo, Credential, Device, DeviceModel } from "../core/fleet.ts";
import { GROUP_SEP } from "./rows.ts";
import type { ImportTracking } from "./derived.ts";

/** An inventory field import left out because its value was invalid (the device was kept without it). */
export interface InvalidField {
  field: string;
  reason: string;
  /** Line of the inventory file the device was on. */
  line?: number;
}

/** A device as stored: the inventory fields plus what import derived from them. */
export type StoredDevice = Device & { cert_fingerprint?: string; invalid_fields?: InvalidField[] };

/** A device joined with what rules look at: its certificate and its own (device-scoped) credentials. */
export interface FleetDevice {
  device: StoredDevice;
  certificate?: CertificateInfo;
  credentials: Credential[];
}

export interface ImportSummary {
  importId: number;
  /** Devices in the store that this import did not contain (kept, not deleted). */
  missingCount: number;
  missingSample: string[];
}

/** A device ready for the store: its JSON document and the fields queries need. */
export interface SerializedDevice {
  device_id: string;
  model_id: string | null;
  cert_fingerprint: string | null;
  /** The fields device lists filter on ('' when absent); `groups` joined by GROUP_SEP with one at each end. */
  firmware_version: string;
  country: string;
  provider: string;
  groups: string;
  /** What the what-if graph links by (fleet migration 4): 1 with an MQTT client id, the APN in lower case, the IMSI's first six digits ('' when absent). */
  mqtt: 0 | 1;
  apn: string;
  mccmnc: string;
  doc: string;
  /** Where it was in the import's file, to name the first occurrence when the id appears again. */
  line?: number;
}

export function serializeDevice(d: StoredDevice, line?: number): SerializedDevice {
  const s: SerializedDevice = {
    device_id: d.device_id,
    model_id: d.model_id ?? null,
    cert_fingerprint: d.cert_fingerprint ?? null,
    firmware_version: d.firmware_version ?? "",
    country: d.country ?? "",
    provider: d.sim_provider ?? "",
    groups: d.groups?.length ? GROUP_SEP + d.groups.join(GROUP_SEP) + GROUP_SEP : "",
    mqtt: d.mqtt_client_id !== undefined ? 1 : 0,
    apn: d.sim_apn?.toLowerCase() ?? "",
    mccmnc: d.imsi !== undefined && d.imsi.length >= 6 ? d.imsi.slice(0, 6) : "",
    doc: JSON.stringify(d),
  };
  if (line !== undefined) s.line = line;
  return s;
}

/** A device id that appeared earlier in the same import: the later record was not written. */
export interface DuplicateDevice {
  index: number;
  firstLine: number | undefined;
}

/**
 * One inventory import in progress: a value the caller holds and passes back (the adapter keeps nothing between
 * calls). `written` counts the devices upserted so far; `upsertDevices` advances it. `derived` is the adapter's: what
 * the import changes in the derived device tables so far (derived.ts).
 */
export interface DeviceImportRun {
  readonly id: number;
  readonly source: string;
  written: number;
  derived?: ImportTracking;
}

export interface FleetCounts {
  devices: number;
  models: number;
  credentials: number;
  certificates: number;
}

export interface FleetRepository {
  /**
   * Starts an inventory import. Runs inside `store.transaction()` (it throws otherwise), so the import is atomic with
   * the transaction: nothing is visible until it commits, and a rollback or a crash leaves the store as it was.
   * Imports into the same store wait for each other (also across processes).
   */
  startImport(source: string): Promise<DeviceImportRun>;
  /**
   * Upserts devices by device_id (importing the same file twice changes nothing); a device_id this import already
   * wrote is left alone and returned as a duplicate.
   */
  upsertDevices(run: DeviceImportRun, devices: readonly SerializedDevice[]): Promise<DuplicateDevice[]>;
  /** Reports the stored devices this import did not contain; `prune` deletes them (and their credentials). */
  finishImport(run: DeviceImportRun, opts?: { prune?: boolean }): Promise<ImportSummary>;
  upsertModels(models: readonly DeviceModel[]): Promise<void>;
  upsertCredentials(credentials: readonly Credential[]): Promise<void>;
  /**
   * Devices already stored with one of these certificates take its issuer, and device_cells counts them under it.
   * Given the import it is part of, that change is written with the rest of the import's in `finishImport`.
   */
  upsertCertificates(certs: readonly CertificateInfo[], run?: DeviceImportRun): Promise<void>;
  /** Ordered by model_id. */
  models(): Promise<DeviceModel[]>;
  /** Credentials that apply to all devices of a model (optionally of one firmware version), in insertion order. */
  modelCredentials(): Promise<Credential[]>;
  /**
   * Every device with its certificate and credentials, in pages, in a stable order; `exceptImport` leaves out the
   * devices that import wrote (for auditing the rest of the fleet after auditing an import as it streamed in).
   */
  devicePages(pageSize?: number, opts?: { exceptImport?: number }): AsyncIterable<FleetDevice[]>;
  /** Adds the stored credentials and certificates to device documents already in hand (e.g. just imported). */
  withRelations(devices: StoredDevice[]): Promise<FleetDevice[]>;
  /** Which of the given device ids the store holds. */
  knownDevices(deviceIds: readonly string[]): Promise<Set<string>>;
  getDevice(deviceId: string): Promise<FleetDevice | undefined>;
  /** The model of each given device that exists and has one; for resolving findings to models a page at a time. */
  deviceModels(deviceIds: readonly string[]): Promise<Map<string, string>>;
  counts(): Promise<FleetCounts>;
}
