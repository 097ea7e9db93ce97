/**
 * A source of detection records: a pull cursor that fills the engine's reusable Rec. Pulling (rather than pushing
 * events) lets the replay merge several files by event time with one record of look-ahead per file, without copies.
 */
import type { Rec } from "./rec.ts";

export interface RecordSource {
  /** Shown in rejects and evidence, e.g. the file path. */
  readonly name: string;
  /** Fills `rec` with the next usable record and returns true; false at the end. Bad records go to the reject sink. */
  next(rec: Rec): boolean;
  close(): void;
}

/** Receives every record a reader could not use: where it was, why, and its text (cut to a readable length). */
export type RejectSink = (line: number, reason: string, text: string) => void;

export const MAX_REJECT_TEXT = 500;
