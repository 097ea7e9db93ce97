/**
 * Machine-readable scan output, streamed: findings are written as they are read from the store, so a report of
 * millions of findings never sits in memory as one string.
 */
import type { Finding } from "../core/finding.ts";
import { csvLine } from "./csv.ts";

export type Sink = (chunk: string) => void | Promise<void>;

export const FINDING_CSV_COLUMNS = ["rule", "severity", "device_id", "model_id", "title", "evidence", "standards", "fingerprint", "status", "devices", "suppression_reason"] as const;

export function findingCsvRow(f: Finding): string {
  return csvLine([f.rule, f.severity, f.device_id, f.model_id, f.title, JSON.stringify(f.evidence), f.standards, f.fingerprint, f.status, f.devices, f.suppression?.reason]);
}

export async function writeFindingsCsv(sink: Sink, pages: AsyncIterable<Finding[]>, fixed: readonly Finding[]): Promise<void> {
  await sink(`${csvLine([...FINDING_CSV_COLUMNS])}\n`);
  for await (const page of pages) await sink(page.map((f) => `${findingCsvRow(f)}\n`).join(""));
  if (fixed.length) await sink(fixed.map((f) => `${findingCsvRow(f)}\n`).join(""));
}

export async function writeFindingsNdjson(sink: Sink, pages: AsyncIterable<Finding[]>, fixed: readonly Finding[]): Promise<void> {
  for await (const page of pages) await sink(page.map((f) => `${JSON.stringify(f)}\n`).join(""));
  if (fixed.length) await sink(fixed.map((f) => `${JSON.stringify(f)}\n`).join(""));
}

/** One JSON document: `head` fields first, then `findings` streamed, then `fixed`. */
export async function writeFindingsJson(sink: Sink, head: Record<string, unknown>, pages: AsyncIterable<Finding[]>, fixed: readonly Finding[]): Promise<void> {
  const open = JSON.stringify(head, null, 2);
  await sink(`${open.slice(0, -2)},\n  "findings": [`);
  let first = true;
  for await (const page of pages) {
    if (page.length === 0) continue;
    await sink((first ? "\n    " : ",\n    ") + page.map((f) => JSON.stringify(f)).join(",\n    "));
    first = false;
  }
  await sink(`${first ? "" : "\n  "}],\n  "fixed": ${JSON.stringify(fixed)}\n}\n`);
}
