import type { AssessmentRepository, StoredAssessment } from "../assessments.ts";
import type { PgDb } from "./db.ts";

export class PgAssessments implements AssessmentRepository {
  constructor(private readonly db: PgDb) {}

  async save(a: Omit<StoredAssessment, "id">): Promise<number> {
    const [r] = await this.db.query<{ id: number }>("INSERT INTO certify_assessments (model_id, standard, created_at, doc) VALUES ($1, $2, $3, $4) RETURNING id", [a.model_id, a.standard, a.created_at, JSON.stringify(a.doc)]);
    return r!.id;
  }

  async get(id: number): Promise<StoredAssessment | undefined> {
    const [r] = await this.db.query<{ id: number; model_id: string; standard: string; created_at: string; doc: string }>("SELECT * FROM certify_assessments WHERE id = $1", [id]);
    return r ? { id: r.id, model_id: r.model_id, standard: r.standard, created_at: r.created_at, doc: JSON.parse(r.doc) as unknown } : undefined;
  }

  async list(filter: { model_id?: string; standard?: string; limit?: number }): Promise<Omit<StoredAssessment, "doc">[]> {
    return this.db.query<Omit<StoredAssessment, "doc">>(
      `SELECT id, model_id, standard, created_at FROM certify_assessments
       WHERE ($1::text IS NULL OR model_id = $1) AND ($2::text IS NULL OR standard = $2)
       ORDER BY id DESC LIMIT $3`,
      [filter.model_id ?? null, filter.standard ?? null, filter.limit ?? 100],
    );
  }
}
