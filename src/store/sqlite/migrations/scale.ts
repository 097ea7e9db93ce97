import type { Migration } from "../migrate.ts";

export const scaleMigrations: Migration[] = [
  {
    area: "scale",
    version: 1,
    up: `
      CREATE TABLE scale_workers (stream TEXT NOT NULL, worker TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (stream, worker));
      CREATE TABLE scale_leases (stream TEXT NOT NULL, part INTEGER NOT NULL, owner TEXT NOT NULL, epoch INTEGER NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (stream, part));
      CREATE TABLE scale_checkpoints (
        stream TEXT NOT NULL, part INTEGER NOT NULL, seq INTEGER NOT NULL, records INTEGER NOT NULL, at REAL NOT NULL,
        saved_at TEXT NOT NULL, bytes INTEGER NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (stream, part)
      );
      CREATE TABLE scale_state_chunks (stream TEXT NOT NULL, part INTEGER NOT NULL, n INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (stream, part, n));
    `,
  },
];
