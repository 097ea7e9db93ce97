import type Database from "better-sqlite3";
import type { Alert, AlertState, Verification } from "../../core/record.ts";
import { SEVERITIES, type Severity, severityRank } from "../../core/severity.ts";
import type { AlertFilter, AlertRepository, AlertSuppression } from "../alerts.ts";

interface Row {
  id: string;
  detector: string;
  device_id: string;
  model_id: string | null;
  key: string;
  severity: string;
  confidence: number;
  first_seen: string;
  last_seen: string;
  count: number;
  summary: string;
  action: string;
  evidence: string;
  state: string;
  verification: string;
  note: string | null;
}

function alertOf(r: Row): Alert {
  const a: Alert = {
    id: r.id,
    detector: r.detector as Alert["detector"],
    device_id: r.device_id,
    key: r.key,
    severity: r.severity as Severity,
    confidence: r.confidence,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
    count: r.count,
    summary: r.summary,
    action: r.action,
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    state: r.state as AlertState,
    verification: r.verification as Verification,
  };
  if (r.model_id !== null) a.model_id = r.model_id;
  if (r.note !== null) a.evidence = { ...a.evidence, note: r.note };
  return a;
}

export class SqliteAlerts implements AlertRepository {
  private readonly upsertStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    // People's decisions win: a run never reopens an acknowledged or resolved alert, but it may resolve an open one.
    this.upsertStmt = db.prepare(`
      INSERT INTO alerts (id, detector, device_id, model_id, key, severity, confidence, first_seen, last_seen, count, summary, action, evidence, state, verification, updated_at)
      VALUES (@id, @detector, @device_id, @model_id, @key, @severity, @confidence, @first_seen, @last_seen, @count, @summary, @action, @evidence, @state, @verification, @at)
      ON CONFLICT (id) DO UPDATE SET
        severity = excluded.severity, confidence = excluded.confidence, last_seen = MAX(alerts.last_seen, excluded.last_seen),
        count = MAX(alerts.count, excluded.count), summary = excluded.summary, evidence = excluded.evidence,
        state = CASE WHEN excluded.state = 'resolved' THEN 'resolved' ELSE alerts.state END,
        updated_at = excluded.updated_at`);
  }

  async upsert(alerts: readonly Alert[], at: string): Promise<void> {
    this.db.transaction(() => {
      for (const a of alerts) {
        this.upsertStmt.run({ ...a, model_id: a.model_id ?? null, evidence: JSON.stringify(a.evidence), at });
      }
    })();
  }

  async get(id: string): Promise<Alert | undefined> {
    const r = this.db.prepare("SELECT * FROM alerts WHERE id = ?").get(id) as Row | undefined;
    return r ? alertOf(r) : undefined;
  }

  async list(f: AlertFilter = {}): Promise<Alert[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      args.push(value);
    };
    eq("state", f.state);
    eq("detector", f.detector);
    eq("device_id", f.device_id);
    if (f.severity) {
      const ok = SEVERITIES.filter((s) => severityRank(s) >= severityRank(f.severity!));
      where.push(`severity IN (${ok.map(() => "?").join(",")})`);
      args.push(...ok);
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY last_seen DESC, id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 1000) as Row[]).map(alertOf);
  }

  async setState(id: string, state: AlertState, note: string | undefined, at: string): Promise<Alert | undefined> {
    const r = this.db.prepare("UPDATE alerts SET state = ?, note = COALESCE(?, note), updated_at = ? WHERE id = ?").run(state, note ?? null, at, id);
    return r.changes ? this.get(id) : undefined;
  }

  async verify(id: string, verification: Verification, note: string | undefined, at: string): Promise<Alert | undefined> {
    const r = this.db
      .prepare("UPDATE alerts SET verification = ?, note = COALESCE(?, note), feedback_pending = ?, updated_at = ? WHERE id = ?")
      .run(verification, note ?? null, verification === "benign_positive" ? 1 : 0, at, id);
    return r.changes ? this.get(id) : undefined;
  }

  async pendingFeedback(): Promise<Alert[]> {
    return (this.db.prepare("SELECT * FROM alerts WHERE feedback_pending = 1 ORDER BY updated_at, id").all() as Row[]).map(alertOf);
  }

  async markFeedbackApplied(ids: readonly string[]): Promise<void> {
    const stmt = this.db.prepare("UPDATE alerts SET feedback_pending = 0 WHERE id = ?");
    this.db.transaction(() => {
      for (const id of ids) stmt.run(id);
    })();
  }

  async addSuppression(s: Omit<AlertSuppression, "id" | "created_at">, createdAt: string): Promise<AlertSuppression> {
    const r = this.db
      .prepare("INSERT INTO alert_suppressions (detector, device_id, key, reason, expires, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(s.detector, s.device_id ?? null, s.key ?? null, s.reason, s.expires ?? null, createdAt);
    return { ...s, id: Number(r.lastInsertRowid), created_at: createdAt };
  }

  async removeSuppression(id: number): Promise<boolean> {
    return this.db.prepare("DELETE FROM alert_suppressions WHERE id = ?").run(id).changes > 0;
  }

  async suppressions(): Promise<AlertSuppression[]> {
    const rows = this.db.prepare("SELECT * FROM alert_suppressions ORDER BY id").all() as { id: number; detector: string; device_id: string | null; key: string | null; reason: string; expires: string | null; created_at: string }[];
    return rows.map((r) => ({ id: r.id, detector: r.detector, reason: r.reason, created_at: r.created_at, ...(r.device_id !== null ? { device_id: r.device_id } : {}), ...(r.key !== null ? { key: r.key } : {}), ...(r.expires !== null ? { expires: r.expires } : {}) }));
  }
}
