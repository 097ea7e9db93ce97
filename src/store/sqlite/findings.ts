import type Database from "better-sqlite3";
import type { Finding, FindingStatus } from "../../core/finding.ts";
import type { Severity } from "../../core/severity.ts";
import type { StandardRef } from "../../core/standards.ts";
import type { FindingRepository, NewSuppression, ScanInfo, ScanRuleSettings, ScanRun, StoredForecast, StoredRuleSettings, Suppression } from "../findings.ts";
import { requireTransaction } from "./connection.ts";
import { countScanRules } from "../list-sql.ts";
import { PRUNE_RULE_SETTINGS, RULE_SETTINGS, ruleSettingRows, type RuleSettingsRow, storedRuleSettings } from "../rule-settings.ts";
import { sqliteListDialect, sqliteRun } from "./lists.ts";

interface FindingRow {
  fingerprint: string;
  rule: string;
  severity: string;
  device_id: string | null;
  model_id: string | null;
  title: string;
  evidence: string;
  standards: string;
  devices: string | null;
  suppression: string | null;
  status: string;
}

function findingOf(r: FindingRow): Finding {
  const f: Finding = {
    rule: r.rule,
    severity: r.severity as Severity,
    title: r.title,
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    standards: JSON.parse(r.standards) as StandardRef[],
    fingerprint: r.fingerprint,
    status: r.status as FindingStatus,
  };
  if (r.device_id !== null) f.device_id = r.device_id;
  if (r.model_id !== null) f.model_id = r.model_id;
  if (r.devices !== null) f.devices = JSON.parse(r.devices) as string[];
  if (r.suppression !== null) f.suppression = JSON.parse(r.suppression) as NonNullable<Finding["suppression"]>;
  return f;
}

const ROWS = 64;

export class SqliteFindings implements FindingRepository {
  private readonly insert: Database.Statement;
  /** The same insert for ROWS findings at once: one call into SQLite instead of ROWS (a scan writes hundreds of thousands). */
  private readonly insertMany: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`
      INSERT INTO findings (scan_id, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, suppression, status, first_scan)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertMany = db.prepare(`
      INSERT INTO findings (scan_id, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, suppression, status, first_scan)
      VALUES ${Array.from({ length: ROWS }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`);
  }

  async beginScan(startedAt: string, rules: readonly string[], settings: Readonly<Record<string, ScanRuleSettings>> = {}): Promise<ScanRun> {
    requireTransaction(this.db, "a scan");
    // Rows of a scan that never finished: a chunked scan that crashed (audit/scan-chunked.ts; the caller holds the scan
    // lease, so none is running), or a store written by an older version that scanned outside a transaction.
    this.db.prepare("DELETE FROM findings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)").run();
    this.db.prepare("DELETE FROM scan_rule_settings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)").run();
    this.db.prepare("DELETE FROM scans WHERE finished_at IS NULL").run();
    const prev = await this.latestScan();
    const open = new Map<string, readonly [number, number]>();
    if (prev) {
      const rows = this.db.prepare("SELECT fingerprint, id, first_scan FROM findings WHERE id >= ? AND scan_id = ? AND status <> 'fixed'").raw().iterate(this.firstRow(prev.id), prev.id) as Iterable<[string, number, number]>;
      for (const [fp, id, first] of rows) open.set(fp, [id, first]);
    }
    const firstRow = ((this.db.prepare("SELECT MAX(id) AS m FROM findings").get() as { m: number | null }).m ?? 0) + 1;
    const id = Number(this.db.prepare("INSERT INTO scans (started_at, rules, first_row) VALUES (?, ?, ?)").run(startedAt, JSON.stringify(rules), firstRow).lastInsertRowid);
    const keep = this.db.prepare("INSERT INTO scan_rule_settings (scan_id, rule, severity, params) VALUES (?, ?, ?, ?)");
    for (const [rule, s] of ruleSettingRows(rules, settings)) keep.run(id, rule, s.severity, s.params);
    return { id, startedAt, rules: [...rules], previousId: prev?.id, open, openBySeverity: {} };
  }

  async record(scan: ScanRun, findings: readonly Finding[]): Promise<FindingStatus[]> {
    const { open, id: scanId } = scan;
    const out: FindingStatus[] = new Array(findings.length);
    this.db.transaction(() => {
      let values: unknown[] = [];
      for (let i = 0; i < findings.length; i++) {
        const f = findings[i]!;
        const before = open.get(f.fingerprint);
        // Seen again: no longer a candidate for "fixed".
        if (before) open.delete(f.fingerprint);
        const status: FindingStatus = f.suppression ? "suppressed" : before ? "unchanged" : "new";
        out[i] = status;
        if (status !== "suppressed") scan.openBySeverity[f.severity] = (scan.openBySeverity[f.severity] ?? 0) + 1;
        values.push(
          scanId, f.fingerprint, f.rule, f.severity, f.device_id ?? null, f.model_id ?? null, f.title, JSON.stringify(f.evidence), this.standardsJson(f.standards),
          f.devices ? JSON.stringify(f.devices) : null, f.suppression ? JSON.stringify(f.suppression) : null, status, before ? before[1] : scanId,
        );
        if (values.length === ROWS * 13) {
          this.insertMany.run(values);
          values = [];
        }
      }
      for (let i = 0; i < values.length; i += 13) this.insert.run(values.slice(i, i + 13));
    })();
    return out;
  }

  async finishScan(scan: ScanRun, finishedAt: string, counts: ScanInfo["counts"]): Promise<Finding[]> {
    const { id: scanId, rules } = scan;
    const prevId = scan.previousId;
    let fixed: Finding[] = [];
    this.db.transaction(() => {
      if (prevId !== undefined) {
        // Open findings of the rules that ran and were not seen again are fixed.
        const leftover = [...scan.open.values()].map(([id]) => id);
        const rows = leftover.length ? (this.db.prepare("SELECT * FROM findings WHERE id IN (SELECT value FROM json_each(?))").all(JSON.stringify(leftover)) as FindingRow[]) : [];
        const ran = new Set(rules);
        fixed = rows.filter((r) => ran.has(r.rule)).map((r) => ({ ...findingOf(r), status: "fixed" as const }));
        for (const f of fixed) {
          this.insert.run(scanId, f.fingerprint, f.rule, f.severity, f.device_id ?? null, f.model_id ?? null, f.title, JSON.stringify(f.evidence), JSON.stringify(f.standards), f.devices ? JSON.stringify(f.devices) : null, null, "fixed", scanId);
        }
        // Findings of rules that did not run this time are carried forward unchanged.
        this.db
          .prepare(
            `INSERT INTO findings (scan_id, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, suppression, status, first_scan)
             SELECT ?, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, suppression,
                    CASE status WHEN 'new' THEN 'unchanged' ELSE status END, first_scan
             FROM findings WHERE id >= ? AND scan_id = ? AND status <> 'fixed' AND rule NOT IN (SELECT value FROM json_each(?))`,
          )
          .run(scanId, this.firstRow(prevId), prevId, JSON.stringify(rules));
        this.db.prepare("DELETE FROM findings WHERE id < ?").run(this.firstRow(prevId));
      }
      this.db.prepare("UPDATE scans SET finished_at = ?, counts = ? WHERE id = ?").run(finishedAt, JSON.stringify(counts), scanId);
      this.db.prepare(PRUNE_RULE_SETTINGS).run(scanId);
    })();
    await countScanRules(sqliteListDialect, sqliteRun(this.db), scan);
    return fixed.sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  }

  private firstRow(scanId: number): number {
    return (this.db.prepare("SELECT first_row FROM scans WHERE id = ?").get(scanId) as { first_row: number }).first_row;
  }

  /** Every finding of a rule shares its rule's standards array: serialise each array once. */
  private readonly standardsCache = new WeakMap<readonly string[], string>();
  private standardsJson(standards: readonly string[]): string {
    let s = this.standardsCache.get(standards);
    if (s === undefined) {
      s = JSON.stringify(standards);
      this.standardsCache.set(standards, s);
    }
    return s;
  }

  async latestScan(): Promise<ScanInfo | undefined> {
    const r = this.db.prepare("SELECT * FROM scans WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1").get() as
      | { id: number; started_at: string; finished_at: string; rules: string; counts: string | null }
      | undefined;
    if (!r) return undefined;
    return { id: r.id, started_at: r.started_at, finished_at: r.finished_at, rules: JSON.parse(r.rules) as string[], counts: r.counts ? (JSON.parse(r.counts) as ScanInfo["counts"]) : {} };
  }

  async ruleSettings(rule: string): Promise<StoredRuleSettings | undefined> {
    const r = this.db.prepare(RULE_SETTINGS).get(rule) as RuleSettingsRow | undefined;
    return r && storedRuleSettings(r);
  }

  async saveForecast(scanId: number, computedAt: string, doc: unknown): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM scan_forecasts WHERE scan_id <> ?").run(scanId);
      this.db.prepare("INSERT OR REPLACE INTO scan_forecasts (scan_id, computed_at, import_id, doc) VALUES (?, ?, (SELECT MAX(id) FROM imports), ?)").run(scanId, computedAt, JSON.stringify(doc));
    })();
  }

  async latestForecast(): Promise<StoredForecast | undefined> {
    const r = this.db.prepare("SELECT scan_id, computed_at, doc, import_id IS NOT (SELECT MAX(id) FROM imports) AS stale FROM scan_forecasts ORDER BY scan_id DESC LIMIT 1").get() as
      | { scan_id: number; computed_at: string; doc: string; stale: number }
      | undefined;
    return r && { scan_id: r.scan_id, computed_at: r.computed_at, stale: r.stale === 1, doc: JSON.parse(r.doc) as unknown };
  }

  async *current(pageSize = 5000): AsyncIterable<Finding[]> {
    const latest = await this.latestScan();
    if (!latest) return;
    const page = this.db.prepare("SELECT * FROM findings WHERE scan_id = ? AND id > ? AND status <> 'fixed' ORDER BY id LIMIT ?");
    let after = this.firstRow(latest.id) - 1;
    for (;;) {
      const rows = page.all(latest.id, after, pageSize) as (FindingRow & { id: number })[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.id;
      yield rows.map(findingOf);
    }
  }

  async addSuppression(s: NewSuppression, createdAt: string): Promise<Suppression> {
    const id = Number(
      this.db
        .prepare("INSERT INTO suppressions (rule, fingerprint, device_id, reason, expires, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(s.rule, s.fingerprint ?? null, s.device_id ?? null, s.reason, s.expires ?? null, createdAt).lastInsertRowid,
    );
    return { ...s, id, created_at: createdAt };
  }

  async removeSuppression(id: number): Promise<boolean> {
    return this.db.prepare("DELETE FROM suppressions WHERE id = ?").run(id).changes > 0;
  }

  async suppressions(): Promise<Suppression[]> {
    const rows = this.db.prepare("SELECT * FROM suppressions ORDER BY id").all() as {
      id: number;
      rule: string;
      fingerprint: string | null;
      device_id: string | null;
      reason: string;
      expires: string | null;
      created_at: string;
    }[];
    return rows.map((r) => {
      const s: Suppression = { id: r.id, rule: r.rule, reason: r.reason, created_at: r.created_at };
      if (r.fingerprint !== null) s.fingerprint = r.fingerprint;
      if (r.device_id !== null) s.device_id = r.device_id;
      if (r.expires !== null) s.expires = r.expires;
      return s;
    });
  }
}
