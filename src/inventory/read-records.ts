/**
 * Reads a table of records from a file, streaming: CSV (header row + rows), NDJSON, or a JSON array. Yields batches of
 * records with the line each started on, and input issues for what could not be read. Never throws on bad content;
 * only a missing or unreadable file is an exception.
 */
import { createReadStream, statSync } from "node:fs";
import { extname } from "node:path";
import type { InputIssue } from "../core/input-issue.ts";
import { CsvParser } from "../formats/csv.ts";
import { JsonArrayParser, type JsonRecord, NdjsonParser } from "../formats/ndjson.ts";

export type TableFormat = "csv" | "json" | "ndjson";

export interface RawRecord {
  line: number;
  fields: Record<string, unknown>;
}

export interface ReadOptions {
  format?: TableFormat;
  delimiter?: string;
  /** Called with the bytes read so far (for progress bars). */
  onBytes?(bytesRead: number, totalBytes: number): void;
}

export interface TableBatch {
  records: RawRecord[];
  issues: InputIssue[];
  /** The CSV header as written in the file (set on the first batch of a CSV file). */
  header?: string[];
  /** The line the header is on (with `header`). */
  headerLine?: number;
}

export function detectFormat(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".ndjson" || ext === ".jsonl") return "ndjson";
  return "csv";
}

export async function* readTable(path: string, opts: ReadOptions = {}): AsyncGenerator<TableBatch> {
  const format = opts.format ?? detectFormat(path);
  const total = statSync(path).size;
  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
  let bytes = 0;
  const csv = format === "csv" ? new CsvTable(path, opts.delimiter) : undefined;
  const json = format === "json" ? new JsonArrayParser() : format === "ndjson" ? new NdjsonParser() : undefined;
  for await (const chunk of stream as AsyncIterable<string>) {
    bytes += Buffer.byteLength(chunk, "utf8");
    opts.onBytes?.(bytes, total);
    yield csv ? csv.take(csv.parser.push(chunk)) : jsonBatch(path, json!.push(chunk));
  }
  yield csv ? csv.take(csv.parser.end()) : jsonBatch(path, json!.end());
}

function jsonBatch(file: string, recs: JsonRecord[]): TableBatch {
  const batch: TableBatch = { records: [], issues: [] };
  for (const r of recs) {
    if ("error" in r) batch.issues.push({ file, line: r.line, reason: r.error, level: "error" });
    else if (r.value === null || typeof r.value !== "object" || Array.isArray(r.value)) batch.issues.push({ file, line: r.line, reason: "expected a JSON object", level: "error" });
    else batch.records.push({ line: r.line, fields: r.value as Record<string, unknown> });
  }
  return batch;
}

/** Turns CSV rows into records keyed by the header. */
class CsvTable {
  readonly parser: CsvParser;
  private header: string[] | undefined;
  private headerLine = 1;
  private headerSent = false;

  constructor(private readonly file: string, delimiter?: string) {
    this.parser = new CsvParser(delimiter ? { delimiter } : {});
  }

  take(rows: ReturnType<CsvParser["push"]>): TableBatch {
    const batch: TableBatch = { records: [], issues: [] };
    for (const row of rows) {
      if ("error" in row) {
        batch.issues.push({ file: this.file, line: row.line, reason: row.error, level: "error" });
        continue;
      }
      if (this.header === undefined) {
        this.header = row.cells.map((c) => c.trim());
        this.headerLine = row.line;
        // One pass with a set: a header of 100,000 columns must not take n² comparisons.
        const seen = new Set<string>();
        const dup = this.header.find((h) => h !== "" && (seen.has(h) || (seen.add(h), false)));
        if (dup !== undefined) batch.issues.push({ file: this.file, line: row.line, column: dup, reason: `column "${dup}" appears twice in the header; the later one wins`, level: "warning" });
        continue;
      }
      const h = this.header;
      if (row.cells.length > h.length && row.cells.slice(h.length).some((c) => c.trim() !== "")) {
        batch.issues.push({ file: this.file, line: row.line, reason: `row has ${row.cells.length} fields but the header has ${h.length}`, level: "error" });
        continue;
      }
      const fields: Record<string, unknown> = {};
      for (let i = 0; i < h.length; i++) {
        const cell = row.cells[i];
        if (cell !== undefined && h[i] !== "") fields[h[i]!] = cell;
      }
      batch.records.push({ line: row.line, fields });
    }
    if (!this.headerSent && this.header) {
      batch.header = this.header;
      batch.headerLine = this.headerLine;
      this.headerSent = true;
    }
    return batch;
  }
}
