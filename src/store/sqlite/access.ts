import type Database from "better-sqlite3";
import { LongwatchError } from "../../core/errors.ts";
import type { Role } from "../../core/roles.ts";
import type { AccessRepository, Account, ApiToken, AuditEntry, AuditFilter, NewApiToken, Principal, StoredAccount, StoredSession } from "../access.ts";
import type { StoreEnv } from "../store.ts";

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

/** The WHERE clause of an audit filter, with `?` parameters. */
function auditWhere(f: AuditFilter, withCursor: boolean): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  const eq = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    where.push(`${col} = ?`);
    args.push(v);
  };
  eq("actor", f.actor);
  eq("action", f.action);
  eq("target_kind", f.target_kind);
  eq("target_id", f.target_id);
  const cmp = (cond: string, v: unknown) => {
    if (v === undefined) return;
    where.push(cond);
    args.push(v);
  };
  cmp("at >= ?", f.since);
  cmp("at < ?", f.until);
  if (withCursor) cmp("seq < ?", f.before_seq);
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", args };
}

export class SqliteAccess implements AccessRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly env: StoreEnv,
  ) {}

  async createToken(t: NewApiToken, at: string): Promise<ApiToken> {
    const id = this.env.newId();
    try {
      this.db.prepare(`INSERT INTO api_tokens (id, name, role, prefix, hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(id, t.name, t.role, t.prefix, t.hash, at, t.created_by, t.expires_at ?? null);
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith("SQLITE_CONSTRAINT")) throw new LongwatchError("conflict", `a token named "${t.name}" exists already: revoke it first or pick another name`, { name: t.name });
      throw e;
    }
    return tokenOf(this.db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE id = ?`).get(id) as TokenRow);
  }

  async tokenByHash(hash: string): Promise<ApiToken | undefined> {
    const r = this.db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE hash = ?`).get(hash) as TokenRow | undefined;
    return r ? tokenOf(r) : undefined;
  }

  async tokens(opts: { includeRevoked?: boolean } = {}): Promise<ApiToken[]> {
    const rows = this.db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens ${opts.includeRevoked ? "" : "WHERE revoked_at IS NULL"} ORDER BY created_at, name, id`).all() as TokenRow[];
    return rows.map(tokenOf);
  }

  async revokeToken(nameOrId: string, at: string): Promise<ApiToken | undefined> {
    const r = this.db.prepare(`UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND (name = ? OR id = ?) RETURNING ${TOKEN_COLS}`).get(at, nameOrId, nameOrId) as TokenRow | undefined;
    return r ? tokenOf(r) : undefined;
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(at, id);
  }

  async principalCount(): Promise<{ tokens: number; accounts: number }> {
    const tokens = (this.db.prepare("SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL").get() as { n: number }).n;
    const accounts = (this.db.prepare("SELECT COUNT(*) AS n FROM api_accounts WHERE password_hash LIKE 'scrypt$%'").get() as { n: number }).n;
    return { tokens, accounts };
  }

  async putAccount(a: { username: string; role: Role; password_hash: string }, at: string): Promise<Account> {
    return this.db
      .prepare(
        `INSERT INTO api_accounts (username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, updated_at = excluded.updated_at
         RETURNING username, role, created_at, updated_at`,
      )
      .get(a.username, a.role, a.password_hash, at, at) as Account;
  }

  async account(username: string): Promise<StoredAccount | undefined> {
    return this.db.prepare("SELECT username, role, password_hash, created_at, updated_at FROM api_accounts WHERE username = ?").get(username) as StoredAccount | undefined;
  }

  async accounts(): Promise<Account[]> {
    return this.db.prepare("SELECT username, role, created_at, updated_at FROM api_accounts ORDER BY username").all() as Account[];
  }

  async removeAccount(username: string): Promise<boolean> {
    return this.db.prepare("DELETE FROM api_accounts WHERE username = ?").run(username).changes === 1;
  }

  async createSession(s: StoredSession): Promise<void> {
    this.db.prepare("INSERT INTO api_sessions (id_hash, csrf_hash, principal_kind, principal_name, principal, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(s.id_hash, s.csrf_hash, s.principal.kind, s.principal.name, JSON.stringify(s.principal), s.created_at, s.expires_at);
  }

  async session(idHash: string, now: string): Promise<StoredSession | undefined> {
    const r = this.db.prepare("SELECT id_hash, csrf_hash, principal, created_at, expires_at FROM api_sessions WHERE id_hash = ? AND expires_at > ?").get(idHash, now) as { id_hash: string; csrf_hash: string; principal: string; created_at: string; expires_at: string } | undefined;
    return r ? { id_hash: r.id_hash, csrf_hash: r.csrf_hash, principal: JSON.parse(r.principal) as Principal, created_at: r.created_at, expires_at: r.expires_at } : undefined;
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return this.db.prepare("DELETE FROM api_sessions WHERE id_hash = ?").run(idHash).changes === 1;
  }

  async deleteSessionsOf(kind: Principal["kind"], name: string): Promise<number> {
    return this.db.prepare("DELETE FROM api_sessions WHERE principal_kind = ? AND principal_name = ?").run(kind, name).changes;
  }

  async deleteExpiredSessions(now: string): Promise<number> {
    return this.db.prepare("DELETE FROM api_sessions WHERE expires_at <= ?").run(now).changes;
  }

  async appendAudit(e: Omit<AuditEntry, "seq">): Promise<AuditEntry> {
    const tx = this.db.transaction(() => {
      const last = this.db.prepare("SELECT MAX(seq) AS seq FROM audit_log").get() as { seq: number | null };
      const full: AuditEntry = { seq: (last.seq ?? 0) + 1, ...e };
      this.db.prepare("INSERT INTO audit_log (seq, at, actor, action, target_kind, target_id, doc) VALUES (?, ?, ?, ?, ?, ?, ?)").run(full.seq, full.at, full.actor, full.action, full.target_kind, full.target_id ?? null, JSON.stringify(full));
      return full;
    });
    return this.db.inTransaction ? tx() : tx.immediate();
  }

  async audit(f: AuditFilter = {}): Promise<AuditEntry[]> {
    const w = auditWhere(f, true);
    const rows = this.db.prepare(`SELECT doc FROM audit_log ${w.sql} ORDER BY seq DESC LIMIT ?`).all(...w.args, f.limit ?? 100) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as AuditEntry);
  }

  async auditCount(f: AuditFilter, cap: number): Promise<number> {
    const w = auditWhere(f, false);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_log ${w.sql} LIMIT ?)`).get(...w.args, cap) as { n: number }).n;
  }
}
