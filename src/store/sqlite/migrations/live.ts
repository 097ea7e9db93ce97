import type { Migration } from "../migrate.ts";

export const liveMigrations: Migration[] = [
  {
    area: "live",
    version: 1,
    up: `
      -- AUTOINCREMENT: a sequence number is never reused after the checkpoint deleted the rows below it.
      CREATE TABLE live_journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, source TEXT NOT NULL, received_at REAL NOT NULL, meta TEXT NOT NULL, body BLOB NOT NULL
      );
      CREATE INDEX live_journal_pipeline ON live_journal (pipeline, seq);
      CREATE TABLE live_checkpoints (pipeline TEXT PRIMARY KEY, seq INTEGER NOT NULL, at REAL NOT NULL, saved_at TEXT NOT NULL, meta TEXT NOT NULL, bytes INTEGER NOT NULL);
      CREATE TABLE live_state_chunks (pipeline TEXT NOT NULL, n INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (pipeline, n)) WITHOUT ROWID;
      CREATE TABLE live_positions (pipeline TEXT NOT NULL, source TEXT NOT NULL, position TEXT NOT NULL, PRIMARY KEY (pipeline, source)) WITHOUT ROWID;
      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY, sink TEXT NOT NULL, sink_type TEXT NOT NULL, alert_id TEXT NOT NULL, change TEXT NOT NULL, reason TEXT NOT NULL,
        error TEXT, attempts INTEGER NOT NULL, at TEXT NOT NULL, alert TEXT NOT NULL
      );
      CREATE INDEX dead_letters_sink ON dead_letters (sink, id);
      CREATE INDEX dead_letters_alert ON dead_letters (alert_id, id);
    `,
  },
  {
    area: "live",
    version: 2,
    // Staged checkpoint states (live.ts StagedState): the row names its pieces; NULL pieces is a row from before.
    up: `
      ALTER TABLE live_checkpoints ADD COLUMN first_n INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE live_checkpoints ADD COLUMN pieces INTEGER;
    `,
  },
];
