import { LongwatchError } from "../../core/errors.ts";
import type { Finding, FindingStatus } from "../../core/finding.ts";
import type { FindingRepository, NewSuppression, OpenFindings, ScanInfo, ScanRuleSettings, ScanRun, StoredForecast, StoredRuleSettings, Suppression } from "../findings.ts";
import { type FindingRow, findingOf } from "../rows.ts";
import { countScanRules } from "../list-sql.ts";
import { PRUNE_RULE_SETTINGS, RULE_SETTINGS, ruleSettingRows, type RuleSettingsRow, storedRuleSettings } from "../rule-settings.ts";
import { pgListDialect, pgRun } from "./lists.ts";
import { chunks, lockName, type PgDb } from "./db.ts";


const COLUMNS = "scan_id, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, reach, suppression, status, first_scan";
/** One multi-row insert of findings from 14 parallel arrays, in the order given. */
const INSERT = `INSERT INTO findings (${COLUMNS})
  SELECT $1::bigint, f, r, s, d, m, t, e, st, ds, re, sp, stat, fs
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::bigint[])
    WITH ORDINALITY AS x (f, r, s, d, m, t, e, st, ds, re, sp, stat, fs, o) ORDER BY o`;
const ROWS = 5000;

export class PgFindings implements FindingRepository {
  constructor(
    private readonly db: PgDb,
    private readonly schema: string,
  ) {}

  async beginScan(startedAt: string, rules: readonly string[], settings: Readonly<Record<string, ScanRuleSettings>> = {}, known?: OpenFindings): Promise<ScanRun> {
    if (!this.db.inTransaction) throw new LongwatchError("internal", "a scan runs inside store.transaction()");
    // Scans of one store wait for each other, also across processes: each compares with the one before it.
    await this.db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockName(this.schema, "scan")]);
    // Rows of a chunked scan that crashed (audit/scan-chunked.ts): the caller holds the scan lease, so none is running.
    await this.db.query("DELETE FROM findings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)");
    await this.db.query("DELETE FROM scan_rule_settings WHERE scan_id IN (SELECT id FROM scans WHERE finished_at IS NULL)");
    await this.db.query("DELETE FROM scans WHERE finished_at IS NULL");
    const prev = await this.latestScan();
    const open = known && known.scanId === prev?.id ? known.open : await this.openOf(prev?.id);
    const [r] = await this.db.query<{ id: number }>("INSERT INTO scans (started_at, rules) VALUES ($1, $2) RETURNING id", [startedAt, JSON.stringify(rules)]);
    const kept = ruleSettingRows(rules, settings);
    if (kept.length) {
      await this.db.query("INSERT INTO scan_rule_settings (scan_id, rule, severity, params) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])", [r!.id, kept.map(([rule]) => rule), kept.map(([, s]) => s.severity), kept.map(([, s]) => s.params)]);
    }
    return { id: r!.id, startedAt, rules: [...rules], previousId: prev?.id, open, openBySeverity: {} };
  }

  async openFindings(): Promise<OpenFindings> {
    const prev = await this.latestScan();
    return { scanId: prev?.id, open: await this.openOf(prev?.id) };
  }

  private async openOf(scanId: number | undefined): Promise<Map<string, readonly [number, number]>> {
    const open = new Map<string, readonly [number, number]>();
    if (scanId === undefined) return open;
    for (const r of await this.db.query<{ fingerprint: string; id: number; first_scan: number }>("SELECT fingerprint, id, first_scan FROM findings WHERE scan_id = $1 AND status <> 'fixed'", [scanId])) {
      open.set(r.fingerprint, [r.id, r.first_scan]);
    }
    return open;
  }

  async record(scan: ScanRun, findings: readonly Finding[]): Promise<FindingStatus[]> {
    const out: FindingStatus[] = new Array(findings.length);
    const cols: unknown[][] = Array.from({ length: 13 }, () => []);
    const standards = new Map<readonly string[], string>();
    for (let i = 0; i < findings.length; i++) {
      const f = findings[i]!;
      const before = scan.open.get(f.fingerprint);
      if (before) scan.open.delete(f.fingerprint);
      const status: FindingStatus = f.suppression ? "suppressed" : before ? "unchanged" : "new";
      out[i] = status;
      if (status !== "suppressed") scan.openBySeverity[f.severity] = (scan.openBySeverity[f.severity] ?? 0) + 1;
      let std = standards.get(f.standards);
      if (std === undefined) standards.set(f.standards, (std = JSON.stringify(f.standards)));
      const row = [f.fingerprint, f.rule, f.severity, f.device_id ?? null, f.model_id ?? null, f.title, JSON.stringify(f.evidence), std, f.devices ? JSON.stringify(f.devices) : null, f.reach ?? null, f.suppression ? JSON.stringify(f.suppression) : null, status, before ? before[1] : scan.id];
      for (let c = 0; c < 13; c++) cols[c]!.push(row[c]);
    }
    // One write in flight at a time: the database inserts this batch while the caller audits the next one.
    await scan.pending;
    const write = (async () => {
      for (let i = 0; i < findings.length; i += ROWS) await this.db.query(INSERT, [scan.id, ...cols.map((c) => c.slice(i, i + ROWS))]);
    })();
    // Kept from being reported as unhandled before it is awaited (the next record or finishScan awaits it).
    write.catch(() => undefined);
    scan.pending = write;
    return out;
  }

  async finishScan(scan: ScanRun, finishedAt: string, counts: ScanInfo["counts"]): Promise<Finding[]> {
    const prevId = scan.previousId;
    await scan.pending;
    scan.pending = undefined;
    return this.db.transaction(async (db) => {
      let fixed: Finding[] = [];
      if (prevId !== undefined) {
        const leftover = [...scan.open.values()].map(([id]) => id);
        const ran = new Set(scan.rules);
        for (const part of chunks(leftover, 10_000)) {
          for (const r of await db.query<FindingRow>("SELECT * FROM findings WHERE scan_id = $1 AND id = ANY($2::bigint[])", [prevId, part])) if (ran.has(r.rule)) fixed.push({ ...findingOf(r), status: "fixed" });
        }
        fixed = fixed.sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
        for (const part of chunks(fixed, ROWS)) {
          await db.query(INSERT, [
            scan.id,
            part.map((f) => f.fingerprint),
            part.map((f) => f.rule),
            part.map((f) => f.severity),
            part.map((f) => f.device_id ?? null),
            part.map((f) => f.model_id ?? null),
            part.map((f) => f.title),
            part.map((f) => JSON.stringify(f.evidence)),
            part.map((f) => JSON.stringify(f.standards)),
            part.map((f) => (f.devices ? JSON.stringify(f.devices) : null)),
            part.map((f) => f.reach ?? null),
            part.map(() => null),
            part.map(() => "fixed"),
            part.map(() => scan.id),
          ]);
        }
        // Findings of rules that did not run this time are carried forward unchanged.
        await db.query(
          `INSERT INTO findings (${COLUMNS})
           SELECT $1, fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, reach, suppression,
                  CASE status WHEN 'new' THEN 'unchanged' ELSE status END, first_scan
           FROM findings WHERE scan_id = $2 AND status <> 'fixed' AND NOT (rule = ANY($3::text[])) ORDER BY id`,
          [scan.id, prevId, scan.rules],
        );
        await db.query("DELETE FROM findings WHERE scan_id < $1", [prevId]);
      }
      await db.query("UPDATE scans SET finished_at = $1, counts = $2 WHERE id = $3", [finishedAt, JSON.stringify(counts), scan.id]);
      await pgRun(db)(PRUNE_RULE_SETTINGS, [scan.id]);
      await countScanRules(pgListDialect, pgRun(db), scan);
      return fixed;
    });
  }

  /** Nothing ahead: on PostgreSQL other writers do not wait for a scan's finish (it writes rows no one else writes). */
  async finishAhead(): Promise<boolean> {
    if (!this.db.inTransaction) throw new LongwatchError("internal", "a scan's finish runs inside store.transaction()");
    return false;
  }

  async countAhead(): Promise<void> {}

  async latestScan(): Promise<ScanInfo | undefined> {
    const [r] = await this.db.query<{ id: number; started_at: string; finished_at: string; rules: string; counts: string | null }>("SELECT * FROM scans WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1");
    if (!r) return undefined;
    return { id: r.id, started_at: r.started_at, finished_at: r.finished_at, rules: JSON.parse(r.rules) as string[], counts: r.counts ? (JSON.parse(r.counts) as ScanInfo["counts"]) : {} };
  }

  async ruleSettings(rule: string): Promise<StoredRuleSettings | undefined> {
    const [r] = await pgRun(this.db)(RULE_SETTINGS, [rule]);
    return r && storedRuleSettings(r as unknown as RuleSettingsRow);
  }

  async saveForecast(scanId: number, computedAt: string, doc: unknown): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.query("DELETE FROM scan_forecasts WHERE scan_id <> $1", [scanId]);
      await db.query(
        "INSERT INTO scan_forecasts (scan_id, computed_at, import_id, doc) VALUES ($1, $2, (SELECT MAX(id) FROM imports), $3) ON CONFLICT (scan_id) DO UPDATE SET computed_at = EXCLUDED.computed_at, import_id = EXCLUDED.import_id, doc = EXCLUDED.doc",
        [scanId, computedAt, JSON.stringify(doc)],
      );
    });
  }

  async latestForecast(): Promise<StoredForecast | undefined> {
    const [r] = await this.db.query<{ scan_id: number; computed_at: string; doc: string; stale: boolean }>(
      "SELECT scan_id, computed_at, doc, import_id IS DISTINCT FROM (SELECT MAX(id) FROM imports) AS stale FROM scan_forecasts ORDER BY scan_id DESC LIMIT 1",
    );
    return r && { scan_id: r.scan_id, computed_at: r.computed_at, stale: r.stale, doc: JSON.parse(r.doc) as unknown };
  }

  async *current(pageSize = 5000): AsyncIterable<Finding[]> {
    const latest = await this.latestScan();
    if (!latest) return;
    let after = 0;
    for (;;) {
      const rows = await this.db.query<FindingRow & { id: number }>("SELECT * FROM findings WHERE scan_id = $1 AND id > $2 AND status <> 'fixed' ORDER BY id LIMIT $3", [latest.id, after, pageSize]);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.id;
      yield rows.map(findingOf);
    }
  }

  async addSuppression(s: NewSuppression, createdAt: string): Promise<Suppression> {
    const [r] = await this.db.query<{ id: number }>("INSERT INTO suppressions (rule, fingerprint, device_id, reason, expires, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", [
      s.rule,
      s.fingerprint ?? null,
      s.device_id ?? null,
      s.reason,
      s.expires ?? null,
      createdAt,
    ]);
    return { ...s, id: r!.id, created_at: createdAt };
  }

  async removeSuppression(id: number): Promise<boolean> {
    return (await this.db.query("DELETE FROM suppressions WHERE id = $1 RETURNING id", [id])).length > 0;
  }

  async suppressions(): Promise<Suppression[]> {
    const rows = await this.db.query<{ id: number; rule: string; fingerprint: string | null; device_id: string | null; reason: string; expires: string | null; created_at: string }>("SELECT * FROM suppressions ORDER BY id");
    return rows.map((r) => {
      const s: Suppression = { id: r.id, rule: r.rule, reason: r.reason, created_at: r.created_at };
      if (r.fingerprint !== null) s.fingerprint = r.fingerprint;
      if (r.device_id !== null) s.device_id = r.device_id;
      if (r.expires !== null) s.expires = r.expires;
      return s;
    });
  }
}
