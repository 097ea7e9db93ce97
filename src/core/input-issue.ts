/**
 * A problem with one input record: where it was and why it was rejected (or only warned about). Importers collect these
 * instead of throwing, so one bad row never stops the rest.
 */
export interface InputIssue {
  file: string;
  /** 1-based line where the record starts (CSV/NDJSON), when the input has lines. */
  line?: number;
  /** JSON path of the problem inside a document, e.g. `$.components[3].purl`. */
  path?: string;
  /** The column or field the problem is in. */
  column?: string;
  reason: string;
  level: "error" | "warning";
  /**
   * `field-invalid`: the record was kept without this field (a warning that `--strict` still stops at, as it stops
   * at rejected records).
   */
  code?: "field-invalid";
}

export function formatIssue(i: InputIssue): string {
  const where = [i.file, i.line !== undefined ? String(i.line) : undefined].filter((x) => x !== undefined).join(":");
  const what = [i.path, i.column].filter((x) => x !== undefined).join(" ");
  return `${where}${what ? ` ${what}` : ""}: ${i.reason}`;
}
