import type Database from "better-sqlite3";
import type { LogEntry, ResponseRecord } from "../../core/response.ts";
import type { ResponseFilter, ResponseRepository, RevokedCertificate, RotationTask } from "../responses.ts";

/** Atomic on its own (IMMEDIATE, so the write lock is taken before the read), a savepoint inside a caller's transaction. */
function atomic<T>(db: Database.Database, fn: () => T): T {
  const tx = db.transaction(fn);
  return db.inTransaction ? tx() : tx.immediate();
}

const UNDER_WAY = "('proposed', 'approved', 'applied', 'verified')";

export class SqliteResponses implements ResponseRepository {
  constructor(private readonly db: Database.Database) {}

  private row(r: ResponseRecord) {
    return { id: r.id, action: r.action, target_kind: r.target.kind, target_id: r.target.id, state: r.state, mode: r.mode, proposed_at: r.proposed_at, applied_at: r.applied_at ?? null, ttl_expires_at: r.ttl_expires_at ?? null, confirmed: r.confirmed_by ? 1 : 0, version: r.version, doc: JSON.stringify(r) };
  }

  async insert(r: ResponseRecord): Promise<void> {
    this.insertNow(r);
  }

  private insertNow(r: ResponseRecord): void {
    this.db.prepare("INSERT INTO responses (id, action, target_kind, target_id, state, mode, proposed_at, applied_at, ttl_expires_at, confirmed, version, doc) VALUES (@id, @action, @target_kind, @target_id, @state, @mode, @proposed_at, @applied_at, @ttl_expires_at, @confirmed, @version, @doc)").run(this.row(r));
  }

  async get(id: string): Promise<ResponseRecord | undefined> {
    const r = this.db.prepare("SELECT doc FROM responses WHERE id = ?").get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as ResponseRecord) : undefined;
  }

  async update(r: ResponseRecord): Promise<boolean> {
    return this.updateNow(r);
  }

  private updateNow(r: ResponseRecord): boolean {
    const res = this.db.prepare("UPDATE responses SET state = @state, applied_at = @applied_at, ttl_expires_at = @ttl_expires_at, confirmed = @confirmed, version = @version, doc = @doc WHERE id = @id AND version = @version - 1").run(this.row(r));
    return res.changes === 1;
  }

  async list(f: ResponseFilter = {}): Promise<ResponseRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [col, v] of [["state", f.state], ["action", f.action], ["target_id", f.target_id]] as const) {
      if (v === undefined) continue;
      where.push(`${col} = ?`);
      args.push(v);
    }
    const rows = this.db.prepare(`SELECT doc FROM responses ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY proposed_at DESC, id DESC LIMIT ?`).all(...args, f.limit ?? 1000) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as ResponseRecord);
  }

  async openFor(action: string, targetId: string): Promise<ResponseRecord | undefined> {
    return this.openNow(action, targetId);
  }

  private openNow(action: string, targetId: string): ResponseRecord | undefined {
    const r = this.db.prepare(`SELECT doc FROM responses WHERE target_id = ? AND action = ? AND state IN ${UNDER_WAY} ORDER BY proposed_at DESC LIMIT 1`).get(targetId, action) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as ResponseRecord) : undefined;
  }

  async answered(action: string, targetId: string, source: { kind: string; id: string; playbook: string }): Promise<ResponseRecord | undefined> {
    return this.answeredNow(action, targetId, source);
  }

  private answeredNow(action: string, targetId: string, source: { kind: string; id: string; playbook: string }): ResponseRecord | undefined {
    const r = this.db
      .prepare("SELECT doc FROM responses WHERE target_id = ? AND action = ? AND state <> 'failed' AND doc ->> '$.source.kind' = ? AND doc ->> '$.source.id' = ? AND doc ->> '$.source.playbook' = ? ORDER BY proposed_at DESC LIMIT 1")
      .get(targetId, action, source.kind, source.id, source.playbook) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as ResponseRecord) : undefined;
  }

  async insertUnlessAnswered(r: ResponseRecord): Promise<ResponseRecord | undefined> {
    // IMMEDIATE: the write lock is taken before the checks, so another process cannot insert between them.
    return atomic(this.db, () => {
      const { kind, id, playbook } = r.source;
      const existing = this.openNow(r.action, r.target.id) ?? (id !== undefined && playbook !== undefined ? this.answeredNow(r.action, r.target.id, { kind, id, playbook }) : undefined);
      if (existing) return existing;
      this.insertNow(r);
      return undefined;
    });
  }

  async automaticTargetsSince(since: string): Promise<number> {
    return (this.db.prepare("SELECT COUNT(DISTINCT target_id) AS n FROM responses WHERE mode = 'automatic' AND applied_at >= ?").get(since) as { n: number }).n;
  }

  async startAutomatic(r: ResponseRecord, since: string, devices: number): Promise<"started" | "conflict" | { used: number }> {
    return atomic(this.db, () => {
      const used = (this.db.prepare("SELECT COUNT(DISTINCT target_id) AS n, COALESCE(MAX(target_id = ?), 0) AS mine FROM responses WHERE mode = 'automatic' AND applied_at >= ?").get(r.target.id, since) as { n: number; mine: number });
      if (used.n >= devices && !used.mine) return { used: used.n };
      return this.updateNow(r) ? "started" : "conflict";
    });
  }

  async expired(now: string): Promise<ResponseRecord[]> {
    const rows = this.db.prepare("SELECT doc FROM responses WHERE mode = 'automatic' AND state IN ('applied', 'verified', 'failed') AND confirmed = 0 AND ttl_expires_at IS NOT NULL AND ttl_expires_at <= ? ORDER BY ttl_expires_at").all(now) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as ResponseRecord);
  }

  async appendLog(entry: Omit<LogEntry, "seq" | "prev_hash" | "hash">, hash: (e: Omit<LogEntry, "hash">) => string): Promise<LogEntry> {
    return atomic(this.db, () => {
      const last = this.db.prepare("SELECT seq, hash FROM response_log ORDER BY seq DESC LIMIT 1").get() as { seq: number; hash: string } | undefined;
      const e: Omit<LogEntry, "hash"> = { ...entry, seq: (last?.seq ?? 0) + 1, prev_hash: last?.hash ?? "" };
      const full: LogEntry = { ...e, hash: hash(e) };
      this.db.prepare("INSERT INTO response_log (seq, at, doc, hash) VALUES (?, ?, ?, ?)").run(full.seq, full.at, JSON.stringify(full), full.hash);
      return full;
    });
  }

  async *log(pageSize = 1000): AsyncIterable<LogEntry[]> {
    let after = 0;
    for (;;) {
      const rows = this.db.prepare("SELECT seq, doc FROM response_log WHERE seq > ? ORDER BY seq LIMIT ?").all(after, pageSize) as { seq: number; doc: string }[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.seq;
      yield rows.map((r) => JSON.parse(r.doc) as LogEntry);
    }
  }

  async setting(key: string): Promise<unknown> {
    const r = this.db.prepare("SELECT value FROM response_settings WHERE key = ?").get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as unknown) : undefined;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    this.db.prepare("INSERT INTO response_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
  }

  async revoke(fingerprint: string, reason: string, responseId: string, at: string): Promise<{ alreadyRevoked: boolean }> {
    const r = this.db.prepare("INSERT INTO revoked_certificates (fingerprint, reason, revoked_at, response_id) VALUES (?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING").run(fingerprint, reason, at, responseId);
    return { alreadyRevoked: r.changes === 0 };
  }

  async unrevoke(fingerprint: string): Promise<boolean> {
    return this.db.prepare("DELETE FROM revoked_certificates WHERE fingerprint = ?").run(fingerprint).changes > 0;
  }

  async revoked(fingerprint?: string): Promise<RevokedCertificate[]> {
    const rows = this.db
      .prepare(`SELECT r.fingerprint, r.reason, r.revoked_at, r.response_id, c.doc FROM revoked_certificates r LEFT JOIN certificates c ON c.fingerprint = r.fingerprint ${fingerprint ? "WHERE r.fingerprint = ?" : ""} ORDER BY r.revoked_at, r.fingerprint`)
      .all(...(fingerprint ? [fingerprint] : [])) as { fingerprint: string; reason: string; revoked_at: string; response_id: string; doc: string | null }[];
    const devices = this.db.prepare("SELECT device_id FROM devices WHERE cert_fingerprint = ? ORDER BY device_id");
    return rows.map((r) => {
      const c = r.doc ? (JSON.parse(r.doc) as { subject?: string; issuer?: string; serial?: string; not_after?: string }) : {};
      const out: RevokedCertificate = { fingerprint: r.fingerprint, reason: r.reason, revoked_at: r.revoked_at, response_id: r.response_id, devices: (devices.all(r.fingerprint) as { device_id: string }[]).map((d) => d.device_id) };
      for (const k of ["subject", "issuer", "serial", "not_after"] as const) if (c[k] !== undefined) out[k] = c[k];
      return out;
    });
  }

  async openTask(t: { credential: string; devices: string[]; reason: string; responseId: string; at: string }): Promise<{ id: number; existing: boolean }> {
    return atomic(this.db, () => {
      const open = this.db.prepare("SELECT id FROM rotation_tasks WHERE credential = ? AND state = 'open'").get(t.credential) as { id: number } | undefined;
      if (open) return { id: open.id, existing: true };
      const r = this.db.prepare("INSERT INTO rotation_tasks (credential, devices, reason, state, response_id, opened_at) VALUES (?, ?, ?, 'open', ?, ?)").run(t.credential, JSON.stringify(t.devices), t.reason, t.responseId, t.at);
      return { id: Number(r.lastInsertRowid), existing: false };
    });
  }

  async closeTask(id: number, note: string, at: string): Promise<boolean> {
    return this.db.prepare("UPDATE rotation_tasks SET state = 'closed', closed_at = ?, note = ? WHERE id = ? AND state = 'open'").run(at, note, id).changes > 0;
  }

  async tasks(f: { id?: number; state?: "open" | "closed" } = {}): Promise<RotationTask[]> {
    const rows = this.db
      .prepare(`SELECT * FROM rotation_tasks WHERE (? IS NULL OR id = ?) AND (? IS NULL OR state = ?) ORDER BY id`)
      .all(f.id ?? null, f.id ?? null, f.state ?? null, f.state ?? null) as { id: number; credential: string; devices: string; reason: string; state: "open" | "closed"; response_id: string; opened_at: string; closed_at: string | null; note: string | null }[];
    return rows.map((r) => ({ id: r.id, credential: r.credential, devices: JSON.parse(r.devices) as string[], reason: r.reason, state: r.state, response_id: r.response_id, opened_at: r.opened_at, ...(r.closed_at ? { closed_at: r.closed_at } : {}), ...(r.note ? { note: r.note } : {}) }));
  }

  async devicesSharingCredential(credential: string): Promise<string[]> {
    const m = /^(model:)?([^/]+)\/([^/]+)\/(.*)$/.exec(credential);
    if (!m) return [];
    const [, isModel, owner, service, username] = m;
    if (isModel) return (this.db.prepare("SELECT device_id FROM devices WHERE model_id = ? ORDER BY device_id").all(owner) as { device_id: string }[]).map((r) => r.device_id);
    const own = this.db.prepare("SELECT secret_kind, secret FROM credentials WHERE device_id = ? AND service = ? AND username = ?").get(owner, service, username) as { secret_kind: string; secret: string } | undefined;
    if (!own) return [];
    const rows = this.db.prepare("SELECT DISTINCT device_id FROM credentials WHERE device_id IS NOT NULL AND service = ? AND username = ? AND secret_kind = ? AND secret = ? ORDER BY device_id").all(service, username, own.secret_kind, own.secret) as { device_id: string }[];
    return rows.map((r) => r.device_id);
  }

  async certificateDevices(fingerprint: string): Promise<string[]> {
    return (this.db.prepare("SELECT device_id FROM devices WHERE cert_fingerprint = ? ORDER BY device_id").all(fingerprint) as { device_id: string }[]).map((r) => r.device_id);
  }
}
