/**
 * The response log: every step of every response (and every pause and resume) as one line, each line's hash covering
 * its content and the previous line's hash, so altering, removing or inserting a line anywhere breaks the chain from
 * there on. `verifyLog` walks it and names the first line that does not hold; keep the head hash it prints somewhere
 * else (a ticket, a SIEM) and even a rewrite of the whole tail is caught.
 */
import { createHash } from "node:crypto";
import type { LogEntry } from "../core/response.ts";
import type { ResponseRepository } from "../store/store.ts";

/** JSON with object keys sorted at every level: the same content always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
}

export function entryHash(e: Omit<LogEntry, "hash">): string {
  return createHash("sha256").update(canonicalJson(e)).digest("hex");
}

export type NewLogEntry = Omit<LogEntry, "seq" | "prev_hash" | "hash">;

export function appendLog(repo: ResponseRepository, e: Partial<NewLogEntry> & Pick<NewLogEntry, "at" | "event" | "actor">): Promise<LogEntry> {
  return repo.appendLog({ response_id: null, action: null, approver: null, target: null, before: null, after: null, key: null, detail: null, ...e }, entryHash);
}

export interface LogCheck {
  ok: boolean;
  lines: number;
  /** The last line's hash: record it elsewhere to pin the whole log. */
  head: string;
  broken?: { seq: number; reason: string };
}

export async function verifyLog(repo: ResponseRepository): Promise<LogCheck> {
  let prev: LogEntry | undefined;
  let lines = 0;
  for await (const page of repo.log()) {
    for (const e of page) {
      lines++;
      const expectedSeq = (prev?.seq ?? 0) + 1;
      if (e.seq !== expectedSeq) return { ok: false, lines, head: prev?.hash ?? "", broken: { seq: e.seq, reason: `line ${expectedSeq}${e.seq > expectedSeq + 1 ? `–${e.seq - 1}` : ""} is missing: the log jumps from line ${prev?.seq ?? 0} to ${e.seq}` } };
      if (e.prev_hash !== (prev?.hash ?? "")) return { ok: false, lines, head: prev?.hash ?? "", broken: { seq: e.seq, reason: `line ${e.seq} does not follow line ${prev?.seq ?? 0}: its previous-hash is not that line's hash (a line before it was changed, removed or inserted)` } };
      const { hash, ...rest } = e;
      if (entryHash(rest) !== hash) return { ok: false, lines, head: prev?.hash ?? "", broken: { seq: e.seq, reason: `line ${e.seq} was altered: its content no longer matches its hash` } };
      prev = e;
    }
  }
  return { ok: true, lines, head: prev?.hash ?? "" };
}
