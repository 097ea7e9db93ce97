/**
 * Port: who may use the service — API tokens, accounts (username + scrypt password hash), sessions — and the audit
 * log of every change made through it. Secrets never reach this port: tokens and session ids arrive as SHA-256
 * digests, passwords as scrypt hashes. The audit log is append-only (the adapters' triggers refuse updates and
 * deletes).
 */
import type { Role } from "../core/roles.ts";

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  /** The visible start of the token (`lw_` + a few characters), so people can tell tokens apart. */
  prefix: string;
  created_at: string;
  created_by: string;
  expires_at?: string;
  last_used_at?: string;
  revoked_at?: string;
}

export interface NewApiToken {
  name: string;
  role: Role;
  prefix: string;
  /** Hex SHA-256 of the whole token. */
  hash: string;
  created_by: string;
  expires_at?: string;
}

export interface Account {
  username: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface StoredAccount extends Account {
  /** `scrypt$N$r$p$salt$key` (base64url parts); `disabled$<when>` for an account that may not sign in (`account disable`). */
  password_hash: string;
}

/** Who a session (or a request) acts as. */
export interface Principal {
  kind: "token" | "account";
  /** The token's name or the account's username. */
  name: string;
  role: Role;
  /** For a token, its id (a session made with a token ends when the token is revoked). */
  token_id?: string;
}

export interface StoredSession {
  /** Hex SHA-256 of the session cookie's secret. */
  id_hash: string;
  /** Hex SHA-256 of the CSRF token the session was given. */
  csrf_hash: string;
  principal: Principal;
  created_at: string;
  expires_at: string;
}

export interface AuditEntry {
  /** Increasing, assigned by the store. */
  seq: number;
  at: string;
  actor: string;
  actor_kind: Principal["kind"] | "system";
  role?: Role;
  /** What was done: the API operation (e.g. `alerts.ack`, `tokens.create`). */
  action: string;
  target_kind: string;
  target_id?: string;
  before?: unknown;
  after?: unknown;
  request_id?: string;
  source_ip?: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target_kind?: string;
  target_id?: string;
  /** at >= since */
  since?: string;
  /** at < until */
  until?: string;
  /** Keyset cursor: only entries with seq below this. */
  before_seq?: number;
  limit?: number;
}

export interface AccessRepository {
  /** A new token; a `conflict` error when an unrevoked token already has the name. */
  createToken(t: NewApiToken, at: string): Promise<ApiToken>;
  /** The token with this hash, revoked or expired ones included (the caller decides). */
  tokenByHash(hash: string): Promise<ApiToken | undefined>;
  /** Ordered by created_at, then name; revoked tokens only when asked. */
  tokens(opts?: { includeRevoked?: boolean }): Promise<ApiToken[]>;
  /** Revokes the unrevoked token with this name (or id); undefined when there is none. */
  revokeToken(nameOrId: string, at: string): Promise<ApiToken | undefined>;
  /** Records a use (last_used_at). */
  touchToken(id: string, at: string): Promise<void>;
  /**
   * Unrevoked tokens, and accounts that can sign in (a `scrypt$…` password hash; a disabled account's is not one),
   * for the first start (no one can sign in yet).
   */
  principalCount(): Promise<{ tokens: number; accounts: number }>;
  /** Creates the account or replaces its password and role. */
  putAccount(a: { username: string; role: Role; password_hash: string }, at: string): Promise<Account>;
  account(username: string): Promise<StoredAccount | undefined>;
  /** Ordered by username. */
  accounts(): Promise<Account[]>;
  removeAccount(username: string): Promise<boolean>;
  createSession(s: StoredSession): Promise<void>;
  /** The session with this id hash that has not expired at `now`. */
  session(idHash: string, now: string): Promise<StoredSession | undefined>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of a principal (a revoked token, a removed account). */
  deleteSessionsOf(kind: Principal["kind"], name: string): Promise<number>;
  deleteExpiredSessions(now: string): Promise<number>;
  appendAudit(e: Omit<AuditEntry, "seq">): Promise<AuditEntry>;
  /** Newest first (seq descending). */
  audit(filter?: AuditFilter): Promise<AuditEntry[]>;
  /** How many entries match (ignoring before_seq and limit), counted up to `cap`. */
  auditCount(filter: AuditFilter, cap: number): Promise<number>;
}
