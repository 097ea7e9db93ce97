/**
 * Which lines of the input files were counted in the flow ledger by earlier runs, so that running detection again
 * over the same file — unchanged, or after it grew — adds only what is new to the stored volumes. An input is known by
 * the sha256 of its first 4 KiB (a copy elsewhere is the same input; a rotated log under the same name is not, since
 * its first records differ); a file shorter than that is found again by its path when it has grown since.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { FlowInput } from "../store/flows.ts";

const HEAD = 4096;

export interface InputMark {
  path: string;
  hash: string;
  headLen: number;
}

function prefixHash(path: string, len: number): string {
  const buf = Buffer.alloc(len);
  const fd = openSync(path, "r");
  try {
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, got);
      if (n === 0) break;
      got += n;
    }
    return createHash("sha256").update(buf.subarray(0, got)).digest("hex");
  } finally {
    closeSync(fd);
  }
}

export function markInput(file: string): InputMark {
  const path = resolve(file);
  const headLen = Math.min(statSync(path).size, HEAD);
  return { path, hash: prefixHash(path, headLen), headLen };
}

export interface InputPlan {
  /** Per input: the lines an earlier run counted (0: none). */
  skip: number[];
  /** Stored rows this run supersedes (the shorter head of a small file that grew). */
  replaces: string[];
}

export function planInputs(marks: readonly InputMark[], stored: readonly FlowInput[]): InputPlan {
  const byHash = new Map(stored.map((r) => [r.head_sha256, r]));
  const plan: InputPlan = { skip: [], replaces: [] };
  for (const m of marks) {
    let row = byHash.get(m.hash);
    if (!row) {
      // A small file that grew: its stored head is a prefix of what the file holds now.
      row = stored.find((r) => r.path === m.path && r.head_len < m.headLen && prefixHash(m.path, r.head_len) === r.head_sha256);
      if (row) plan.replaces.push(row.head_sha256);
    }
    plan.skip.push(row?.lines ?? 0);
  }
  return plan;
}

/** What to store after the run: per input, the last line counted by this run or an earlier one. */
export function countedInputs(marks: readonly InputMark[], plan: InputPlan, linesCounted: readonly number[], at: string): FlowInput[] {
  return marks.map((m, i) => ({ head_sha256: m.hash, head_len: m.headLen, path: m.path, lines: Math.max(plan.skip[i] ?? 0, linesCounted[i] ?? 0), updated_at: at }));
}
