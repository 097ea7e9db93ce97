/**
 * Opens an input file as a record source, choosing the reader from its content: Zeek logs start with `#separator`
 * or `#fields`, JSON documents with `[` (or `{` spanning lines), NDJSON with `{` on every line, anything else is CSV.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { TextEncodingName } from "../../formats/text-decode.ts";
import { toUtf8 } from "../../formats/utf8-feed.ts";
import type { LineReader } from "./chunks.ts";
import { DelimitedSource } from "./delimited.ts";
import { JsonDocSource } from "./json-doc.ts";
import type { ColumnMapping } from "./mapping.ts";
import { NdjsonSource } from "./ndjson.ts";
import type { Defaults, RecordSource, RejectSink, TextOptions } from "./source.ts";

export type InputFormat = "csv" | "zeek" | "ndjson" | "json";

export interface OpenOptions extends TextOptions {
  format?: InputFormat;
  mapping?: ColumnMapping;
  kind?: number;
  onReject: RejectSink;
  /** Receives the line reader of a line-based source (threaded reading watches its buffer). */
  onLineReader?: (lines: LineReader) => void;
}

export function sniffFormat(path: string, encoding?: TextEncodingName): InputFormat {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(4096);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  return sniffHead(head.subarray(0, n), path, encoding);
}

/** The format of bytes by their first few kilobytes (the same rules as for a file; `name` may say .ndjson). */
export function sniffHead(head: Uint8Array, name: string, encoding?: TextEncodingName): InputFormat {
  // Decoded as the reader will (a UTF-16 file's "#fields" is not ASCII bytes); what is cut at 4 KiB does not matter.
  const utf8 = toUtf8(head.subarray(0, Math.min(head.byteLength, 4096)), encoding ? { encoding } : {});
  const decoded = Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength).toString("utf8");
  // Live ingest sniffs every MQTT payload: no regular expression, and only the first line is cut out.
  const text = (decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded).trimStart();
  if (text.startsWith("#separator") || text.startsWith("#fields")) return "zeek";
  if (text.startsWith("[")) return "json";
  if (text.startsWith("{")) {
    const nl = text.indexOf("\n");
    const firstLine = (nl < 0 ? text : text.slice(0, nl)).trim();
    try {
      JSON.parse(firstLine);
      return "ndjson";
    } catch {
      // A JSON document spread over lines (a pretty-printed Device Defender report).
      return /\.jsonl$|\.ndjson$/i.test(name) ? "ndjson" : "json";
    }
  }
  return "csv";
}

export function openSource(path: string, opts: OpenOptions): { source: RecordSource; format: InputFormat } {
  return open(path, opts.format ?? sniffFormat(path, opts.encoding), opts, undefined);
}

/**
 * A record source over bytes already in memory — an HTTP body, an MQTT payload: NDJSON, a JSON record or array,
 * CSV (canonical columns or a mapping), a Zeek conn.log, Device Defender reports. The same readers as for files, so
 * the same records and the same rejects with their line numbers. `name` is what rejects and evidence show.
 */
export function openBytes(name: string, bytes: Uint8Array, opts: OpenOptions & { defaults?: Defaults }): { source: RecordSource; format: InputFormat } {
  return open(name, opts.format ?? sniffHead(bytes, name, opts.encoding), opts, bytes);
}

function open(path: string, format: InputFormat, opts: OpenOptions & { defaults?: Defaults }, bytes: Uint8Array | undefined): { source: RecordSource; format: InputFormat } {
  const base = {
    onReject: opts.onReject,
    ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
    ...(opts.onLineReader ? { onLineReader: opts.onLineReader } : {}),
    ...(bytes ? { bytes } : {}),
    ...(opts.defaults && opts.defaults.length > 0 ? { defaults: opts.defaults } : {}),
    ...(opts.encoding ? { encoding: opts.encoding } : {}),
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    ...(opts.encodingHint ? { encodingHint: opts.encodingHint } : {}),
  };
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
