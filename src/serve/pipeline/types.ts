/** Types the pipeline's modules share (kept apart so they import no cycle). */
import type { ColumnMapping } from "../../detect/read/mapping.ts";
import type { InputFormat } from "../../detect/read/open.ts";
import type { FieldName } from "../../detect/read/fields.ts";
import type { TextEncodingName } from "../../formats/text-decode.ts";

export type PipelineLog = (level: "info" | "warn" | "error", message: string, detail?: Record<string, unknown>) => void;

/** How an HTTP body (or any pushed body) is to be read. */
export interface IngestOrigin {
  /** Counted under this source in the metrics (default "http"). */
  source?: string;
  /** Shown in rejects and alert evidence (default the source). */
  name?: string;
  mapping?: ColumnMapping;
  /** KIND number for every record, when the body does not say. */
  kind?: number;
  /** Values for records that lack them. */
  defaults?: Partial<Record<FieldName, string>>;
  /** The body's text encoding (the HTTP charset, a followed log's `encoding`); default UTF-8, UTF-16 by its BOM. */
  encoding?: TextEncodingName;
}

export type IngestFormat = InputFormat | "auto";

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** Each rejected record, its line in the body and why (at most `ingest.max_rejects_listed`; all are counted). */
  rejects: { line: number; reason: string }[];
  /** Of the accepted, records older than what was already processed. */
  late: number;
  /** Where the body's text was not what it was read as (not UTF-8: read as Windows-1252 from there …); absent when none. */
  warnings?: { line: number; reason: string; offset?: number }[];
}

