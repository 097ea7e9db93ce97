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
 * `open` holds the previous scan's open findings (fingerprint → [stored row, first scan, rule when the adapter keeps
 * it]); `record` takes out the ones it sees again, and what is left when the scan finishes is fixed.
 */
export interface ScanRun {
  readonly id: number;
  readonly startedAt: string;
  readonly rules: readonly string[];
  readonly previousId: number | undefined;
  readonly open: Map<string, OpenFinding>;
  /**
   * A write the adapter started and has not yet seen finish (it overlaps the database's work with the caller's
   * next batch); `finishScan` and the next `record` wait for it and fail with its error.
   */
  pending?: Promise<void> | undefined;
  /** Open (not suppressed) findings recorded so far, by severity: `record` counts them for the overview. */
  readonly openBySeverity: Partial<Record<Severity, number>>;
  /** The part of the finish done ahead (`finishAhead`, `countAhead`): the adapter's own, `finishScan` does the rest. */
  ahead?: FinishAhead;
}

/** One of the previous scan's open findings: its stored row, its first scan, and its rule where the adapter keeps it (SQLite). */
export type OpenFinding = readonly [row: number, firstScan: number, rule?: string];

/** A finished scan's open findings (ScanRun.open), or none (`scanId` undefined: no scan has finished). */
export interface OpenFindings {
  readonly scanId: number | undefined;
  readonly open: Map<string, OpenFinding>;
}

/** What list-sql.ts countScanRules writes for a finished scan, read ahead (readScanCounts) for the finish to write. */
export interface ScanCounts {
  /** scan_rules: (rule, sev, findings, devices, reach, new, suppressed). */
  readonly rules: readonly Record<string, unknown>[];
  /** scan_rule_counts: (rule, m, st, sev, findings, devices, reach, new, suppressed). */
  readonly cells: readonly Record<string, unknown>[];
  readonly openFindings: Partial<Record<Severity, number>>;
  readonly unsecurableRules: readonly string[];
  readonly unsecurable: number;
}

/** Where a scan's finish done ahead stands (FindingRepository.finishAhead): adapter state, opaque to callers. */
export interface FinishAhead {
  /** The fixed findings written so far. */
  readonly fixed: Finding[];
  /** The step under way (fixed findings, carried-forward ones, the older scans' rows removed), or done. */
  step: "fixed" | "carry" | "prune" | "done";
  /** Where the step is: an index into the leftover findings, or the next row id. */
  at: number;
  /** SQLite: the leftover findings' rows of the rules that ran, in row order (sorted once, at the first step). */
  rows?: readonly number[] | undefined;
  /** The counts the finish writes, read ahead by `countAhead`. */
  counts?: ScanCounts;
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
  beginScan(startedAt: string, rules: readonly string[], settings?: Readonly<Record<string, ScanRuleSettings>>, known?: OpenFindings): Promise<ScanRun>;
  /**
   * The latest finished scan's open findings, read anywhere (a snapshot: audit/scan-chunked.ts), for `beginScan`,
   * which takes them over when that scan is still the latest (else it reads them itself): so a scan written in short
   * transactions does not read the previous scan's findings in its first one, where, on SQLite, every other writer
   * waits for it.
   */
  openFindings(): Promise<OpenFindings>;
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
  /**
   * For a scan written in short transactions (audit/scan-chunked.ts), once every finding is recorded: does a part of
   * `finishScan`'s writes ahead, in the transaction it is given — at most about `rows` rows of the fixed findings, the
   * carried-forward ones, or the removal of the rows of scans older than the previous one — under the unfinished
   * scan, so no reader sees them. Returns true while more is left: call it, each time in a transaction of its own,
   * until it returns false; then `countAhead`, then `finishScan`, which does only what is left. On SQLite, where every
   * other writer waits for each of these transactions, that bounds how long one waits for a scan's finish. An adapter
   * whose other writers do not wait for the finish (PostgreSQL) does nothing ahead and returns false.
   */
  finishAhead(scan: ScanRun, rows: number): Promise<boolean>;
  /**
   * After `finishAhead` is done: reads the counts `finishScan` writes for the lists (list-sql.ts countScanRules) —
   * outside any transaction, on the store itself, so on SQLite the counting holds no write lock and the finish writes
   * a few rows. Does nothing where `finishAhead` does nothing.
   */
  countAhead(scan: ScanRun): Promise<void>;
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
