/** Port: saved self-assessments (certify/), kept so that later ones can be compared with them. */

/** A saved self-assessment: the whole report document. */
export interface StoredAssessment {
  id: number;
  model_id: string;
  /** Catalogue key, e.g. `etsi-en-303-645-v3.1.3`. */
  standard: string;
  created_at: string;
  doc: unknown;
}

export interface AssessmentRepository {
  save(a: Omit<StoredAssessment, "id">): Promise<number>;
  get(id: number): Promise<StoredAssessment | undefined>;
  /** Newest first. */
  list(filter: { model_id?: string; standard?: string; limit?: number }): Promise<Omit<StoredAssessment, "doc">[]>;
}
