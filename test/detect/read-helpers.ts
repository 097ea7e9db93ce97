/** Reads a file through detection's readers and returns what came out: records (their fields, kind, ts) and rejects. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { openBytes, openSource, type OpenOptions } from "../../src/detect/read/open.ts";
import type { RecordSource } from "../../src/detect/read/source.ts";
import { KIND_WORDS } from "../../src/detect/read/fields.ts";
import { Rec } from "../../src/detect/read/rec.ts";

export interface ReadResult {
  records: { line: number; kind: string; ts: number; began: number; fields: Record<string, string>; num: Record<string, number>; hash: Record<string, number> }[];
  rejects: { line: number; reason: string }[];
}

export function readAll(path: string, opts: Omit<OpenOptions, "onReject"> = {}): ReadResult {
  const fromFile = collect((onReject) => openSource(path, { ...opts, onReject }).source);
  // Every reading test also proves the in-memory reader (live ingest's) equal to the file reader.
  assert.deepEqual(readBytes(path, readFileSync(path), opts), fromFile, `${path}: the in-memory reader differs from the file reader`);
  return fromFile;
}

/** The same through the in-memory reader (live ingest's), over the file's bytes. */
export function readBytes(name: string, bytes: Uint8Array, opts: Omit<OpenOptions, "onReject"> = {}): ReadResult {
  return collect((onReject) => openBytes(name, bytes, { ...opts, onReject }).source);
}

function collect(open: (onReject: (line: number, reason: string) => void) => RecordSource): ReadResult {
  const out: ReadResult = { records: [], rejects: [] };
  const source = open((line, reason) => out.rejects.push({ line, reason }));
  const rec = new Rec();
  try {
    while (source.next(rec)) {
      const fields = rec.fields();
      const num: Record<string, number> = {};
      const hash: Record<string, number> = {};
      for (const k of Object.keys(fields)) {
        const v = rec.num[fieldIndex(k)]!;
        if (v === v) num[k] = v;
        if (rec.hash[fieldIndex(k)] !== 0) hash[k] = rec.hash[fieldIndex(k)]!;
      }
      out.records.push({ line: rec.line, kind: KIND_WORDS[rec.kind]!, ts: rec.ts, began: rec.began, fields, num, hash });
    }
  } finally {
    source.close();
  }
  return out;
}

import { F } from "../../src/detect/read/fields.ts";
function fieldIndex(name: string): number {
  return F[name as keyof typeof F];
}
