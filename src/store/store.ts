/**
 * The Store port. Engines and commands talk to these interfaces only; adapters (sqlite/, later postgres/) implement
 * them. Everything is async so a networked database fits the same shape; bulk operations take and give pages.
 */
import type { CertificateInfo, Credential, Device, DeviceModel } from "../core/fleet.ts";
import type { Finding, FindingStatus } from "../core/finding.ts";
import type { Severity } from "../core/severity.ts";
import type { Alert, AlertState, Verification } from "../core/record.ts";

/** A device as stored: the inventory fields plus what import derived from them. */
export type StoredDevice = Device & { cert_fingerprint?: string };

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
  doc: string;
}

export function serializeDevice(d: StoredDevice): SerializedDevice {
  return { device_id: d.device_id, model_id: d.model_id ?? null, cert_fingerprint: d.cert_fingerprint ?? null, doc: JSON.stringify(d) };
}

/**
 * One inventory import, applied atomically: nothing is visible until `commit`, and `abort` (or a crash) leaves the
 * store as it was. Devices are upserted by device_id, so importing the same file twice changes nothing.
 */
export interface DeviceImport {
  upsert(devices: readonly SerializedDevice[]): Promise<void>;
  /** `prune` deletes the devices this import did not contain instead of only reporting them. */
  commit(opts?: { prune?: boolean }): Promise<ImportSummary>;
  abort(): Promise<void>;
}

export interface FleetRepository {
  beginDeviceImport(source: string): Promise<DeviceImport>;
  upsertModels(models: readonly DeviceModel[]): Promise<void>;
  upsertCredentials(credentials: readonly Credential[]): Promise<void>;
  upsertCertificates(certs: readonly CertificateInfo[]): Promise<void>;
  models(): Promise<DeviceModel[]>;
  /** Credentials that apply to all devices of a model (optionally of one firmware version). */
  modelCredentials(): Promise<Credential[]>;
  /** Every device with its certificate and credentials, in pages, in a stable order. */
  devicePages(pageSize?: number): AsyncIterable<FleetDevice[]>;
  getDevice(deviceId: string): Promise<FleetDevice | undefined>;
  /** The model of each given device that exists and has one; for resolving findings to models a page at a time. */
  deviceModels(deviceIds: readonly string[]): Promise<Map<string, string>>;
  counts(): Promise<{ devices: number; models: number; credentials: number; certificates: number }>;
}

export interface Suppression {
  id: number;
  rule: string;
  /** One finding; when absent, `device_id` or the whole rule. */
  fingerprint?: string;
  device_id?: string;
  reason: string;
  expires?: string;
  created_at: string;
}

export type NewSuppression = Omit<Suppression, "id" | "created_at">;

export interface ScanInfo {
  id: number;
  started_at: string;
  finished_at?: string;
  rules: string[];
  counts: Partial<Record<Severity, number>>;
}

export interface FindingRepository {
  beginScan(startedAt: string, rules: readonly string[]): Promise<number>;
  /**
   * Records this scan's findings and returns the status each one gets: `suppressed` when it carries a suppression,
   * `new` when its fingerprint was not open before (first seen, or back after a fix), `unchanged` otherwise.
   */
  record(scanId: number, findings: readonly Finding[]): Promise<FindingStatus[]>;
  /** Marks open findings of the scanned rules that this scan did not see as fixed, and returns them. */
  finishScan(scanId: number, finishedAt: string, counts: ScanInfo["counts"]): Promise<Finding[]>;
  latestScan(): Promise<ScanInfo | undefined>;
  /** Findings of the latest scan (open ones, including suppressed), in pages. */
  current(pageSize?: number): AsyncIterable<Finding[]>;
  addSuppression(s: NewSuppression, createdAt: string): Promise<Suppression>;
  removeSuppression(id: number): Promise<boolean>;
  suppressions(): Promise<Suppression[]>;
}

export interface AlertFilter {
  state?: AlertState;
  detector?: string;
  device_id?: string;
  /** At least this severe. */
  severity?: Severity;
  limit?: number;
}

/** Suppresses a detector's alerts (on one device, for one key) until `expires`. */
export interface AlertSuppression {
  id: number;
  detector: string;
  device_id?: string;
  key?: string;
  reason: string;
  expires?: string;
  created_at: string;
}

export interface AlertRepository {
  /**
   * Records alerts from a detection run. A stored alert keeps what people decided (state, verification); the run
   * updates its count, last_seen and evidence, and may resolve it.
   */
  upsert(alerts: readonly Alert[], at: string): Promise<void>;
  get(id: string): Promise<Alert | undefined>;
  /** Newest first. */
  list(filter?: AlertFilter): Promise<Alert[]>;
  setState(id: string, state: AlertState, note: string | undefined, at: string): Promise<Alert | undefined>;
  /** Records a verdict; a benign one is queued as feedback for the next detection run (`pendingFeedback`). */
  verify(id: string, verification: Verification, note: string | undefined, at: string): Promise<Alert | undefined>;
  pendingFeedback(): Promise<Alert[]>;
  markFeedbackApplied(ids: readonly string[]): Promise<void>;
  addSuppression(s: Omit<AlertSuppression, "id" | "created_at">, createdAt: string): Promise<AlertSuppression>;
  removeSuppression(id: number): Promise<boolean>;
  suppressions(): Promise<AlertSuppression[]>;
}

/** A saved self-assessment (certify/): the whole report document, kept so that later ones can be compared with it. */
export interface StoredAssessment {
  id: number;
  model_id: string;
  /** Catalogue key, e.g. `etsi-en-303-645-v3.1.3`. */
  standard: string;
  created_at: string;
  doc: unknown;
}

export interface AssessmentRepository {
  save(a: Omit<StoredAssessment, "id">): Promise<number>;
  get(id: number): Promise<StoredAssessment | undefined>;
  /** Newest first. */
  list(filter: { model_id?: string; standard?: string; limit?: number }): Promise<Omit<StoredAssessment, "doc">[]>;
}

export interface Store {
  readonly fleet: FleetRepository;
  readonly findings: FindingRepository;
  readonly alerts: AlertRepository;
  readonly assessments: AssessmentRepository;
  close(): Promise<void>;
}
