import type { Alert, AlertState, Verification } from "../../core/record.ts";
import { SEVERITIES, severityRank } from "../../core/severity.ts";
import type { AlertChange, AlertEvent, AlertFilter, AlertRepository, AlertSuppression } from "../alerts.ts";
import { type EventRow, eventOf } from "../alert-events.ts";
import { type AlertRow, alertOf } from "../rows.ts";
import { chunks, type PgDb, uniqueRuns } from "./db.ts";
import { markTrafficSql } from "../list-sql.ts";
import { pgListDialect, pgRun } from "./lists.ts";



const COLS = "id, detector, device_id, model_id, key, severity, confidence, first_seen, last_seen, count, summary, action, evidence, state, verification";

export class PgAlerts implements AlertRepository {
  constructor(private readonly db: PgDb) {}

  async upsert(alerts: readonly Alert[], at: string): Promise<void> {
    await this.db.transaction(async (db) => {
      for (const run of uniqueRuns(alerts, (a) => a.id)) {
        for (const part of chunks(run, 2000)) {
          // People's decisions win: a run never reopens an acknowledged or resolved alert, but it may resolve an open one.
          await db.query(
            `INSERT INTO alerts (${COLS}, updated_at)
             SELECT *, $16::text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[], $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
             ON CONFLICT (id) DO UPDATE SET
               severity = excluded.severity, confidence = excluded.confidence, last_seen = GREATEST(alerts.last_seen, excluded.last_seen),
               count = GREATEST(alerts.count, excluded.count), summary = excluded.summary, evidence = excluded.evidence,
               state = CASE WHEN excluded.state = 'resolved' THEN 'resolved' ELSE alerts.state END,
               updated_at = excluded.updated_at`,
            [
              part.map((a) => a.id),
              part.map((a) => a.detector),
              part.map((a) => a.device_id),
              part.map((a) => a.model_id ?? null),
              part.map((a) => a.key),
              part.map((a) => a.severity),
              part.map((a) => a.confidence),
              part.map((a) => a.first_seen),
              part.map((a) => a.last_seen),
              part.map((a) => a.count),
              part.map((a) => a.summary),
              part.map((a) => a.action),
              part.map((a) => JSON.stringify(a.evidence)),
              part.map((a) => a.state),
              part.map((a) => a.verification),
              at,
            ],
          );
        }
      }
      if (alerts.length) await pgRun(db)(markTrafficSql(pgListDialect), [JSON.stringify(alerts.map((a) => a.device_id))]);
    });
  }

  async get(id: string): Promise<Alert | undefined> {
    const [r] = await this.db.query<AlertRow>("SELECT * FROM alerts WHERE id = $1", [id]);
    return r ? alertOf(r) : undefined;
  }

  async list(f: AlertFilter = {}): Promise<Alert[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      args.push(value);
      where.push(`${column} = $${args.length}`);
    };
    eq("state", f.state);
    eq("detector", f.detector);
    eq("device_id", f.device_id);
    if (f.severity) {
      args.push(SEVERITIES.filter((s) => severityRank(s) >= severityRank(f.severity!)));
      where.push(`severity = ANY($${args.length}::text[])`);
    }
    args.push(f.limit ?? 1000);
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY last_seen DESC, id COLLATE "C" LIMIT $${args.length}`;
    return (await this.db.query<AlertRow>(sql, args)).map(alertOf);
  }

  async setState(id: string, state: AlertState, change: AlertChange): Promise<Alert | undefined> {
    return this.change(id, "state", (r) => r.state, state, change, (db) => db.query("UPDATE alerts SET state = $1, note = COALESCE($2, note), updated_at = $3 WHERE id = $4", [state, change.comment ?? null, change.at, id]));
  }

  async verify(id: string, verification: Verification, change: AlertChange): Promise<Alert | undefined> {
    return this.change(id, "verification", (r) => r.verification, verification, change, (db) =>
      db.query("UPDATE alerts SET verification = $1, note = COALESCE($2, note), feedback_pending = $3, updated_at = $4 WHERE id = $5", [verification, change.comment ?? null, verification === "benign_positive", change.at, id]),
    );
  }

  async assign(id: string, assignee: string | null, change: AlertChange): Promise<Alert | undefined> {
    return this.change(id, "assignee", (r) => r.assignee, assignee, change, (db) => db.query("UPDATE alerts SET assignee = $1, updated_at = $2 WHERE id = $3", [assignee, change.at, id]));
  }

  async comment(id: string, change: AlertChange & { comment: string }): Promise<Alert | undefined> {
    return this.change(id, "comment", () => null, null, change, async () => undefined);
  }

  async history(id: string): Promise<AlertEvent[]> {
    return (await this.db.query<EventRow>("SELECT * FROM alert_events WHERE alert_id = $1 ORDER BY id", [id])).map(eventOf);
  }

  /** One change people make: the update and its history entry together (the row locked meanwhile), or nothing. */
  private async change(id: string, action: AlertEvent["action"], before: (r: AlertRow) => string | null, after: string | null, c: AlertChange, update: (db: PgDb) => Promise<unknown>): Promise<Alert | undefined> {
    return this.db.transaction(async (db) => {
      const [r] = await db.query<AlertRow>("SELECT * FROM alerts WHERE id = $1 FOR UPDATE", [id]);
      if (!r) return undefined;
      await update(db);
      await db.query("INSERT INTO alert_events (alert_id, at, actor, action, from_value, to_value, comment) VALUES ($1, $2, $3, $4, $5, $6, $7)", [id, c.at, c.actor, action, before(r), after, c.comment ?? null]);
      const [now] = await db.query<AlertRow>("SELECT * FROM alerts WHERE id = $1", [id]);
      return alertOf(now!);
    });
  }

  async pendingFeedback(): Promise<Alert[]> {
    return (await this.db.query<AlertRow>('SELECT * FROM alerts WHERE feedback_pending ORDER BY updated_at, id COLLATE "C"')).map(alertOf);
  }

  async markFeedbackApplied(ids: readonly string[]): Promise<void> {
    for (const part of chunks(ids, 10_000)) await this.db.query("UPDATE alerts SET feedback_pending = false WHERE id = ANY($1::text[])", [part]);
  }

  async addSuppression(s: Omit<AlertSuppression, "id" | "created_at">, createdAt: string): Promise<AlertSuppression> {
    const [r] = await this.db.query<{ id: number }>("INSERT INTO alert_suppressions (detector, device_id, key, reason, expires, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", [
      s.detector,
      s.device_id ?? null,
      s.key ?? null,
      s.reason,
      s.expires ?? null,
      createdAt,
    ]);
    return { ...s, id: r!.id, created_at: createdAt };
  }

  async removeSuppression(id: number): Promise<boolean> {
    return (await this.db.query("DELETE FROM alert_suppressions WHERE id = $1 RETURNING id", [id])).length > 0;
  }

  async suppressions(): Promise<AlertSuppression[]> {
    const rows = await this.db.query<{ id: number; detector: string; device_id: string | null; key: string | null; reason: string; expires: string | null; created_at: string }>("SELECT * FROM alert_suppressions ORDER BY id");
    return rows.map((r) => ({ id: r.id, detector: r.detector, reason: r.reason, created_at: r.created_at, ...(r.device_id !== null ? { device_id: r.device_id } : {}), ...(r.key !== null ? { key: r.key } : {}), ...(r.expires !== null ? { expires: r.expires } : {}) }));
  }
}
