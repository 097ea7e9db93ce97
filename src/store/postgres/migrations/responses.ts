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
      -- The log is append-only: a trigger refuses every change and deletion, and the hash chain shows one made anyway.
      CREATE TABLE response_log (seq BIGINT PRIMARY KEY, at TEXT NOT NULL, doc TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE FUNCTION response_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the response log is append-only'; END $$;
      CREATE TRIGGER response_log_no_change BEFORE UPDATE OR DELETE ON response_log FOR EACH ROW EXECUTE FUNCTION response_log_append_only();
      CREATE TABLE response_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE revoked_certificates (fingerprint TEXT PRIMARY KEY, reason TEXT NOT NULL, revoked_at TEXT NOT NULL, response_id TEXT NOT NULL);
      CREATE TABLE rotation_tasks (
        id BIGSERIAL PRIMARY KEY, credential TEXT NOT NULL, devices TEXT NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,
        response_id TEXT NOT NULL, opened_at TEXT NOT NULL, closed_at TEXT, note TEXT
      );
      CREATE INDEX rotation_tasks_credential ON rotation_tasks (credential, state);
    `,
  },
];
