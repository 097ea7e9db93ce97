import type Database from "better-sqlite3";
import type { Finding, FindingStatus } from "../../core/finding.ts";
import type { Severity } from "../../core/severity.ts";
import type { StandardRef } from "../../core/standards.ts";
import type { FindingRepository, NewSuppression, ScanInfo, Suppression } from "../store.ts";

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

export class SqliteFindings implements FindingRepository {
  private readonly upsert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    // A fingerprint seen before and still open stays `unchanged`; one that was fixed and came back is `new` again.
    this.upsert = db.prepare(`
      INSERT INTO findings (fingerprint, rule, severity, device_id, model_id, title, evidence, standards, devices, suppression, status, first_scan, last_scan)
      VALUES (@fingerprint, @rule, @severity, @device_id, @model_id, @title, @evidence, @standards, @devices, @suppression,
              CASE WHEN @suppression IS NULL THEN 'new' ELSE 'suppressed' END, @scan, @scan)
      ON CONFLICT (fingerprint) DO UPDATE SET
        severity = excluded.severity, device_id = excluded.device_id, model_id = excluded.model_id, title = excluded.title,
        evidence = excluded.evidence, standards = excluded.standards, devices = excluded.devices, suppression = excluded.suppression,
        status = CASE WHEN excluded.suppression IS NOT NULL THEN 'suppressed'
                      WHEN findings.last_scan = excluded.last_scan THEN findings.status
                      WHEN findings.status = 'fixed' THEN 'new' ELSE 'unchanged' END,
        first_scan = CASE WHEN findings.status = 'fixed' THEN excluded.first_scan ELSE findings.first_scan END,
        fixed_scan = NULL, last_scan = excluded.last_scan
      RETURNING status`);
  }

  async beginScan(startedAt: string, rules: readonly string[]): Promise<number> {
    return Number(this.db.prepare("INSERT INTO scans (started_at, rules) VALUES (?, ?)").run(startedAt, JSON.stringify(rules)).lastInsertRowid);
  }

  async record(scanId: number, findings: readonly Finding[]): Promise<FindingStatus[]> {
    const out: FindingStatus[] = new Array(findings.length);
    this.db.transaction(() => {
      for (let i = 0; i < findings.length; i++) {
        const f = findings[i]!;
        const row = this.upsert.get({
          fingerprint: f.fingerprint,
          rule: f.rule,
          severity: f.severity,
          device_id: f.device_id ?? null,
          model_id: f.model_id ?? null,
          title: f.title,
          evidence: JSON.stringify(f.evidence),
          standards: JSON.stringify(f.standards),
          devices: f.devices ? JSON.stringify(f.devices) : null,
          suppression: f.suppression ? JSON.stringify(f.suppression) : null,
          scan: scanId,
        }) as { status: FindingStatus };
        out[i] = row.status;
      }
    })();
    return out;
  }

  async finishScan(scanId: number, finishedAt: string, counts: ScanInfo["counts"]): Promise<Finding[]> {
    const rules = JSON.parse((this.db.prepare("SELECT rules FROM scans WHERE id = ?").get(scanId) as { rules: string }).rules) as string[];
    const fixed = this.db
      .prepare(
        `UPDATE findings SET status = 'fixed', fixed_scan = ?
         WHERE last_scan < ? AND status <> 'fixed' AND rule IN (SELECT value FROM json_each(?))
         RETURNING *`,
      )
      .all(scanId, scanId, JSON.stringify(rules)) as FindingRow[];
    this.db.prepare("UPDATE scans SET finished_at = ?, counts = ? WHERE id = ?").run(finishedAt, JSON.stringify(counts), scanId);
    return fixed.map(findingOf).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  }

  async latestScan(): Promise<ScanInfo | undefined> {
    const r = this.db.prepare("SELECT * FROM scans WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1").get() as
      | { id: number; started_at: string; finished_at: string; rules: string; counts: string | null }
      | undefined;
    if (!r) return undefined;
    return { id: r.id, started_at: r.started_at, finished_at: r.finished_at, rules: JSON.parse(r.rules) as string[], counts: r.counts ? (JSON.parse(r.counts) as ScanInfo["counts"]) : {} };
  }

  async *current(pageSize = 5000): AsyncIterable<Finding[]> {
    const latest = await this.latestScan();
    if (!latest) return;
    const page = this.db.prepare("SELECT * FROM findings WHERE last_scan = ? AND fingerprint > ? ORDER BY fingerprint LIMIT ?");
    let after = "";
    for (;;) {
      const rows = page.all(latest.id, after, pageSize) as FindingRow[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.fingerprint;
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
