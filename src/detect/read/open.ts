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
import { NdjsonSource, type NdjsonOptions } from "./ndjson.ts";
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
  return (encoding === undefined || encoding === "utf-8" ? sniffAscii(head) : undefined) ?? sniffText(head, name, encoding);
}

/** Bytes of "#separator" and "#fields". */
const ZEEK_SEPARATOR = Uint8Array.from("#separator", (c) => c.charCodeAt(0));
const ZEEK_FIELDS = Uint8Array.from("#fields", (c) => c.charCodeAt(0));

/**
 * sniffText's answer read from the bytes themselves, when they let it be sure — undefined otherwise, and sniffText
 * decides. Live ingest sniffs every MQTT payload, and a payload is mostly one flat JSON record: decoding it to a
 * string and JSON.parse-ing its first line (which the NDJSON reader then reads again) was the larger part of reading
 * it. Sure means: the text up to the first significant byte is ASCII white space or byte order marks (what
 * trimStart takes off), that byte is ASCII, and for `{` the first line (cut at 4 KiB as sniffText cuts it) is ASCII
 * JSON by jsonValueEnd, which accepts only what JSON.parse accepts. Anything else (non-ASCII text, a line it does not
 * accept) goes the slow way, so the answer is always sniffText's.
 */
function sniffAscii(bytes: Uint8Array): InputFormat | undefined {
  const n = Math.min(bytes.byteLength, 4096);
  let i = 0;
  for (;;) {
    const c = bytes[i];
    if (c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d)) i++;
    else if (c === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf && i + 2 < n) i += 3;
    else break;
  }
  if (i >= n) return "csv";
  const c = bytes[i]!;
  if (c >= 0x80) return undefined;
  if (c === 0x23) return startsWithBytes(bytes, i, n, ZEEK_SEPARATOR) || startsWithBytes(bytes, i, n, ZEEK_FIELDS) ? "zeek" : "csv";
  if (c === 0x5b) return "json";
  if (c !== 0x7b) return "csv";
  let e = i;
  while (e < n && bytes[e] !== 0x0a) e++;
  // trim(): ASCII white space at the end (other white space is not ASCII, so not accepted below).
  while (e > i && (bytes[e - 1] === 0x20 || (bytes[e - 1]! >= 0x09 && bytes[e - 1]! <= 0x0d))) e--;
  return jsonValueEnd(bytes, i, e, 0) === e ? "ndjson" : undefined;
}

function startsWithBytes(b: Uint8Array, at: number, end: number, word: Uint8Array): boolean {
  if (at + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return false;
  return true;
}

const isJsonSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined) => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/**
 * Where the JSON value at b[i] (after white space) and the white space after it end, or -1 when it is not one
 * this checker accepts: ASCII JSON (RFC 8259) nested at most 32 deep. Whatever it accepts JSON.parse accepts; what it
 * refuses may still be JSON (non-ASCII strings, deeper nesting).
 */
function jsonValueEnd(b: Uint8Array, i: number, e: number, depth: number): number {
  while (i < e && isJsonSpace(b[i])) i++;
  if (i >= e) return -1;
  const c = b[i]!;
  if (c === 0x7b || c === 0x5b) {
    if (depth >= 32) return -1;
    const close = c === 0x7b ? 0x7d : 0x5d;
    i++;
    while (i < e && isJsonSpace(b[i])) i++;
    if (b[i] === close && i < e) i++;
    else
      for (;;) {
        if (c === 0x7b) {
          while (i < e && isJsonSpace(b[i])) i++;
          if (b[i] !== 0x22 || i >= e) return -1;
          i = jsonValueEnd(b, i, e, depth + 1);
          if (i < 0 || b[i] !== 0x3a || i >= e) return -1;
          i++;
        }
        i = jsonValueEnd(b, i, e, depth + 1);
        if (i < 0 || i >= e) return -1;
        if (b[i] === 0x2c) i++;
        else if (b[i] === close) {
          i++;
          break;
        } else return -1;
      }
  } else if (c === 0x22) {
    for (i++; ; i++) {
      if (i >= e) return -1;
      const d = b[i]!;
      if (d === 0x22) break;
      if (d < 0x20 || d >= 0x7f) return -1;
      if (d === 0x5c) {
        const x = b[++i];
        if (x === 0x75) {
          if (i + 4 >= e || !isHex(b[i + 1]) || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4])) return -1;
          i += 4;
        } else if (!(x === 0x22 || x === 0x5c || x === 0x2f || x === 0x62 || x === 0x66 || x === 0x6e || x === 0x72 || x === 0x74) || i >= e) return -1;
      }
    }
    i++;
  } else if (c === 0x2d || isDigit(c)) {
    if (c === 0x2d) i++;
    if (b[i] === 0x30 && i < e) i++;
    else if (isDigit(b[i]) && i < e) while (i < e && isDigit(b[i])) i++;
    else return -1;
    if (b[i] === 0x2e && i < e) {
      i++;
      if (!isDigit(b[i]) || i >= e) return -1;
      while (i < e && isDigit(b[i])) i++;
    }
    if ((b[i] === 0x65 || b[i] === 0x45) && i < e) {
      i++;
      if ((b[i] === 0x2b || b[i] === 0x2d) && i < e) i++;
      if (!isDigit(b[i]) || i >= e) return -1;
      while (i < e && isDigit(b[i])) i++;
    }
  } else {
    const word = c === 0x74 ? TRUE : c === 0x66 ? FALSE : c === 0x6e ? NULL : undefined;
    if (!word || i + word.length > e) return -1;
    for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
    i += word.length;
  }
  while (i < e && isJsonSpace(b[i])) i++;
  return i;
}

/** sniffHead the long way: the head decoded as the reader will decode it. @internal exported for its test (the oracle of sniffAscii). */
export function sniffText(head: Uint8Array, name: string, encoding?: TextEncodingName): InputFormat {
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
export function openBytes(name: string, bytes: Uint8Array, opts: OpenOptions & { defaults?: Defaults; keyCache?: Int16Array }): { source: RecordSource; format: InputFormat } {
  return open(name, opts.format ?? sniffHead(bytes, name, opts.encoding), opts, bytes);
}

function open(path: string, format: InputFormat, opts: OpenOptions & { defaults?: Defaults; keyCache?: Int16Array }, bytes: Uint8Array | undefined): { source: RecordSource; format: InputFormat } {
  // Assigned, not spread: live ingest opens a reader per MQTT payload.
  const base: Omit<NdjsonOptions, "keyCache"> = { onReject: opts.onReject };
  if (opts.kind !== undefined) base.kind = opts.kind;
  if (opts.onLineReader) base.onLineReader = opts.onLineReader;
  if (bytes) base.bytes = bytes;
  if (opts.defaults && opts.defaults.length > 0) base.defaults = opts.defaults;
  if (opts.encoding) base.encoding = opts.encoding;
  if (opts.onWarning) base.onWarning = opts.onWarning;
  if (opts.encodingHint) base.encodingHint = opts.encodingHint;
  switch (format) {
    case "zeek":
      return { source: new DelimitedSource(path, { ...base, zeek: true }), format };
    case "ndjson":
      if (opts.keyCache) (base as NdjsonOptions).keyCache = opts.keyCache;
      return { source: new NdjsonSource(path, base), format };
    case "json":
      return { source: new JsonDocSource(path, base), format };
    default:
      return { source: new DelimitedSource(path, { ...base, ...(opts.mapping ? { mapping: opts.mapping } : {}) }), format };
  }
}
