import type Database from "better-sqlite3";
import type { AssessmentRepository, StoredAssessment } from "../assessments.ts";

interface Row {
  id: number;
  model_id: string;
  standard: string;
  created_at: string;
  doc?: string;
}

export class SqliteAssessments implements AssessmentRepository {
  constructor(private readonly db: Database.Database) {}

  async save(a: Omit<StoredAssessment, "id">): Promise<number> {
    return Number(
      this.db.prepare("INSERT INTO certify_assessments (model_id, standard, created_at, doc) VALUES (?, ?, ?, ?)").run(a.model_id, a.standard, a.created_at, JSON.stringify(a.doc)).lastInsertRowid,
    );
  }

  async get(id: number): Promise<StoredAssessment | undefined> {
    const r = this.db.prepare("SELECT * FROM certify_assessments WHERE id = ?").get(id) as Row | undefined;
    return r ? { id: r.id, model_id: r.model_id, standard: r.standard, created_at: r.created_at, doc: JSON.parse(r.doc!) as unknown } : undefined;
  }

  async list(filter: { model_id?: string; standard?: string; limit?: number }): Promise<Omit<StoredAssessment, "doc">[]> {
    return this.db
      .prepare(
        `SELECT id, model_id, standard, created_at FROM certify_assessments
         WHERE (@model IS NULL OR model_id = @model) AND (@standard IS NULL OR standard = @standard)
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ model: filter.model_id ?? null, standard: filter.standard ?? null, limit: filter.limit ?? 100 }) as Row[];
  }
}
