import type { LogEntry, ResponseRecord } from "../../core/response.ts";
import type { ResponseFilter, ResponseRepository, RevokedCertificate, RotationTask } from "../responses.ts";
import { lockName, type PgDb } from "./db.ts";

const UNDER_WAY = "('proposed', 'approved', 'applied', 'verified')";

function row(r: ResponseRecord): unknown[] {
  return [r.id, r.action, r.target.kind, r.target.id, r.state, r.mode, r.proposed_at, r.applied_at ?? null, r.ttl_expires_at ?? null, r.confirmed_by ? 1 : 0, r.version, JSON.stringify(r)];
}

const docs = (rows: { doc: string }[]) => rows.map((r) => JSON.parse(r.doc) as ResponseRecord);

export class PgResponses implements ResponseRepository {
  constructor(
    private readonly db: PgDb,
    private readonly schema: string,
  ) {}

  async insert(r: ResponseRecord, db: PgDb = this.db): Promise<void> {
    await db.query("INSERT INTO responses (id, action, target_kind, target_id, state, mode, proposed_at, applied_at, ttl_expires_at, confirmed, version, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", row(r));
  }

  async get(id: string): Promise<ResponseRecord | undefined> {
    return docs(await this.db.query<{ doc: string }>("SELECT doc FROM responses WHERE id = $1", [id]))[0];
  }

  async update(r: ResponseRecord, db: PgDb = this.db): Promise<boolean> {
    const [, , , , state, , , applied, ttl, confirmed, version, doc] = row(r);
    return (await db.query("UPDATE responses SET state = $1, applied_at = $2, ttl_expires_at = $3, confirmed = $4, version = $5, doc = $6 WHERE id = $7 AND version = $5 - 1 RETURNING id", [state, applied, ttl, confirmed, version, doc, r.id])).length === 1;
  }

  async list(f: ResponseFilter = {}): Promise<ResponseRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [col, v] of [["state", f.state], ["action", f.action], ["target_id", f.target_id]] as const) {
      if (v === undefined) continue;
      args.push(v);
      where.push(`${col} = $${args.length}`);
    }
    args.push(f.limit ?? 1000);
    return docs(await this.db.query<{ doc: string }>(`SELECT doc FROM responses ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY proposed_at DESC, id COLLATE "C" DESC LIMIT $${args.length}`, args));
  }

  async openFor(action: string, targetId: string, db: PgDb = this.db): Promise<ResponseRecord | undefined> {
    return docs(await db.query<{ doc: string }>(`SELECT doc FROM responses WHERE target_id = $1 AND action = $2 AND state IN ${UNDER_WAY} ORDER BY proposed_at DESC LIMIT 1`, [targetId, action]))[0];
  }

  async answered(action: string, targetId: string, source: { kind: string; id: string; playbook: string }, db: PgDb = this.db): Promise<ResponseRecord | undefined> {
    return docs(
      await db.query<{ doc: string }>(
        "SELECT doc FROM responses WHERE target_id = $1 AND action = $2 AND state <> 'failed' AND doc::jsonb -> 'source' ->> 'kind' = $3 AND doc::jsonb -> 'source' ->> 'id' = $4 AND doc::jsonb -> 'source' ->> 'playbook' = $5 ORDER BY proposed_at DESC LIMIT 1",
        [targetId, action, source.kind, source.id, source.playbook],
      ),
    )[0];
  }

  async insertUnlessAnswered(r: ResponseRecord): Promise<ResponseRecord | undefined> {
    // One lock per action and target, across processes: the checks and the insert cannot interleave with another's.
    return this.db.transaction(async (db) => {
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockName(this.schema, `response:${r.action}:${r.target.id}`)]);
      const { kind, id, playbook } = r.source;
      const existing = (await this.openFor(r.action, r.target.id, db)) ?? (id !== undefined && playbook !== undefined ? await this.answered(r.action, r.target.id, { kind, id, playbook }, db) : undefined);
      if (existing) return existing;
      await this.insert(r, db);
      return undefined;
    });
  }

  async automaticTargetsSince(since: string): Promise<number> {
    return (await this.db.query<{ n: number }>("SELECT COUNT(DISTINCT target_id) AS n FROM responses WHERE mode = 'automatic' AND applied_at >= $1", [since]))[0]!.n;
  }

  async startAutomatic(r: ResponseRecord, since: string, devices: number): Promise<"started" | "conflict" | { used: number }> {
    // One lock for the budget, across processes: two workers cannot both take its last place.
    return this.db.transaction(async (db) => {
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockName(this.schema, "respond-budget")]);
      const [used] = await db.query<{ n: number; mine: boolean }>("SELECT COUNT(DISTINCT target_id)::int AS n, COALESCE(BOOL_OR(target_id = $2), false) AS mine FROM responses WHERE mode = 'automatic' AND applied_at >= $1", [since, r.target.id]);
      if (used!.n >= devices && !used!.mine) return { used: used!.n };
      return (await this.update(r, db)) ? "started" : "conflict";
    });
  }

  async expired(now: string): Promise<ResponseRecord[]> {
    return docs(await this.db.query<{ doc: string }>("SELECT doc FROM responses WHERE mode = 'automatic' AND state IN ('applied', 'verified', 'failed') AND confirmed = 0 AND ttl_expires_at IS NOT NULL AND ttl_expires_at <= $1 ORDER BY ttl_expires_at", [now]));
  }

  async appendLog(entry: Omit<LogEntry, "seq" | "prev_hash" | "hash">, hash: (e: Omit<LogEntry, "hash">) => string): Promise<LogEntry> {
    // Appends wait for each other (also across processes), so the chain never forks.
    return this.db.transaction(async (db) => {
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockName(this.schema, "response-log")]);
      const [last] = await db.query<{ seq: number; hash: string }>("SELECT seq, hash FROM response_log ORDER BY seq DESC LIMIT 1");
      const e: Omit<LogEntry, "hash"> = { ...entry, seq: (last?.seq ?? 0) + 1, prev_hash: last?.hash ?? "" };
      const full: LogEntry = { ...e, hash: hash(e) };
      await db.query("INSERT INTO response_log (seq, at, doc, hash) VALUES ($1, $2, $3, $4)", [full.seq, full.at, JSON.stringify(full), full.hash]);
      return full;
    });
  }

  async *log(pageSize = 1000): AsyncIterable<LogEntry[]> {
    let after = 0;
    for (;;) {
      const rows = await this.db.query<{ seq: number; doc: string }>("SELECT seq, doc FROM response_log WHERE seq > $1 ORDER BY seq LIMIT $2", [after, pageSize]);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.seq;
      yield rows.map((r) => JSON.parse(r.doc) as LogEntry);
    }
  }

  async setting(key: string): Promise<unknown> {
    const [r] = await this.db.query<{ value: string }>("SELECT value FROM response_settings WHERE key = $1", [key]);
    return r ? (JSON.parse(r.value) as unknown) : undefined;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.db.query("INSERT INTO response_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, JSON.stringify(value)]);
  }

  async revoke(fingerprint: string, reason: string, responseId: string, at: string): Promise<{ alreadyRevoked: boolean }> {
    const r = await this.db.query("INSERT INTO revoked_certificates (fingerprint, reason, revoked_at, response_id) VALUES ($1, $2, $3, $4) ON CONFLICT (fingerprint) DO NOTHING RETURNING fingerprint", [fingerprint, reason, at, responseId]);
    return { alreadyRevoked: r.length === 0 };
  }

  async unrevoke(fingerprint: string): Promise<boolean> {
    return (await this.db.query("DELETE FROM revoked_certificates WHERE fingerprint = $1 RETURNING fingerprint", [fingerprint])).length > 0;
  }

  async revoked(fingerprint?: string): Promise<RevokedCertificate[]> {
    const rows = await this.db.query<{ fingerprint: string; reason: string; revoked_at: string; response_id: string; doc: string | null }>(
      `SELECT r.fingerprint, r.reason, r.revoked_at, r.response_id, c.doc FROM revoked_certificates r LEFT JOIN certificates c ON c.fingerprint = r.fingerprint
       ${fingerprint ? "WHERE r.fingerprint = $1" : ""} ORDER BY r.revoked_at COLLATE "C", r.fingerprint COLLATE "C"`,
      fingerprint ? [fingerprint] : [],
    );
    const out: RevokedCertificate[] = [];
    for (const r of rows) {
      const c = r.doc ? (JSON.parse(r.doc) as { subject?: string; issuer?: string; serial?: string; not_after?: string }) : {};
      const x: RevokedCertificate = { fingerprint: r.fingerprint, reason: r.reason, revoked_at: r.revoked_at, response_id: r.response_id, devices: await this.certificateDevices(r.fingerprint) };
      for (const k of ["subject", "issuer", "serial", "not_after"] as const) if (c[k] !== undefined) x[k] = c[k];
      out.push(x);
    }
    return out;
  }

  async openTask(t: { credential: string; devices: string[]; reason: string; responseId: string; at: string }): Promise<{ id: number; existing: boolean }> {
    return this.db.transaction(async (db) => {
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockName(this.schema, `rotation:${t.credential}`)]);
      const [open] = await db.query<{ id: number }>("SELECT id FROM rotation_tasks WHERE credential = $1 AND state = 'open'", [t.credential]);
      if (open) return { id: open.id, existing: true };
      const [r] = await db.query<{ id: number }>("INSERT INTO rotation_tasks (credential, devices, reason, state, response_id, opened_at) VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id", [t.credential, JSON.stringify(t.devices), t.reason, t.responseId, t.at]);
      return { id: r!.id, existing: false };
    });
  }

  async closeTask(id: number, note: string, at: string): Promise<boolean> {
    return (await this.db.query("UPDATE rotation_tasks SET state = 'closed', closed_at = $1, note = $2 WHERE id = $3 AND state = 'open' RETURNING id", [at, note, id])).length > 0;
  }

  async tasks(f: { id?: number; state?: "open" | "closed" } = {}): Promise<RotationTask[]> {
    const rows = await this.db.query<{ id: number; credential: string; devices: string; reason: string; state: "open" | "closed"; response_id: string; opened_at: string; closed_at: string | null; note: string | null }>(
      "SELECT * FROM rotation_tasks WHERE ($1::bigint IS NULL OR id = $1) AND ($2::text IS NULL OR state = $2) ORDER BY id",
      [f.id ?? null, f.state ?? null],
    );
    return rows.map((r) => ({ id: r.id, credential: r.credential, devices: JSON.parse(r.devices) as string[], reason: r.reason, state: r.state, response_id: r.response_id, opened_at: r.opened_at, ...(r.closed_at ? { closed_at: r.closed_at } : {}), ...(r.note ? { note: r.note } : {}) }));
  }

  async devicesSharingCredential(credential: string): Promise<string[]> {
    const m = /^(model:)?([^/]+)\/([^/]+)\/(.*)$/.exec(credential);
    if (!m) return [];
    const [, isModel, owner, service, username] = m;
    if (isModel) return (await this.db.query<{ device_id: string }>('SELECT device_id FROM devices WHERE model_id = $1 ORDER BY device_id COLLATE "C"', [owner])).map((r) => r.device_id);
    const [own] = await this.db.query<{ secret_kind: string; secret: string }>("SELECT secret_kind, secret FROM credentials WHERE device_id = $1 AND service = $2 AND username = $3", [owner, service, username]);
    if (!own) return [];
    const rows = await this.db.query<{ device_id: string }>(
      'SELECT DISTINCT device_id COLLATE "C" AS device_id FROM credentials WHERE device_id IS NOT NULL AND service = $1 AND username = $2 AND secret_kind = $3 AND secret = $4 ORDER BY 1',
      [service, username, own.secret_kind, own.secret],
    );
    return rows.map((r) => r.device_id);
  }

  async certificateDevices(fingerprint: string): Promise<string[]> {
    return (await this.db.query<{ device_id: string }>('SELECT device_id FROM devices WHERE cert_fingerprint = $1 ORDER BY device_id COLLATE "C"', [fingerprint])).map((r) => r.device_id);
  }
}
