/** Port: scans, their findings (new / unchanged / fixed / suppressed) and finding suppressions. */
import type { Finding, FindingStatus } from "../core/finding.ts";
import type { Severity } from "../core/severity.ts";

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

/**
 * A scan in progress: a value the caller holds and passes back, so two scans never share state inside an adapter.
 * `open` holds the previous scan's open findings (fingerprint → [stored row, first scan]); `record` takes out the ones
 * it sees again, and what is left when the scan finishes is fixed.
 */
export interface ScanRun {
  readonly id: number;
  readonly startedAt: string;
  readonly rules: readonly string[];
  readonly previousId: number | undefined;
  readonly open: Map<string, readonly [row: number, firstScan: number]>;
  /**
   * A write the adapter started and has not yet seen finish (it overlaps the database's work with the caller's
   * next batch); `finishScan` and the next `record` wait for it and fail with its error.
   */
  pending?: Promise<void> | undefined;
  /** Open (not suppressed) findings recorded so far, by severity: `record` counts them for the overview. */
  readonly openBySeverity: Partial<Record<Severity, number>>;
}

/** The lifecycle forecast a scan tallied as it audited the fleet (lifecycle/forecast.ts's Forecast, as JSON). */
export interface StoredForecast {
  scan_id: number;
  computed_at: string;
  /** Devices were imported after the scan: the forecast may no longer match the fleet. */
  stale: boolean;
  doc: unknown;
}

/** The settings a scan ran a rule with: its params as the rule's schema resolved them, and the severity the user set. */
export interface ScanRuleSettings {
  severity?: Severity;
  params: Record<string, unknown>;
}

/** A rule's settings as the scan that ran it stored them. */
export interface StoredRuleSettings extends ScanRuleSettings {
  scan_id: number;
}

export interface FindingRepository {
  /**
   * Starts a scan of these rules, run with these settings (by rule id; kept with the scan, so what shows a rule's
   * results outside the scan — the device page — grades them as the scan did). Runs inside `store.transaction()` (it
   * throws otherwise): a scan that fails or crashes leaves nothing behind, and scans of the same store wait for each
   * other (also across processes).
   */
  beginScan(startedAt: string, rules: readonly string[], settings?: Readonly<Record<string, ScanRuleSettings>>): Promise<ScanRun>;
  /**
   * Records this scan's findings and returns the status each one gets: `suppressed` when it carries a suppression,
   * `new` when its fingerprint was not open before (first seen, or back after a fix), `unchanged` otherwise.
   */
  record(scan: ScanRun, findings: readonly Finding[]): Promise<FindingStatus[]>;
  /**
   * Marks open findings of the scanned rules that this scan did not see as fixed (returned, by fingerprint), carries
   * forward those of rules that did not run, and makes this scan the latest.
   */
  finishScan(scan: ScanRun, finishedAt: string, counts: ScanInfo["counts"]): Promise<Finding[]>;
  latestScan(): Promise<ScanInfo | undefined>;
  /** The settings the newest finished scan that ran `rule` stored for it; undefined when none did (or it stored none). */
  ruleSettings(rule: string): Promise<StoredRuleSettings | undefined>;
  /** Keeps the forecast this scan tallied (in the scan's transaction), replacing older scans' ones. */
  saveForecast(scanId: number, computedAt: string, doc: unknown): Promise<void>;
  /** The newest stored forecast, whether an import came after it. */
  latestForecast(): Promise<StoredForecast | undefined>;
  /** Findings of the latest scan (open ones, including suppressed), in pages, in the order they were recorded. */
  current(pageSize?: number): AsyncIterable<Finding[]>;
  addSuppression(s: NewSuppression, createdAt: string): Promise<Suppression>;
  removeSuppression(id: number): Promise<boolean>;
  /** Ordered by id. */
  suppressions(): Promise<Suppression[]>;
}
