/** What POST /api/v1/records bodies are, by Content-Type (FORMATS.md: NDJSON, CSV, Zeek conn.log; JSON too). */
import { LongwatchError } from "../../core/errors.ts";
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
