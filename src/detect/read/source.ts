/**
 * A source of detection records: a pull cursor that fills the engine's reusable Rec. Pulling (rather than pushing
 * events) lets the replay merge several files by event time with one record of look-ahead per file, without copies.
 */
import { basename } from "node:path";
import type { TextEncodingName } from "../../formats/text-decode.ts";
import type { LineReaderOptions } from "./chunks.ts";
import { F } from "./fields.ts";
import type { Rec } from "./rec.ts";

export interface RecordSource {
  /** Shown in rejects and evidence, e.g. the file path. */
  readonly name: string;
  /** Fills `rec` with the next usable record and returns true; false at the end. Bad records go to the reject sink. */
  next(rec: Rec): boolean;
  close(): void;
}

/**
 * A source whose records are rec-codec bytes already (scale-out's record batches, src/scale/batch.ts): after `next`
 * gave a record, its bytes are `encoded.buf` from `encodedAt`, `encodedLen` long. Live detection's reorder buffer
 * keeps those bytes instead of encoding the record a second time (detect/live.ts).
 */
export interface EncodedRecordSource extends RecordSource {
  readonly encoded: { readonly buf: Uint8Array; readonly view: DataView };
  readonly encodedAt: number;
  readonly encodedLen: number;
}

export function isEncodedSource(s: RecordSource): s is EncodedRecordSource {
  return (s as Partial<EncodedRecordSource>).encoded !== undefined;
}

/** Receives every record a reader could not use: where it was, why, and its text (cut to a readable length). */
export type RejectSink = (line: number, reason: string, text: string) => void;

export const MAX_REJECT_TEXT = 500;

/** How a reader decodes its input's text (formats/utf8-feed.ts), and where it says a byte was not read as written. */
export interface TextOptions {
  /** The input's encoding (default: UTF-8, or UTF-16 by its byte order mark; Windows-1252 from a byte that is not UTF-8). */
  encoding?: TextEncodingName;
  /** Told once per input, as `name:line: why` (and its parts), of the first byte not read as written. */
  onWarning?: (message: string, at: WarningAt) => void;
  /** How the user picks an encoding, ending that warning (default: the --encoding flag; HTTP: the charset). */
  encodingHint?: string;
}

export interface WarningAt {
  line: number;
  reason: string;
  /** The byte's offset in the input. */
  offset: number;
}

/** The line reader's options for an input called `name`. */
export function lineText(name: string, o: TextOptions): LineReaderOptions {
  // Assigned, not spread (a temporary object each): live ingest opens a reader per MQTT payload.
  const out: LineReaderOptions = {};
  if (o.encoding) out.encoding = o.encoding;
  const warn = o.onWarning;
  if (warn) out.onWarning = (line: number, reason: string, offset: number) => warn(`${name}:${line}: ${reason}`, { line, reason, offset });
  if (o.encodingHint) out.encodingHint = o.encodingHint;
  return out;
}

/** Field values a record gets when it has none of its own (e.g. the device named by an MQTT topic), by field number. */
export type Defaults = readonly (readonly [number, string])[];

export function applyDefaults(rec: Rec, defaults: Defaults): void {
  for (const [f, v] of defaults) if (!rec.has(f)) rec.setText(f, v);
}

/**
 * The device a Device Defender report names when its wrapper does not: the `device_id` default when given (live
 * ingest knows it from the topic), else the file name without its extension.
 */
export function deviceFallback(name: string, defaults: Defaults | undefined): string {
  const given = defaults?.find(([f]) => f === F.device_id)?.[1];
  return given ?? basename(name).replace(/\.(nd)?jsonl?$/i, "").replace(/\.json$/i, "");
}
