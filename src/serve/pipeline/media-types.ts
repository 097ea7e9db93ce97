/** What POST /api/v1/records bodies are, by Content-Type (FORMATS.md: NDJSON, CSV, Zeek conn.log; JSON too). */
import { LongwatchError } from "../../core/errors.ts";
import type { TextEncodingName } from "../../formats/text-decode.ts";
import type { IngestFormat } from "./types.ts";

const TYPES: Record<string, IngestFormat> = {
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "application/json": "json",
  "text/csv": "csv",
  "text/x-zeek": "zeek",
  "text/plain": "auto",
  "application/octet-stream": "auto",
};

/** The format for a Content-Type header (parameters such as charset ignored); absent: recognised from the body. */
export function formatOf(contentType: string | undefined): IngestFormat {
  if (contentType === undefined || contentType.trim() === "") return "auto";
  const t = contentType.split(";")[0]!.trim().toLowerCase();
  const f = TYPES[t];
  if (f === undefined) throw new LongwatchError("unsupported_media_type", `Content-Type ${t} is not a records format; send application/x-ndjson, text/csv, text/x-zeek or application/json`, { content_type: t });
  return f;
}

/**
 * The text encoding a Content-Type's charset names, by the WHATWG Encoding labels HTTP clients follow: "iso-8859-1",
 * "latin1" and "us-ascii" mean Windows-1252 there, "utf-16" UTF-16LE. No charset: undefined (UTF-8, UTF-16 by its BOM).
 */
export function charsetOf(contentType: string | undefined): TextEncodingName | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? "");
  if (!m) return undefined;
  const label = m[1]!.toLowerCase();
  const e = Object.hasOwn(CHARSETS, label) ? CHARSETS[label] : undefined; // not "constructor", "__proto__" …
  if (e === undefined) throw new LongwatchError("unsupported_media_type", `charset ${label} is not one Longwatch reads; send utf-8, utf-16le, utf-16be or windows-1252 (or no charset: UTF-8, UTF-16 by its byte order mark)`, { charset: label });
  return e;
}

// HTTP labels by WHATWG: iso-8859-1/latin1 are Windows-1252 here; the CLI's --encoding latin1 (text-decode.ts) is true ISO-8859-1.
const CHARSETS: Record<string, TextEncodingName> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "unicode-1-1-utf-8": "utf-8",
  "utf-16": "utf-16le",
  "utf-16le": "utf-16le",
  "utf-16be": "utf-16be",
  "windows-1252": "windows-1252",
  cp1252: "windows-1252",
  "x-cp1252": "windows-1252",
  "iso-8859-1": "windows-1252",
  "iso8859-1": "windows-1252",
  latin1: "windows-1252",
  "l1": "windows-1252",
  "us-ascii": "windows-1252",
  ascii: "windows-1252",
};
