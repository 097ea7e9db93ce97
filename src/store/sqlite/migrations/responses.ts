import type { Migration } from "../migrate.ts";

export const responseMigrations: Migration[] = [
  {
    area: "responses",
    version: 1,
    up: `
      CREATE TABLE responses (
        id TEXT PRIMARY KEY, action TEXT NOT NULL, target_kind TEXT NOT NULL, target_id TEXT NOT NULL,
        state TEXT NOT NULL, mode TEXT NOT NULL, proposed_at TEXT NOT NULL, applied_at TEXT, ttl_expires_at TEXT,
        confirmed INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL, doc TEXT NOT NULL
      );
      CREATE INDEX responses_target ON responses (target_id, action);
      CREATE INDEX responses_state ON responses (state, proposed_at);
      CREATE INDEX responses_auto ON responses (mode, applied_at);
      -- The log is append-only: the triggers refuse every change and deletion, and the hash chain shows one made anyway.
      CREATE TABLE response_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, doc TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE TRIGGER response_log_no_update BEFORE UPDATE ON response_log BEGIN SELECT RAISE(ABORT, 'the response log is append-only'); END;
      CREATE TRIGGER response_log_no_delete BEFORE DELETE ON response_log BEGIN SELECT RAISE(ABORT, 'the response log is append-only'); END;
      CREATE TABLE response_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE revoked_certificates (fingerprint TEXT PRIMARY KEY, reason TEXT NOT NULL, revoked_at TEXT NOT NULL, response_id TEXT NOT NULL);
      CREATE TABLE rotation_tasks (
        id INTEGER PRIMARY KEY, credential TEXT NOT NULL, devices TEXT NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,
        response_id TEXT NOT NULL, opened_at TEXT NOT NULL, closed_at TEXT, note TEXT
      );
      CREATE INDEX rotation_tasks_credential ON rotation_tasks (credential, state);
    `,
  },
];
