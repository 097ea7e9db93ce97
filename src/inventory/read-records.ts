/**
 * Reads a table of records from a file, streaming: CSV (header row + rows), NDJSON, or a JSON array. Yields batches of
 * records with the line each started on, and input issues for what could not be read. Never throws on bad content;
 * only a missing or unreadable file is an exception.
 */
import { createReadStream, statSync } from "node:fs";
import { extname } from "node:path";
import type { InputIssue } from "../core/input-issue.ts";
import { LongwatchError } from "../core/errors.ts";
import { CsvParser } from "../formats/csv.ts";
import { TextChunkDecoder, type TextEncodingName } from "../formats/text-decode.ts";
import { JsonArrayParser, type JsonRecord, NdjsonParser } from "../formats/ndjson.ts";

export type TableFormat = "csv" | "json" | "ndjson";

export interface RawRecord {
  line: number;
  fields: Record<string, unknown>;
}

export interface ReadOptions {
  format?: TableFormat;
  /** The file's text encoding; by default UTF-8 (BOM or not), UTF-16 by its BOM, Windows-1252 with a warning. */
  encoding?: TextEncodingName;
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
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  const csv = format === "csv" ? new CsvTable(path, opts.delimiter) : undefined;
  const json = format === "json" ? new JsonArrayParser() : format === "ndjson" ? new NdjsonParser() : undefined;
  // Never U+FFFD in place of what the file holds: the encoding is detected (or given) and a guess is warned about.
  const warnings: InputIssue[] = [];
  const text = new TextChunkDecoder(opts.encoding, (reason) => warnings.push({ file: path, reason, level: "warning" }));
  const decode = (f: () => string): string => {
    try {
      return f();
    } catch (e) {
      throw new LongwatchError("invalid_input", `${path}: ${(e as Error).message}`, { file: path });
    }
  };
  const withWarnings = (b: TableBatch): TableBatch => (warnings.length ? { ...b, issues: [...warnings.splice(0), ...b.issues] } : b);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    opts.onBytes?.(bytes, total);
    const t = decode(() => text.push(chunk));
    yield withWarnings(csv ? csv.take(csv.parser.push(t)) : jsonBatch(path, json!.push(t)));
  }
  const t = decode(() => text.end());
  yield withWarnings(csv ? csv.take([...csv.parser.push(t), ...csv.parser.end()]) : jsonBatch(path, [...json!.push(t), ...json!.end()]));
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
