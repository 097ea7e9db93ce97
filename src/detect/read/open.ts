/**
 * Opens an input file as a record source, choosing the reader from its content: Zeek logs start with `#separator`
 * or `#fields`, JSON documents with `[` (or `{` spanning lines), NDJSON with `{` on every line, anything else is CSV.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { LineReader } from "./chunks.ts";
import { DelimitedSource } from "./delimited.ts";
import { JsonDocSource } from "./json-doc.ts";
import type { ColumnMapping } from "./mapping.ts";
import { NdjsonSource } from "./ndjson.ts";
import type { RecordSource, RejectSink } from "./source.ts";

export type InputFormat = "csv" | "zeek" | "ndjson" | "json";

export interface OpenOptions {
  format?: InputFormat;
  mapping?: ColumnMapping;
  kind?: number;
  onReject: RejectSink;
  /** Receives the line reader of a line-based source (threaded reading watches its buffer). */
  onLineReader?: (lines: LineReader) => void;
}

export function sniffFormat(path: string): InputFormat {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(4096);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const text = head.subarray(0, n).toString("utf8").replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("#separator") || text.startsWith("#fields")) return "zeek";
  if (text.startsWith("[")) return "json";
  if (text.startsWith("{")) {
    const firstLine = text.split("\n")[0]!.trim();
    try {
      JSON.parse(firstLine);
      return "ndjson";
    } catch {
      // A JSON document spread over lines (a pretty-printed Device Defender report).
      return /\.jsonl$|\.ndjson$/i.test(path) ? "ndjson" : "json";
    }
  }
  return "csv";
}

export function openSource(path: string, opts: OpenOptions): { source: RecordSource; format: InputFormat } {
  const format = opts.format ?? sniffFormat(path);
  const base = { onReject: opts.onReject, ...(opts.kind !== undefined ? { kind: opts.kind } : {}), ...(opts.onLineReader ? { onLineReader: opts.onLineReader } : {}) };
  switch (format) {
    case "zeek":
      return { source: new DelimitedSource(path, { ...base, zeek: true }), format };
    case "ndjson":
      return { source: new NdjsonSource(path, base), format };
    case "json":
      return { source: new JsonDocSource(path, base), format };
    default:
      return { source: new DelimitedSource(path, { ...base, ...(opts.mapping ? { mapping: opts.mapping } : {}) }), format };
  }
}
