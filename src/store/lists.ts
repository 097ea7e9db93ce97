/**
 * Port: the lists people page through (the service's `GET /api/v1/devices|findings|alerts|…` and the dashboard).
 * Every list takes filters named like the fields, a sort on an indexed column, a page size and an opaque page token,
 * and answers `{ items, next_page_token, total }` (FORMATS.md "Service"). Pages are keyset pages: the token carries
 * the last row's sort key, so page 1,000 costs what page 1 costs and rows written meanwhile never shift a page.
 * Totals are bounded: counted up to `total_cap` (default 10,000), then reported as `at_least`, so a count never
 * reads a million rows to draw "10,000+". Reached as `store.lists` (a repository like the others); page.ts has the
 * token codec and `exportPages`, the streaming export over any list.
 */
import type { Advisory } from "../core/advisory.ts";
import type { Finding, FindingStatus } from "../core/finding.ts";
import type { Alert, AlertState } from "../core/record.ts";
import type { Severity } from "../core/severity.ts";
import type { AlertEvent, AlertSuppression } from "./alerts.ts";
import type { StoredDevice } from "./fleet.ts";
import type { ScanInfo, Suppression } from "./findings.ts";

export interface Total {
  count: number;
  /** `exact`: count is the number of matching rows; `at_least`: there are more than the cap, count is the cap. */
  type: "exact" | "at_least";
}

export interface Page<T> {
  items: T[];
  /** Pass back as `page_token` for the next page; null on the last page. */
  next_page_token: string | null;
  /** Absent when the query asked for no total (`total_cap: 0`). */
  total?: Total;
}

/** What every list takes besides its filters. */
export interface PageQuery<S extends string = string> {
  /** 1–1000; default 50. */
  page_size?: number;
  /** From the previous page; refused (`usage`, field page_token) when it was made for another list, filter or sort. */
  page_token?: string;
  sort?: S;
  order?: "asc" | "desc";
  /** Count matches up to this many (default 10,000, at most 100,000); 0: no total. */
  total_cap?: number;
}

/** Half-open time range on a list's time column (ISO 8601): `since` ≤ t < `until`. */
export interface TimeRange {
  since?: string;
  until?: string;
}

/** Devices: each filter narrows (AND); values match exactly. */
export interface DeviceQuery extends PageQuery<"device_id" | "country" | "provider"> {
  device_id_prefix?: string;
  model_id?: string;
  firmware_version?: string;
  /** Devices that belong to this group. */
  group?: string;
  country?: string;
  /** The connectivity provider (the device's `sim_provider`). */
  provider?: string;
  /** Devices a coverage count counted (see Coverage): no firmware inventory, no certificate, no credentials, no traffic. */
  missing?: CoverageGap;
}

export type CoverageGap = "firmware_inventory" | "certificate" | "credentials" | "traffic";

/** Findings of the latest scan (fixed ones only when `status: "fixed"` is asked for). */
export interface FindingQuery extends PageQuery<"severity" | "rule" | "id"> {
  rule?: string;
  /** At least this severe. */
  severity?: Severity;
  status?: FindingStatus;
  /** Findings about this device (its own, and group findings that list it). */
  device_id?: string;
  model_id?: string;
  /** Of devices with this firmware / group / country / provider (device findings only). */
  firmware_version?: string;
  group?: string;
  country?: string;
  provider?: string;
}

/** One row per rule of the latest scan's open findings: how many findings, and how many distinct devices they touch. */
export interface FindingGroup {
  rule: string;
  /** The most severe of the rule's findings. */
  severity: Severity;
  findings: number;
  /**
   * Distinct devices the rule's findings are about; when some findings say how many devices they reach without
   * listing them (Finding.reach: single-point-of-compromise), at least the largest reach (`devices_at_least`).
   */
  devices: number;
  /** Present when `devices` is a lower bound: findings that reach devices they do not list may overlap. */
  devices_at_least?: true;
  /** The largest reach of the rule's findings that list no devices (absent when every finding lists its devices). */
  reach?: number;
  new: number;
  suppressed: number;
}

export type FindingGroupQuery = Pick<FindingQuery, "rule" | "severity" | "status" | "model_id">;

export interface AlertQuery extends PageQuery<"last_seen" | "first_seen" | "severity">, TimeRange {
  detector?: string;
  device_id?: string;
  model_id?: string;
  /** At least this severe. */
  severity?: Severity;
  state?: AlertState;
  verification?: Alert["verification"];
  assignee?: string;
  /** Which time `since`/`until` bound (default last_seen). */
  time?: "last_seen" | "first_seen";
}

export type ScanQuery = PageQuery<"id"> & TimeRange;

export interface SuppressionQuery extends PageQuery<"id"> {
  rule?: string;
  device_id?: string;
}

export interface AlertSuppressionQuery extends PageQuery<"id"> {
  detector?: string;
  device_id?: string;
}

export interface AdvisoryQuery extends PageQuery<"id"> {
  /** The feed it came from (osv, nvd, csaf …). */
  source?: string;
  /** Advisories about a CVE in the KEV catalogue only. */
  known_exploited?: boolean;
  /** Advisories known by this id or alias. */
  vuln_id?: string;
}

export type AdvisoryListItem = Omit<Advisory, "affected">;

/** Every change people made to alerts, newest first: the audit trail of triage. */
export interface AlertEventQuery extends PageQuery<"at">, TimeRange {
  alert_id?: string;
  actor?: string;
  action?: AlertEvent["action"];
}

export interface Coverage {
  devices: number;
  /** Devices whose (model, firmware) has no component inventory: vulnerable-component cannot see them. */
  no_firmware_inventory: number;
  no_certificate: number;
  /** No credential known for the device, its model or its model's firmware. */
  no_credentials: number;
  /** No flow observation and no alert: detection has seen nothing from it. */
  no_traffic: number;
}

export interface Overview {
  devices: number;
  /** Devices with no open finding of the rules that mean "cannot be kept secure now" (OverviewOptions). */
  securable_today: number;
  latest_scan?: ScanInfo;
  open_findings: Partial<Record<Severity, number>>;
  open_alerts: Partial<Record<Severity, number>>;
  /** The latest scan's rules by distinct devices affected, most first. */
  top_problems: FindingGroup[];
}

export interface OverviewOptions {
  /** Rules whose open finding makes a device not securable today (default UNSECURABLE_RULES). */
  unsecurable_rules?: readonly string[];
  /** How many top problems (default 10). */
  top?: number;
}

/** A device with one of these open is not securable today: no security updates, no way to update, or no valid identity. */
export const UNSECURABLE_RULES = ["support-ended", "no-ota", "cert-expired"] as const;

/** Alerts first seen on one UTC day (YYYY-MM-DD): all, and high or critical. */
export interface AlertDay {
  day: string;
  raised: number;
  high: number;
}

export interface ListRepository {
  /** Sort default device_id; `country` and `provider` sort by that, then device_id. */
  devices(q?: DeviceQuery): Promise<Page<StoredDevice>>;
  /** Sort default severity (most severe first), then recorded order (`id`); `rule` sorts by rule, then severity, then recorded order. */
  findings(q?: FindingQuery): Promise<Page<Finding>>;
  /** Ordered by distinct devices (most first), then rule. */
  findingGroups(q?: FindingGroupQuery): Promise<FindingGroup[]>;
  /** Sort default last_seen, newest first (ties by id). */
  alerts(q?: AlertQuery): Promise<Page<Alert>>;
  /** Finished scans, newest first. */
  scans(q?: ScanQuery): Promise<Page<ScanInfo>>;
  suppressions(q?: SuppressionQuery): Promise<Page<Suppression>>;
  alertSuppressions(q?: AlertSuppressionQuery): Promise<Page<AlertSuppression>>;
  advisories(q?: AdvisoryQuery): Promise<Page<AdvisoryListItem>>;
  alertEvents(q?: AlertEventQuery): Promise<Page<AlertEvent>>;
  /** Alerts raised per UTC day with `since` ≤ first_seen < `until` (both required, ISO 8601); days with none are left out. */
  alertsPerDay(range: Required<TimeRange>): Promise<AlertDay[]>;
  overview(opts?: OverviewOptions): Promise<Overview>;
  coverage(): Promise<Coverage>;
}
