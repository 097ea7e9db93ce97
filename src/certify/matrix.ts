/**
 * The fleet matrix: every device model against every standard (default versions), with pass rates, so a team sees
 * at a glance where it stands and which model or standard needs work first.
 */
import type { Assessment, VerdictCounts } from "./assessment.ts";

export interface MatrixCell {
  standard: string;
  key: string;
  pass_rate: number | null;
  applicable: number;
  counts: VerdictCounts;
  mandatory_fail: number;
}

export interface MatrixRow {
  model_id: string;
  name?: string;
  devices: number;
  cells: MatrixCell[];
}

export interface FleetMatrix {
  generated_at: string;
  standards: { cli: string; key: string; title: string; version: string }[];
  rows: MatrixRow[];
}

/** Builds the matrix from assessments (one per model × standard, in any order). */
export function buildMatrix(assessments: readonly Assessment[], generatedAt: string): FleetMatrix {
  const standards = new Map<string, FleetMatrix["standards"][number]>();
  const rows = new Map<string, MatrixRow>();
  for (const a of assessments) {
    standards.set(a.standard.key, { cli: a.standard.cli, key: a.standard.key, title: a.standard.title, version: a.standard.version });
    let row = rows.get(a.subject.model_id);
    if (!row) {
      row = { model_id: a.subject.model_id, devices: a.subject.devices, cells: [] };
      if (a.subject.name !== undefined) row.name = a.subject.name;
      rows.set(a.subject.model_id, row);
    }
    const { applicable, pass_rate, mandatory, ...counts } = a.summary;
    row.cells.push({ standard: a.standard.cli, key: a.standard.key, pass_rate, applicable, counts, mandatory_fail: mandatory.fail });
  }
  const order = [...standards.keys()];
  for (const r of rows.values()) r.cells.sort((x, y) => order.indexOf(x.key) - order.indexOf(y.key));
  return { generated_at: generatedAt, standards: [...standards.values()], rows: [...rows.values()].sort((a, b) => a.model_id.localeCompare(b.model_id)) };
}

/** "62% (31/50) 3 fail" — the text of one cell, shared by the terminal table and the HTML matrix. */
export function cellText(c: MatrixCell): string {
  if (c.pass_rate === null) return "n/a";
  const pct = Math.round(c.pass_rate * 100);
  return `${pct}% (${c.counts.pass}/${c.applicable})${c.counts.fail ? ` ${c.counts.fail} fail` : ""}`;
}
