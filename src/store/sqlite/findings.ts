import type Database from "better-sqlite3";
import type { Finding, FindingStatus } from "../../core/finding.ts";
import type { FinishAhead, FindingRepository, NewSuppression, OpenFinding, OpenFindings, ScanInfo, ScanRuleSettings, ScanRun, StoredForecast, StoredRuleSettings, Suppression } from "../findings.ts";
import { requireTransaction } from "./connection.ts";
import { LongwatchError } from "../../core/errors.ts";
import { type FindingRow, findingOf } from "../rows.ts";
import { countScanRules, readScanCounts, writeScanCounts } from "../list-sql.ts";
import { PRUNE_RULE_SETTINGS, RULE_SETTINGS, ruleSettingRows, type RuleSettingsRow, storedRuleSettings } from "../rule-settings.ts";
import { sqliteListDialect, sqliteRun } from "./lists.ts";


const ROWS = 64;
/** Values per findings row the inserts write. */
const COLUMNS = 14;

export class SqliteFindings implements FindingRepository {
  private readonly insert: Database.Statement;
  /** The same insert for ROWS findings at once: one call into SQLite instead of ROWS (a scan writes hundreds of thousands). */
  private readonly insertMany: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`
      INSERT INTO findings (scan_id, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, reach, suppression, status, first_scan)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertMany = db.prepare(`
      INSERT INTO findings (scan_id, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, reach, suppression, status, first_scan)
      VALUES ${Array.from({ length: ROWS }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`);
  }

  async beginScan(startedAt: string, rules: readonly string[], settings: Readonly<Record<string, ScanRuleSettings>> = {}, known?: OpenFindings): Promise<ScanRun> {
    requireTransaction(this.db, "a scan");
    // Rows of a scan that never finished: a chunked scan that crashed (audit/scan-chunked.ts; the caller holds the scan
    // lease, so none is running), or a store written by an older version that scanned outside a transaction.
    this.db.prepare("DELETE FROM findings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)").run();
    this.db.prepare("DELETE FROM scan_rule_settings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)").run();
    this.db.prepare("DELETE FROM scans WHERE finished_at IS NULL").run();
    const prev = await this.latestScan();
    const open = known && known.scanId === prev?.id ? known.open : this.openOf(prev?.id);
    const firstRow = ((this.db.prepare("SELECT MAX(id) AS m FROM findings").get() as { m: number | null }).m ?? 0) + 1;
    const id = Number(this.db.prepare("INSERT INTO scans (started_at, rules, first_row) VALUES (?, ?, ?)").run(startedAt, JSON.stringify(rules), firstRow).lastInsertRowid);
    const keep = this.db.prepare("INSERT INTO scan_rule_settings (scan_id, rule, severity, params) VALUES (?, ?, ?, ?)");
    for (const [rule, s] of ruleSettingRows(rules, settings)) keep.run(id, rule, s.severity, s.params);
    return { id, startedAt, rules: [...rules], previousId: prev?.id, open, openBySeverity: {} };
  }

  async openFindings(): Promise<OpenFindings> {
    const prev = await this.latestScan();
    return { scanId: prev?.id, open: this.openOf(prev?.id) };
  }

  private openOf(scanId: number | undefined): Map<string, OpenFinding> {
    const open = new Map<string, OpenFinding>();
    if (scanId === undefined) return open;
    // The rule too, so the finish knows which leftovers to fix without reading them; one string per rule, shared.
    const rules = new Map<string, string>();
    const rows = this.db.prepare("SELECT fingerprint, id, first_scan, rule FROM findings WHERE id >= ? AND scan_id = ? AND status <> 'fixed'").raw().iterate(this.firstRow(scanId), scanId) as Iterable<[string, number, number, string]>;
    for (const [fp, id, first, r] of rows) {
      let rule = rules.get(r);
      if (rule === undefined) rules.set(r, (rule = r));
      open.set(fp, [id, first, rule]);
    }
    return open;
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
          f.devices ? JSON.stringify(f.devices) : null, f.reach ?? null, f.suppression ? JSON.stringify(f.suppression) : null, status, before ? before[1] : scanId,
        );
        if (values.length === ROWS * COLUMNS) {
          this.insertMany.run(values);
          values = [];
        }
      }
      for (let i = 0; i < values.length; i += COLUMNS) this.insert.run(values.slice(i, i + COLUMNS));
    })();
    return out;
  }

  async finishScan(scan: ScanRun, finishedAt: string, counts: ScanInfo["counts"]): Promise<Finding[]> {
    const { id: scanId } = scan;
    let ahead: FinishAhead | undefined;
    this.db.transaction(() => {
      // What finishAhead has not done yet (all of it, for a scan in one transaction).
      this.ahead(scan, Infinity);
      ahead = scan.ahead!;
      this.db.prepare("UPDATE scans SET finished_at = ?, counts = ? WHERE id = ?").run(finishedAt, JSON.stringify(counts), scanId);
      this.db.prepare(PRUNE_RULE_SETTINGS).run(scanId);
    })();
    const run = sqliteRun(this.db);
    if (ahead!.counts) await writeScanCounts(run, scanId, ahead!.counts);
    else await countScanRules(sqliteListDialect, run, scan);
    return [...ahead!.fixed].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  }

  async finishAhead(scan: ScanRun, rows: number): Promise<boolean> {
    requireTransaction(this.db, "a scan's finish");
    return this.db.transaction(() => this.ahead(scan, rows))();
  }

  /** Steps of the finish until about `rows` rows are done (or all is); returns whether more is left. */
  private ahead(scan: ScanRun, rows: number): boolean {
    for (let left = rows; left > 0 && this.step(scan, left, (n) => (left -= n)); );
    return scan.ahead!.step !== "done";
  }

  async countAhead(scan: ScanRun): Promise<void> {
    const ahead = scan.ahead;
    if (ahead?.step !== "done") throw new LongwatchError("internal", "countAhead runs once finishAhead is done");
    ahead.counts = await readScanCounts(sqliteListDialect, sqliteRun(this.db), scan);
  }

  /**
   * One step of the finish, of at most about `rows` rows: the open findings of the rules that ran that this scan did
   * not see again are fixed; those of rules that did not run are carried forward unchanged (both written under this
   * scan); then the rows of scans older than the previous one go. Tells `done` how many rows (or row ids) it went
   * through; returns whether more is left.
   */
  private step(scan: ScanRun, rows: number, done: (n: number) => void): boolean {
    const prevId = scan.previousId;
    const a = (scan.ahead ??= { fixed: [], step: prevId === undefined ? "done" : "fixed", at: 0 });
    if (a.step === "done" || prevId === undefined) return false;
    if (a.step === "fixed") {
      // The leftovers of the rules that ran (those of the others are carried forward, next), in the previous scan's
      // order (by row) whatever the steps: picked and sorted once.
      const ran = new Set(scan.rules);
      const leftover = (a.rows ??= [...scan.open.values()].filter(([, , rule]) => rule === undefined || ran.has(rule)).map(([id]) => id).sort((x, y) => x - y));
      const part = leftover.slice(a.at, a.at + rows);
      if (part.length) {
        const found = this.db.prepare("SELECT * FROM findings WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id").all(JSON.stringify(part)) as FindingRow[];
        for (const r of found) {
          // An open finding whose rule was not kept (an OpenFindings from elsewhere) is checked here.
          if (!ran.has(r.rule)) continue;
          const f: Finding = { ...findingOf(r), status: "fixed" };
          a.fixed.push(f);
          this.insert.run(scan.id, f.fingerprint, f.rule, f.severity, f.device_id ?? null, f.model_id ?? null, f.title, JSON.stringify(f.evidence), JSON.stringify(f.standards), f.devices ? JSON.stringify(f.devices) : null, f.reach ?? null, null, "fixed", scan.id);
        }
      }
      a.at += part.length;
      done(part.length);
      if (a.at >= leftover.length) {
        a.rows = undefined;
        a.step = this.carries(scan, prevId) ? "carry" : "prune";
        a.at = a.step === "carry" ? this.firstRow(prevId) : this.lowestRow();
      }
    } else if (a.step === "carry") {
      // The previous scan's rows lie between its first row and this scan's.
      const end = this.firstRow(scan.id);
      const to = Math.min(a.at + rows, end);
      this.db
        .prepare(
          `INSERT INTO findings (scan_id, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, reach, suppression, status, first_scan)
           SELECT ?, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, reach, suppression,
                  CASE status WHEN 'new' THEN 'unchanged' ELSE status END, first_scan
           FROM findings WHERE id >= ? AND id < ? AND scan_id = ? AND status <> 'fixed' AND rule NOT IN (SELECT value FROM json_each(?)) ORDER BY id`,
        )
        .run(scan.id, a.at, to, prevId, JSON.stringify(scan.rules));
      done(to - a.at);
      a.at = to;
      if (a.at >= end) {
        a.step = "prune";
        a.at = this.lowestRow();
      }
    } else {
      // Rows below the previous scan's first belong to older scans, which no reader sees.
      const end = this.firstRow(prevId);
      const to = Math.min(a.at + rows, end);
      if (a.at < to) {
        this.db.prepare("DELETE FROM findings WHERE id >= ? AND id < ?").run(a.at, to);
        done(to - a.at);
      }
      a.at = Math.max(a.at, to);
      if (a.at >= end) a.step = "done";
    }
    return a.step !== "done";
  }

  /**
   * Whether the previous scan has open findings of rules this scan did not run (to carry forward): its counts list the
   * rules of its open findings; a scan from before those were kept may have any.
   */
  private carries(scan: ScanRun, prevId: number): boolean {
    if (this.db.prepare("SELECT 1 FROM scan_totals WHERE scan_id = ?").get(prevId) === undefined) return true;
    const ran = new Set(scan.rules);
    return (this.db.prepare("SELECT rule FROM scan_rules WHERE scan_id = ?").pluck().all(prevId) as string[]).some((r) => !ran.has(r));
  }

  private lowestRow(): number {
    return (this.db.prepare("SELECT MIN(id) AS m FROM findings").get() as { m: number | null }).m ?? 0;
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
