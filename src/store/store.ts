/**
 * The Store port. Engines and commands talk to these interfaces only; adapters (sqlite/, later postgres/) implement
 * them. Everything is async so a networked database fits the same shape; bulk operations take and give pages.
 */
import type { Advisory, Affected, EpssScore, KevEntry } from "../core/advisory.ts";
import type { SbomFormat, StoredComponent, VexStatement } from "../core/component.ts";
import type { CertificateInfo, Credential, Device, DeviceModel } from "../core/fleet.ts";
import type { Finding, FindingStatus } from "../core/finding.ts";
import type { Severity } from "../core/severity.ts";
import type { Alert, AlertState, Verification } from "../core/record.ts";
import type { LogEntry, ResponseRecord, ResponseState } from "../core/response.ts";

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
  /** Where it was in the import's file, to name the first occurrence when the id appears again. */
  line?: number;
}

export function serializeDevice(d: StoredDevice): SerializedDevice {
  return { device_id: d.device_id, model_id: d.model_id ?? null, cert_fingerprint: d.cert_fingerprint ?? null, doc: JSON.stringify(d) };
}

/** A device id that appeared earlier in the same import: the later record was not written. */
export interface DuplicateDevice {
  index: number;
  firstLine: number | undefined;
}

/**
 * One inventory import, applied atomically: nothing is visible until `commit`, and `abort` (or a crash) leaves the
 * store as it was. Devices are upserted by device_id, so importing the same file twice changes nothing.
 */
export interface DeviceImport {
  /** Writes the devices; a device_id this import already wrote is left alone and returned as a duplicate. */
  upsert(devices: readonly SerializedDevice[]): Promise<DuplicateDevice[]>;
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

/** The component inventory of one firmware image: a device model at one firmware version. */
export interface SbomRecord {
  model_id: string;
  firmware_version: string;
  format: SbomFormat;
  /** The file it was imported from. */
  source: string;
  imported_at: string;
  component_count: number;
  describes?: string;
}

/** An advisory as the matcher needs it (without its affected list). */
export type AdvisoryInfo = Omit<Advisory, "affected">;

/** What one write of feed data did to the stored advisories. */
export interface FeedWriteCounts {
  added: number;
  updated: number;
  /** Same id and same content as stored. */
  unchanged: number;
  /** Same id but older `modified` than stored: the stored one is kept. */
  older: number;
  kev: number;
  epss: number;
  vex: number;
}

/**
 * Writes feed data as one unit: nothing is visible until `commit`, and `rollback` (or a crash) leaves the store as it
 * was. Importers stream files through `put*` and commit once at the end.
 */
export interface FeedWriter {
  putAdvisories(advisories: readonly Advisory[]): FeedWriteCounts;
  putKev(entries: readonly KevEntry[]): void;
  putEpss(scores: readonly EpssScore[]): void;
  /** Replaces every statement that came from `source` (a CSAF document id) with these. */
  replaceVex(source: string, statements: readonly VexStatement[]): void;
  recordFeed(kind: string, source: string, detail: Record<string, unknown>): void;
  commit(): Promise<FeedWriteCounts>;
  rollback(): Promise<void>;
}

export interface VulnCounts {
  sboms: number;
  components: number;
  advisories: number;
  affected: number;
  kev: number;
  epss: number;
  vex: number;
}

export interface FeedImportInfo {
  kind: string;
  source: string;
  imported_at: string;
  detail: Record<string, unknown>;
}

export interface VulnRepository {
  /** Replaces the inventory of one firmware image (and the VEX statements embedded in it) in one transaction. */
  replaceSbom(sbom: SbomRecord, components: readonly StoredComponent[], vex: readonly VexStatement[]): Promise<{ replaced: boolean }>;
  sboms(): Promise<SbomRecord[]>;
  /**
   * The inventory of one firmware image. With `shared`, a component stored identically in several images is returned
   * as one shared (read-only) object, so fleet-wide matching parses and matches it once.
   */
  components(modelId: string, firmwareVersion: string, shared?: Map<string, StoredComponent>): Promise<StoredComponent[]>;
  beginFeedImport(): Promise<FeedWriter>;
  /** Affected entries filed under these keys; `knownExploited` keeps only advisories about a CVE in the KEV catalogue. */
  affectedByKeys(keys: readonly string[], opts?: { knownExploited?: boolean }): Promise<Map<string, { advisory_id: string; affected: Affected }[]>>;
  advisories(ids: readonly string[]): Promise<Map<string, AdvisoryInfo>>;
  /** Every advisory known by any of these ids (its own id or an alias), e.g. NVD's record for a CVE a distro feed matched. */
  advisoriesAbout(vulnIds: readonly string[]): Promise<AdvisoryInfo[]>;
  kev(cveIds: readonly string[]): Promise<Map<string, KevEntry>>;
  epss(cveIds: readonly string[]): Promise<Map<string, EpssScore>>;
  /** Statements about any of these vulnerability ids. */
  vex(vulnIds: readonly string[]): Promise<VexStatement[]>;
  counts(): Promise<VulnCounts>;
  feedImports(): Promise<FeedImportInfo[]>;
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

export interface ResponseFilter {
  state?: ResponseState;
  action?: string;
  target_id?: string;
  limit?: number;
}

/** A certificate marked revoked by a response, with what the store knows of it. */
export interface RevokedCertificate {
  fingerprint: string;
  reason: string;
  revoked_at: string;
  response_id: string;
  subject?: string;
  issuer?: string;
  serial?: string;
  not_after?: string;
  devices: string[];
}

export interface RotationTask {
  id: number;
  credential: string;
  devices: string[];
  reason: string;
  state: "open" | "closed";
  response_id: string;
  opened_at: string;
  closed_at?: string;
  note?: string;
}

/**
 * Responses (respond/), their append-only hash-chained log, and the records the certificate and credential actions
 * keep. The log is written only through `appendLog`, which reads the previous line's hash and writes the next line
 * in one transaction, so two writers cannot fork the chain.
 */
export interface ResponseRepository {
  insert(r: ResponseRecord): Promise<void>;
  get(id: string): Promise<ResponseRecord | undefined>;
  /** Stores `r` if the stored version is `r.version - 1`; false when someone else changed it first. */
  update(r: ResponseRecord): Promise<boolean>;
  /** Newest first. */
  list(filter?: ResponseFilter): Promise<ResponseRecord[]>;
  /** A response for this action and target that is still under way (not reversed, rejected or failed). */
  openFor(action: string, targetId: string): Promise<ResponseRecord | undefined>;
  /** Distinct targets of automatic responses applied at or after `since`. */
  automaticTargetsSince(since: string): Promise<number>;
  /** Automatic responses whose time-to-live has run out and that nobody confirmed. */
  expired(now: string): Promise<ResponseRecord[]>;
  appendLog(entry: Omit<LogEntry, "seq" | "prev_hash" | "hash">, hash: (e: Omit<LogEntry, "hash">) => string): Promise<LogEntry>;
  /** The log in order, in pages. */
  log(pageSize?: number): AsyncIterable<LogEntry[]>;
  setting(key: string): Promise<unknown>;
  setSetting(key: string, value: unknown): Promise<void>;
  revoke(fingerprint: string, reason: string, responseId: string, at: string): Promise<{ alreadyRevoked: boolean }>;
  unrevoke(fingerprint: string): Promise<boolean>;
  revoked(fingerprint?: string): Promise<RevokedCertificate[]>;
  openTask(t: { credential: string; devices: string[]; reason: string; responseId: string; at: string }): Promise<{ id: number; existing: boolean }>;
  closeTask(id: number, note: string, at: string): Promise<boolean>;
  tasks(filter?: { id?: number; state?: "open" | "closed" }): Promise<RotationTask[]>;
  /** Devices that share the credential named `DEVICE/SERVICE/USERNAME` (same service, username and secret) or, for `model:MODEL/…`, every device of the model. */
  devicesSharingCredential(credential: string): Promise<string[]>;
  certificateDevices(fingerprint: string): Promise<string[]>;
}

export interface Store {
  readonly fleet: FleetRepository;
  readonly findings: FindingRepository;
  readonly vulns: VulnRepository;
  readonly alerts: AlertRepository;
  readonly assessments: AssessmentRepository;
  readonly responses: ResponseRepository;
  close(): Promise<void>;
}
