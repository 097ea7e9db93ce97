import { LongwatchError } from "../../core/errors.ts";
import type { Role } from "../../core/roles.ts";
import type { AccessRepository, Account, ApiToken, AuditEntry, AuditFilter, NewApiToken, Principal, StoredAccount, StoredSession } from "../access.ts";
import type { StoreEnv } from "../store.ts";
import type { PgDb } from "./db.ts";

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

function tokenOf(r: TokenRow): ApiToken {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.prefix,
    created_at: r.created_at,
    created_by: r.created_by,
    ...(r.expires_at ? { expires_at: r.expires_at } : {}),
    ...(r.last_used_at ? { last_used_at: r.last_used_at } : {}),
    ...(r.revoked_at ? { revoked_at: r.revoked_at } : {}),
  };
}

const TOKEN_COLS = "id, name, role, prefix, created_at, created_by, expires_at, last_used_at, revoked_at";

function auditWhere(f: AuditFilter, withCursor: boolean): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (cond: (n: string) => string, v: unknown) => {
    if (v === undefined) return;
    args.push(v);
    where.push(cond(`$${args.length}`));
  };
  add((p) => `actor = ${p}`, f.actor);
  add((p) => `action = ${p}`, f.action);
  add((p) => `target_kind = ${p}`, f.target_kind);
  add((p) => `target_id = ${p}`, f.target_id);
  add((p) => `at >= ${p}`, f.since);
  add((p) => `at < ${p}`, f.until);
  if (withCursor) add((p) => `seq < ${p}`, f.before_seq);
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", args };
}

export class PgAccess implements AccessRepository {
  constructor(
    private readonly db: PgDb,
    private readonly env: StoreEnv,
  ) {}

  async createToken(t: NewApiToken, at: string): Promise<ApiToken> {
    try {
      const [r] = await this.db.query<TokenRow>(`INSERT INTO api_tokens (id, name, role, prefix, hash, created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${TOKEN_COLS}`, [this.env.newId(), t.name, t.role, t.prefix, t.hash, at, t.created_by, t.expires_at ?? null]);
      return tokenOf(r!);
    } catch (e) {
      if ((e as { code?: string }).code === "23505") throw new LongwatchError("conflict", `a token named "${t.name}" exists already: revoke it first or pick another name`, { name: t.name });
      throw e;
    }
  }

  async tokenByHash(hash: string): Promise<ApiToken | undefined> {
    const [r] = await this.db.query<TokenRow>(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE hash = $1`, [hash]);
    return r ? tokenOf(r) : undefined;
  }

  async tokens(opts: { includeRevoked?: boolean } = {}): Promise<ApiToken[]> {
    const rows = await this.db.query<TokenRow>(`SELECT ${TOKEN_COLS} FROM api_tokens ${opts.includeRevoked ? "" : "WHERE revoked_at IS NULL"} ORDER BY created_at COLLATE "C", name COLLATE "C", id COLLATE "C"`);
    return rows.map(tokenOf);
  }

  async revokeToken(nameOrId: string, at: string): Promise<ApiToken | undefined> {
    const [r] = await this.db.query<TokenRow>(`UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND (name = $2 OR id = $2) RETURNING ${TOKEN_COLS}`, [at, nameOrId]);
    return r ? tokenOf(r) : undefined;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db.query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", [at, id]);
  }

  async principalCount(): Promise<{ tokens: number; accounts: number }> {
    const [r] = await this.db.query<{ tokens: number; accounts: number }>("SELECT (SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL) AS tokens, (SELECT COUNT(*) FROM api_accounts WHERE password_hash LIKE 'scrypt$%') AS accounts");
    return { tokens: Number(r!.tokens), accounts: Number(r!.accounts) };
  }

  async putAccount(a: { username: string; role: Role; password_hash: string }, at: string): Promise<Account> {
    const [r] = await this.db.query<Account>(
      `INSERT INTO api_accounts (username, role, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (username) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, updated_at = excluded.updated_at
       RETURNING username, role, created_at, updated_at`,
      [a.username, a.role, a.password_hash, at],
    );
    return r!;
  }

  async account(username: string): Promise<StoredAccount | undefined> {
    const [r] = await this.db.query<StoredAccount>("SELECT username, role, password_hash, created_at, updated_at FROM api_accounts WHERE username = $1", [username]);
    return r;
  }

  async accounts(): Promise<Account[]> {
    return this.db.query<Account>(`SELECT username, role, created_at, updated_at FROM api_accounts ORDER BY username COLLATE "C"`);
  }

  async removeAccount(username: string): Promise<boolean> {
    return (await this.db.query("DELETE FROM api_accounts WHERE username = $1 RETURNING username", [username])).length === 1;
  }

  async createSession(s: StoredSession): Promise<void> {
    await this.db.query("INSERT INTO api_sessions (id_hash, csrf_hash, principal_kind, principal_name, principal, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)", [s.id_hash, s.csrf_hash, s.principal.kind, s.principal.name, JSON.stringify(s.principal), s.created_at, s.expires_at]);
  }

  async session(idHash: string, now: string): Promise<StoredSession | undefined> {
    const [r] = await this.db.query<{ id_hash: string; csrf_hash: string; principal: string; created_at: string; expires_at: string }>("SELECT id_hash, csrf_hash, principal, created_at, expires_at FROM api_sessions WHERE id_hash = $1 AND expires_at > $2", [idHash, now]);
    return r ? { id_hash: r.id_hash, csrf_hash: r.csrf_hash, principal: JSON.parse(r.principal) as Principal, created_at: r.created_at, expires_at: r.expires_at } : undefined;
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return (await this.db.query("DELETE FROM api_sessions WHERE id_hash = $1 RETURNING id_hash", [idHash])).length === 1;
  }

  async deleteSessionsOf(kind: Principal["kind"], name: string): Promise<number> {
    return (await this.db.query("DELETE FROM api_sessions WHERE principal_kind = $1 AND principal_name = $2 RETURNING id_hash", [kind, name])).length;
  }

  async deleteExpiredSessions(now: string): Promise<number> {
    return (await this.db.query("DELETE FROM api_sessions WHERE expires_at <= $1 RETURNING id_hash", [now])).length;
  }

  async appendAudit(e: Omit<AuditEntry, "seq">): Promise<AuditEntry> {
    return this.db.transaction(async (db) => {
      const [r] = await db.query<{ seq: number }>("SELECT nextval(pg_get_serial_sequence('audit_log', 'seq')) AS seq");
      const full: AuditEntry = { seq: Number(r!.seq), ...e };
      await db.query("INSERT INTO audit_log (seq, at, actor, action, target_kind, target_id, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)", [full.seq, full.at, full.actor, full.action, full.target_kind, full.target_id ?? null, JSON.stringify(full)]);
      return full;
    });
  }

  async audit(f: AuditFilter = {}): Promise<AuditEntry[]> {
    const w = auditWhere(f, true);
    const rows = await this.db.query<{ doc: string }>(`SELECT doc FROM audit_log ${w.sql} ORDER BY seq DESC LIMIT $${w.args.length + 1}`, [...w.args, f.limit ?? 100]);
    return rows.map((r) => JSON.parse(r.doc) as AuditEntry);
  }

  async auditCount(f: AuditFilter, cap: number): Promise<number> {
    const w = auditWhere(f, false);
    const [r] = await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_log ${w.sql} LIMIT $${w.args.length + 1}) AS x`, [...w.args, cap]);
    return Number(r!.n);
  }
}
