import type Database from "better-sqlite3";
import type { Alert, AlertState, Verification } from "../../core/record.ts";
import { SEVERITIES, severityRank } from "../../core/severity.ts";
import type { AlertChange, AlertEvent, AlertFilter, AlertRepository, AlertSuppression } from "../alerts.ts";
import { type EventRow, eventOf } from "../alert-events.ts";
import { type AlertRow, alertOf } from "../rows.ts";
import { markTrafficSql } from "../list-sql.ts";
import { sqliteListDialect } from "./lists.ts";



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
      if (alerts.length) this.db.prepare(markTrafficSql(sqliteListDialect)).run(JSON.stringify(alerts.map((a) => a.device_id)));
    })();
  }

  async get(id: string): Promise<Alert | undefined> {
    const r = this.db.prepare("SELECT * FROM alerts WHERE id = ?").get(id) as AlertRow | undefined;
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
    return (this.db.prepare(sql).all(...args, f.limit ?? 1000) as AlertRow[]).map(alertOf);
  }

  async setState(id: string, state: AlertState, change: AlertChange): Promise<Alert | undefined> {
    return this.change(id, "state", (r) => r.state, state, change, () =>
      this.db.prepare("UPDATE alerts SET state = ?, note = COALESCE(?, note), updated_at = ? WHERE id = ?").run(state, change.comment ?? null, change.at, id),
    );
  }

  async verify(id: string, verification: Verification, change: AlertChange): Promise<Alert | undefined> {
    return this.change(id, "verification", (r) => r.verification, verification, change, () =>
      this.db
        .prepare("UPDATE alerts SET verification = ?, note = COALESCE(?, note), feedback_pending = ?, updated_at = ? WHERE id = ?")
        .run(verification, change.comment ?? null, verification === "benign_positive" ? 1 : 0, change.at, id),
    );
  }

  async assign(id: string, assignee: string | null, change: AlertChange): Promise<Alert | undefined> {
    return this.change(id, "assignee", (r) => r.assignee, assignee, change, () => this.db.prepare("UPDATE alerts SET assignee = ?, updated_at = ? WHERE id = ?").run(assignee, change.at, id));
  }

  async comment(id: string, change: AlertChange & { comment: string }): Promise<Alert | undefined> {
    return this.change(id, "comment", () => null, null, change, () => undefined);
  }

  async history(id: string): Promise<AlertEvent[]> {
    const rows = this.db.prepare("SELECT * FROM alert_events WHERE alert_id = ? ORDER BY id").all(id) as EventRow[];
    return rows.map(eventOf);
  }

  /** One change people make: the update and its history entry together, or nothing when there is no such alert. */
  private change(id: string, action: AlertEvent["action"], before: (r: AlertRow) => string | null, after: string | null, c: AlertChange, update: () => unknown): Alert | undefined {
    return this.db.transaction(() => {
      const r = this.db.prepare("SELECT * FROM alerts WHERE id = ?").get(id) as AlertRow | undefined;
      if (!r) return undefined;
      update();
      this.db.prepare("INSERT INTO alert_events (alert_id, at, actor, action, from_value, to_value, comment) VALUES (?, ?, ?, ?, ?, ?, ?)").run(id, c.at, c.actor, action, before(r), after, c.comment ?? null);
      return alertOf(this.db.prepare("SELECT * FROM alerts WHERE id = ?").get(id) as AlertRow);
    })();
  }

  async pendingFeedback(): Promise<Alert[]> {
    return (this.db.prepare("SELECT * FROM alerts WHERE feedback_pending = 1 ORDER BY updated_at, id").all() as AlertRow[]).map(alertOf);
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
