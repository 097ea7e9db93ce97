import type { Migration } from "../migrate.ts";

export const scaleMigrations: Migration[] = [
  {
    area: "scale",
    version: 1,
    up: `
      CREATE TABLE scale_workers (stream TEXT NOT NULL, worker TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (stream, worker));
      CREATE TABLE scale_leases (stream TEXT NOT NULL, part INTEGER NOT NULL, owner TEXT NOT NULL, epoch BIGINT NOT NULL, expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (stream, part));
      CREATE TABLE scale_checkpoints (
        stream TEXT NOT NULL, part INTEGER NOT NULL, seq BIGINT NOT NULL, records BIGINT NOT NULL, at DOUBLE PRECISION NOT NULL,
        saved_at TEXT NOT NULL, bytes BIGINT NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (stream, part)
      );
      CREATE TABLE scale_state_chunks (stream TEXT NOT NULL, part INTEGER NOT NULL, n INTEGER NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (stream, part, n));
    `,
  },
];
