import type { Migration } from "../migrate.ts";

export const accessMigrations: Migration[] = [
  {
    area: "access",
    version: 1,
    up: `
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL, expires_at TEXT, last_used_at TEXT, revoked_at TEXT
      );
      -- One live token per name; revoked ones keep their name for the record.
      CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
      CREATE TABLE api_accounts (
        username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
      );
      CREATE TABLE api_sessions (
        id_hash TEXT PRIMARY KEY, csrf_hash TEXT NOT NULL, principal_kind TEXT NOT NULL, principal_name TEXT NOT NULL,
        principal TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL
      );
      CREATE INDEX api_sessions_principal ON api_sessions (principal_kind, principal_name);
      CREATE INDEX api_sessions_expiry ON api_sessions (expires_at);
      -- Every change made through the service; append-only.
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target_kind TEXT NOT NULL,
        target_id TEXT, doc TEXT NOT NULL
      );
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_target ON audit_log (target_kind, target_id);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `,
  },
];
