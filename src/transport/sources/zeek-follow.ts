/**
 * Follows a growing Zeek log (`--follow conn.log`) the way `tail -F` would, but so that a restart resumes exactly
 * after what was committed: every chunk of complete lines comes with the position just after it (file identity,
 * byte offset, line number, the header in force), and the caller commits that position with its detection
 * checkpoint. Lines are handed over in order, each once, across:
 *
 * - rotation by rename (Zeek's own, logrotate's default): the old file is read to its end through the descriptor
 *   still open on it — a last line without its newline counts as complete then — and the new file from its start;
 * - truncation and copytruncate: when the file shrinks below what was read, the rest is read from the copy (a sibling
 *   `conn.log.1`, `conn.2026-03-01-10-00-00.log` … that starts with the same bytes), then the file from its start; a
 *   file that was empty at the last look (just truncated, so its first bytes are unknown) counts as cut again when a
 *   sibling that was not beside it then holds bytes the file does not start with — also across a restart, since a
 *   position at the start of an empty file names the siblings;
 * - a re-written header (`#separator` … `#types` again, e.g. after Zeek restarts): a chunk never spans two headers.
 *
 * The follower polls (default every 250 ms) and handles one rotation per poll; at Zeek's hourly rotation that is
 * ample. Reading waits for the handler, so a slow handler slows reading, never grows memory.
 */
import { createHash } from "node:crypto";
import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { backoffDelay, DEFAULT_BACKOFF, sleep, type Backoff } from "../backoff.ts";
import { errorText } from "../result.ts";
import type { HandlerResult, SourceLog } from "./source.ts";

/** Where reading stands: commit it with the records it covers; pass it back as `from` to resume. JSON-safe. */
export interface FollowPosition {
  readonly path: string;
  /** Device and inode of the file (as decimal strings: they may exceed 2^53). */
  readonly dev: string;
  readonly ino: string;
  /** Bytes of the file consumed (always the end of a complete line). */
  readonly offset: number;
  /** Lines of the file consumed. */
  readonly line: number;
  /** SHA-256 of the file's first bytes (up to 1 KiB), so a reused inode is not mistaken for the same file. */
  readonly head: string;
  /** The header lines in force at `offset` ("" when the log has none, e.g. JSON logs). */
  readonly header: string;
  /**
   * At offset 0 of an empty file (just truncated or created): the rotated siblings beside it then ("dev:ino"), so a
   * copytruncate made before a restart shows as a sibling not among them (Open.seen).
   */
  readonly seen?: readonly string[];
}

export interface ZeekChunk {
  /** The file the lines were read from (the rotated copy's name while reading one). */
  readonly file: string;
  /** The header in force for these lines: decode `header + lines` as one conn.log. */
  readonly header: string;
  /** Complete lines, each ending in "\n" (a rotated file's unterminated last line gets one). */
  readonly lines: Buffer;
  readonly lineCount: number;
  /** Line number in `file` of the first of `lines` (1-based). */
  readonly firstLine: number;
  /** The position after these lines. */
  readonly position: FollowPosition;
}

export interface ZeekFollowOptions {
  readonly path: string;
  readonly handler: (chunk: ZeekChunk) => Promise<HandlerResult | void>;
  /** Resume here (a committed position); otherwise start at the file's start, or its end with `startAtEnd`. */
  readonly from?: FollowPosition;
  readonly startAtEnd?: boolean;
  /** Default 250 ms; 0 disables the timer (call `poll()` yourself). */
  readonly pollMs?: number;
  /** Bytes read at once and the most one chunk holds (a longer line is handed whole). Default 1 MiB. */
  readonly maxChunkBytes?: number;
  readonly backoff?: Backoff;
  readonly onWarning?: SourceLog;
  readonly onError?: SourceLog;
}

export interface ZeekFollowStats {
  lines: number;
  bytes: number;
  chunks: number;
  rotations: number;
  truncations: number;
  /** Truncations whose unread rest could not be found in a copy: those lines are lost (and reported). */
  truncations_unrecovered: number;
  headers: number;
  errors: number;
  records_accepted: number;
  records_rejected: number;
}

export interface ZeekFollower {
  /** One poll: read what was appended and handle a rotation. Serialised with the timer's polls. */
  poll(): Promise<void>;
  /** The last position the handler accepted. */
  position(): FollowPosition | undefined;
  stats(): ZeekFollowStats;
  /** Stops polling and waits (until the deadline) for the running handler; returns the last accepted position. Idempotent. */
  stop(deadlineMs?: number): Promise<FollowPosition | undefined>;
}

const HEAD_BYTES = 1024;

interface Open {
  fh: FileHandle;
  name: string;
  dev: string;
  ino: string;
  /** Bytes consumed into complete, handed lines. */
  offset: number;
  line: number;
  head: Buffer;
  /** Bytes read past `offset`: an incomplete last line. */
  pending: Buffer;
  /** Modification time at the last look (to notice a truncation of a file whose content was not known yet). */
  mtime?: bigint;
  /**
   * While the file was empty at the last look (its content unknown, so a truncation cannot show in its first bytes):
   * the rotated siblings beside it then, by inode. A copytruncate since shows as a sibling not among them.
   */
  seen?: Set<string>;
  /** The copy a truncation check found (the new sibling holding what the file had). */
  copiedTo?: string | undefined;
}

export function followZeekLog(o: ZeekFollowOptions): ZeekFollower {
  const maxChunk = Math.max(4096, o.maxChunkBytes ?? 1 << 20);
  const stats: ZeekFollowStats = { lines: 0, bytes: 0, chunks: 0, rotations: 0, truncations: 0, truncations_unrecovered: 0, headers: 0, errors: 0, records_accepted: 0, records_rejected: 0 };
  const stopping = new AbortController();
  let cur: Open | undefined;
  let header = o.from?.header ?? "";
  /** Header lines being collected (a header block has started but not ended). */
  let newHeader: string[] | undefined;
  let committed: FollowPosition | undefined = o.from;
  let queue: Promise<void> = Promise.resolve();
  let started = false;
  const warn = (m: string, d?: Record<string, unknown>) => o.onWarning?.(m, d);

  async function openFile(name: string): Promise<Open | undefined> {
    const fh = await open(name, "r").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
    if (!fh) return undefined;
    const s = await fh.stat({ bigint: true });
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(head, 0, HEAD_BYTES, 0);
    return { fh, name, dev: String(s.dev), ino: String(s.ino), offset: 0, line: 0, head: head.subarray(0, bytesRead), pending: Buffer.alloc(0) };
  }

  const headHash = (b: Buffer) => createHash("sha256").update(b).digest("hex");

  function positionOf(f: Open): FollowPosition {
    const seen = f.offset === 0 && f.seen ? { seen: [...f.seen] } : {};
    return { path: o.path, dev: f.dev, ino: f.ino, offset: f.offset, line: f.line, head: headHash(f.head.subarray(0, Math.min(f.head.length, f.offset, HEAD_BYTES))), header, ...seen };
  }

  /** Hands complete lines from `buf` (which starts at f.offset) in chunks; keeps an incomplete tail as pending unless `final`. */
  async function consume(f: Open, buf: Buffer, final: boolean): Promise<boolean> {
    let start = 0;
    let chunkStart = 0;
    let chunkLines = 0;
    let firstLine = f.line + 1;
    const flush = async (end: number, extraNewline: boolean) => {
      if (end > chunkStart || extraNewline) {
        const lines = extraNewline ? Buffer.concat([buf.subarray(chunkStart, end), Buffer.from("\n")]) : buf.subarray(chunkStart, end);
        const after = { ...f, offset: f.offset + (end - chunkStart), line: f.line + chunkLines };
        const position = positionOf(after);
        if (!(await hand({ file: f.name, header, lines: Buffer.from(lines), lineCount: chunkLines, firstLine, position }))) return false;
        f.offset = after.offset;
        f.line = after.line;
        committed = position;
      }
      chunkStart = end;
      chunkLines = 0;
      firstLine = f.line + 1;
      return true;
    };
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const complete = nl >= 0;
      if (!complete && !(final && start < buf.length)) break;
      const end = complete ? nl + 1 : buf.length;
      const isHeader = buf[start] === 0x23 /* # */ && isHeaderLine(buf.subarray(start, end));
      if (isHeader || newHeader) {
        // A header line, or the first data line after a header block: the chunk so far belongs to the old header.
        if (!(await flush(start, false))) return false;
        if (isHeader) {
          const text = buf.subarray(start, end).toString("utf8");
          if (text.startsWith("#separator")) newHeader = [];
          (newHeader ??= []).push(complete ? text : `${text}\n`);
          // Header lines are consumed with the block; the position moves past them once it is complete.
          f.offset += end - start;
          f.line++;
          chunkStart = end;
          firstLine = f.line + 1;
          start = end;
          if (text.startsWith("#types")) {
            endHeader();
            // Commit the new header with an empty chunk: a restart must not resume before it and lose it.
            const position = positionOf(f);
            if (!(await hand({ file: f.name, header, lines: Buffer.alloc(0), lineCount: 0, firstLine: f.line + 1, position }))) return false;
            committed = position;
          }
          continue;
        }
        endHeader();
      }
      chunkLines++;
      start = end;
      if (!complete) return (await flush(end, true)) && keepPending(f, Buffer.alloc(0));
      if (end - chunkStart >= maxChunk && !(await flush(end, false))) return false;
    }
    if (!(await flush(start, false))) return false;
    return keepPending(f, buf.subarray(start));
  }

  function endHeader() {
    if (!newHeader) return;
    header = newHeader.join("");
    newHeader = undefined;
    stats.headers++;
  }

  function keepPending(f: Open, rest: Buffer): boolean {
    f.pending = Buffer.from(rest);
    return true;
  }

  /** Calls the handler until it takes the chunk; false when stopped first. */
  async function hand(c: ZeekChunk): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (stopping.signal.aborted) return false;
      try {
        const r = await o.handler(c);
        stats.chunks++;
        stats.lines += c.lineCount;
        stats.bytes += c.lines.length;
        if (r && typeof r.accepted === "number") stats.records_accepted += r.accepted;
        if (r && typeof r.rejected === "number") stats.records_rejected += r.rejected;
        return true;
      } catch (e) {
        stats.errors++;
        o.onError?.(`handler failed for ${c.lineCount} lines of ${c.file} (attempt ${attempt}); they are tried again`, { error: errorText(e), file: c.file, line: c.firstLine });
        await sleep(backoffDelay(attempt, o.backoff ?? DEFAULT_BACKOFF), stopping.signal);
      }
    }
  }

  /** Reads `f` from where it stands to its current end. */
  async function drain(f: Open, final: boolean): Promise<boolean> {
    await refreshHead(f);
    const size = Number((await f.fh.stat()).size);
    let at = f.offset + f.pending.length;
    while (at < size) {
      const want = Math.min(maxChunk, size - at);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await f.fh.read(buf, 0, want, at);
      if (bytesRead === 0) break;
      at += bytesRead;
      const data = f.pending.length ? Buffer.concat([f.pending, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      if (!(await consume(f, data, final && at >= size))) return false;
    }
    if (final && f.pending.length > 0) return consume(f, f.pending.subarray(0), true).then((ok) => ok && keepPending(f, Buffer.alloc(0)));
    return true;
  }

  /** The file's first bytes, while it is shorter than HEAD_BYTES they grow with it. */
  async function refreshHead(f: Open) {
    if (f.head.length >= HEAD_BYTES) return;
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await f.fh.read(head, 0, HEAD_BYTES, 0);
    if (bytesRead > f.head.length) f.head = head.subarray(0, bytesRead);
  }

  /** Siblings a rotation may have produced: conn.log.1, conn.log-2026…, conn.2026-….log (compressed ones excluded). */
  async function siblings(): Promise<string[]> {
    const dir = dirname(o.path);
    const base = basename(o.path);
    const stem = base.replace(/\.log$/, "");
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.filter((n) => n !== base && (n.startsWith(`${base}.`) || n.startsWith(`${base}-`) || n.startsWith(`${stem}.`)) && !/\.(gz|bz2|xz|zst)$/.test(n)).map((n) => join(dir, n));
  }

  /**
   * The copy of a truncated file: a sibling other than `ino`, at least `size` long, that `begins` like it; when
   * several do (nothing of the file was known yet), the most recently written.
   */
  async function findCopy(begins: (head: Buffer) => boolean, size: number, ino: string): Promise<Open | undefined> {
    let best: { c: Open; mtime: bigint } | undefined;
    for (const name of await siblings()) {
      const c = await openFile(name).catch(() => undefined);
      if (!c) continue;
      const st = await c.fh.stat({ bigint: true });
      if (c.ino !== ino && Number(st.size) >= size && begins(c.head) && (!best || st.mtimeNs > best.mtime)) {
        await best?.c.fh.close();
        best = { c, mtime: st.mtimeNs };
      } else await c.fh.close();
    }
    return best?.c;
  }

  const hashedHead = (hash: string, offset: number) => (head: Buffer) => headHash(head.subarray(0, Math.min(head.length, offset, HEAD_BYTES))) === hash;
  const sameHead = (known: Buffer) => (head: Buffer) => head.length >= known.length && head.subarray(0, known.length).equals(known);

  async function findByIdentity(p: FollowPosition): Promise<Open | undefined> {
    for (const name of await siblings()) {
      const s = await stat(name, { bigint: true }).catch(() => undefined);
      if (s && String(s.dev) === p.dev && String(s.ino) === p.ino) return openFile(name);
    }
    return undefined;
  }

  /**
   * Moves to a fresh file at the followed path (at the start, after a rotation or truncation). The handler gets an
   * empty chunk with the new position, so the switch is committed like any line: a restart then resumes in the new
   * file instead of looking for the new file from the old one.
   */
  async function restartOn(next: Open): Promise<boolean> {
    await cur?.fh.close().catch(() => undefined);
    cur = next;
    // Taken after the switch: the copy a truncation just left is among them, so it is not taken for a new one.
    next.seen = await siblingInodes();
    const position = positionOf(next);
    if (!(await hand({ file: next.name, header, lines: Buffer.alloc(0), lineCount: 0, firstLine: next.line + 1, position }))) return false;
    committed = position;
    return true;
  }

  async function resume(p: FollowPosition): Promise<void> {
    const f = await openFile(o.path);
    const sameFile = f !== undefined && f.dev === p.dev && f.ino === p.ino;
    if (f && sameFile && headHash(f.head.subarray(0, Math.min(f.head.length, p.offset, HEAD_BYTES))) === p.head && Number((await f.fh.stat()).size) >= p.offset) {
      cur = Object.assign(f, { offset: p.offset, line: p.line });
      // At the start of a file that was empty: nothing of it is known, and the siblings then tell a copytruncate
      // made since (the first poll's truncation check) from lines written to it.
      if (p.offset === 0 && p.seen) Object.assign(f, { head: Buffer.alloc(0), seen: new Set(p.seen) });
      return;
    }
    // Rotated (the old file is beside it under another name) or truncated (its copy is) while we were away.
    const old = sameFile ? await findCopy(hashedHead(p.head, p.offset), p.offset, p.ino) : ((await findByIdentity(p)) ?? (await findCopy(hashedHead(p.head, p.offset), p.offset, f?.ino ?? "")));
    if (sameFile) stats.truncations++;
    else stats.rotations++;
    if (old) {
      Object.assign(old, { offset: p.offset, line: p.line });
      const ok = await drain(old, true);
      await old.fh.close();
      if (!ok) return void (await f?.fh.close());
    } else lost(`${o.path} was ${sameFile ? "truncated" : "rotated away"} while Longwatch was stopped and the rest of the file it was reading was not found beside it: lines after line ${p.line} of it may be lost`);
    if (f) await restartOn(f);
  }

  function lost(m: string) {
    stats.truncations_unrecovered++;
    warn(m);
  }

  /** The inodes of the rotated siblings now. */
  async function siblingInodes(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const name of await siblings()) {
      const s = await stat(name, { bigint: true }).catch(() => undefined);
      if (s) out.add(`${s.dev}:${s.ino}`);
    }
    return out;
  }

  /**
   * A copytruncate of a file that was empty at the last look, then written again: a sibling that was not there then,
   * whose bytes are not the start of the file's (a plain copy of the file would be). Its name, or undefined.
   */
  async function newCopy(f: Open, size: number): Promise<string | undefined> {
    if (!f.seen) return undefined;
    for (const name of await siblings()) {
      const c = await openFile(name).catch(() => undefined);
      if (!c) continue;
      try {
        if (f.seen.has(`${c.dev}:${c.ino}`) || c.head.length === 0) continue;
        const now = Buffer.alloc(Math.min(c.head.length, size));
        const { bytesRead } = await f.fh.read(now, 0, now.length, 0);
        const prefix = Number((await c.fh.stat()).size) <= size && bytesRead === c.head.length && now.equals(c.head);
        if (!prefix) return name;
      } finally {
        await c.fh.close();
      }
    }
    return undefined;
  }

  async function pollOnce(): Promise<void> {
    if (stopping.signal.aborted) return;
    // The siblings before this look, kept for the next while the file stays empty (see Open.seen).
    const looked = cur;
    const before = looked && looked.head.length === 0 ? await siblingInodes() : undefined;
    try {
      await pollFile();
    } finally {
      if (looked && cur === looked && looked.head.length === 0 && before) looked.seen = before;
    }
  }

  async function pollFile(): Promise<void> {
    if (!started) {
      started = true;
      if (o.from) await resume(o.from);
      else {
        const first = await openFile(o.path);
        if (first && o.startAtEnd) await drainHeaderOnly(first);
        if (first && !(await restartOn(first))) return;
      }
    }
    if (!cur) {
      const f = await openFile(o.path);
      if (!f) return;
      await restartOn(f);
    }
    const f = cur!;
    const s = await stat(o.path, { bigint: true }).catch(() => undefined);
    const wasTruncated = s !== undefined && String(s.ino) === f.ino && String(s.dev) === f.dev && (await truncated(f, Number(s.size), s.mtimeNs));
    if (s) f.mtime = s.mtimeNs;
    if (wasTruncated) {
      // Truncated (copytruncate, or truncated and written again): the unread rest is in the copy, if one was made.
      stats.truncations++;
      const copy = f.copiedTo !== undefined ? await openFile(f.copiedTo) : await findCopy(sameHead(f.head), f.offset, f.ino);
      f.copiedTo = undefined;
      if (copy) {
        Object.assign(copy, { offset: f.offset, line: f.line });
        const ok = await drain(copy, true);
        await copy.fh.close();
        if (!ok) return;
      } else if (f.head.length > 0) lost(`${o.path} was truncated and no copy of it was found: lines after line ${f.line} may be lost`);
      const next = await openFile(o.path);
      if (next && (await restartOn(next))) await drain(next, false);
      return;
    }
    if (!(await drain(f, false))) return;
    if (!s) return; // moved away and not yet re-created: keep reading the old one.
    if (String(s.ino) !== f.ino || String(s.dev) !== f.dev) {
      // Rotated: finish the old file (the writer may have added lines since), then the new one from its start.
      stats.rotations++;
      if (!(await drain(f, true))) return;
      const next = await openFile(o.path);
      if (next && (await restartOn(next))) await drain(next, false);
    }
  }

  /** Shorter than what was read, or its first bytes are not the ones read (truncated, then written again). */
  async function truncated(f: Open, size: number, mtime: bigint): Promise<boolean> {
    if (size < f.offset + f.pending.length) return true;
    const n = Math.min(f.head.length, HEAD_BYTES);
    // Nothing of it known yet: written to (mtime moved) without growing means written and cut again; so does a copy
    // made meanwhile that the file does not start with (grown again or not).
    if (n === 0) {
      if (f.mtime !== undefined && mtime !== f.mtime && size <= f.offset + f.pending.length) return true;
      f.copiedTo = await newCopy(f, size);
      return f.copiedTo !== undefined;
    }
    const now = Buffer.alloc(n);
    const { bytesRead } = await f.fh.read(now, 0, n, 0);
    return bytesRead < n || !now.equals(f.head.subarray(0, n));
  }

  /** Starting at the end: skip the data, but read the header so later lines can be decoded. */
  async function drainHeaderOnly(f: Open) {
    const size = Number((await f.fh.stat()).size);
    const buf = Buffer.allocUnsafe(Math.min(size, 64 * 1024));
    const { bytesRead } = await f.fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString("utf8");
    const lines = text.split("\n");
    const hdr: string[] = [];
    for (const l of lines) {
      if (!l.startsWith("#")) break;
      if (l.startsWith("#separator")) hdr.length = 0;
      hdr.push(`${l}\n`);
    }
    header = hdr.join("");
    const end = size;
    // Count lines up to the end so line numbers stay right.
    let line = 0;
    const scan = Buffer.allocUnsafe(1 << 20);
    let lastNl = -1;
    for (let at = 0; at < end; ) {
      const { bytesRead: n } = await f.fh.read(scan, 0, Math.min(scan.length, end - at), at);
      if (n === 0) break;
      for (let i = scan.indexOf(0x0a, 0); i >= 0 && i < n; i = scan.indexOf(0x0a, i + 1)) {
        line++;
        lastNl = at + i;
      }
      at += n;
    }
    f.offset = lastNl + 1;
    f.line = line;
  }

  function poll(): Promise<void> {
    queue = queue.then(pollOnce).catch((e: unknown) => {
      stats.errors++;
      o.onError?.(`following ${o.path}: ${errorText(e)}`, { path: o.path });
    });
    return queue;
  }

  const pollMs = o.pollMs ?? 250;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    void poll().then(() => {
      if (!stopping.signal.aborted && pollMs > 0) timer = setTimeout(tick, pollMs);
    });
  };
  if (pollMs > 0) tick();

  let stopped: Promise<FollowPosition | undefined> | undefined;
  return {
    poll,
    position: () => committed,
    stats: () => ({ ...stats }),
    stop(deadlineMs = 10_000) {
      stopped ??= (async () => {
        clearTimeout(timer);
        let t: NodeJS.Timeout | undefined;
        const finished = queue.then(() => undefined);
        await Promise.race([finished, new Promise<void>((r) => (t = setTimeout(r, deadlineMs)))]);
        clearTimeout(t);
        stopping.abort();
        await finished;
        await cur?.fh.close().catch(() => undefined);
        return committed;
      })();
      return stopped;
    },
  };
}

/** Zeek header lines: #separator, #set_separator, #empty_field, #unset_field, #path, #open, #fields, #types. */
function isHeaderLine(b: Buffer): boolean {
  const s = b.subarray(0, 16).toString("latin1");
  return /^#(separator|set_separator|empty_field|unset_field|path|open|fields|types)\b/.test(s);
}
