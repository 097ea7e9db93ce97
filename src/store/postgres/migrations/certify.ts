import type { Migration } from "../migrate.ts";

export const certifyMigrations: Migration[] = [
  {
    area: "certify",
    version: 1,
    up: `
      CREATE TABLE certify_assessments (
        id BIGSERIAL PRIMARY KEY, model_id TEXT NOT NULL, standard TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL
      );
      CREATE INDEX certify_assessments_subject ON certify_assessments (model_id, standard, id);
    `,
  },
];
