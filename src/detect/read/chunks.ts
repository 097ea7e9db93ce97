/**
 * Reads a file in large chunks into one reusable buffer and hands out whole lines as byte ranges. Synchronous reads
 * keep the replay a tight loop; memory stays at the buffer size however large the file is. Given bytes instead of a
 * path (an HTTP body, an MQTT payload), it hands out their lines the same way, without copying them.
 *
 * The lines are always UTF-8: the bytes come through formats/utf8-feed.ts, which passes UTF-8 through (checking it)
 * and re-encodes UTF-16 (by its byte order mark), an encoding given, or — from the first byte that is not UTF-8 on,
 * with a warning naming its line — Windows-1252.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { TextEncodingName } from "../../formats/text-decode.ts";
import { bytesSource, type FeedNotice, MIN_READ, Utf8Feed, utf8InPlace } from "../../formats/utf8-feed.ts";

export interface LineReaderOptions {
  chunkSize?: number;
  maxLine?: number;
  /** The input's encoding (default: UTF-8, or UTF-16 by its byte order mark). */
  encoding?: TextEncodingName | undefined;
  /** Told once, with its line, of the first byte not read as written (e.g. not UTF-8, so read as Windows-1252). */
  onWarning?: ((line: number, message: string, offset: number) => void) | undefined;
  /** How the user picks an encoding, ending the warning (default: the --encoding flag). */
  encodingHint?: string;
}

export class LineReader {
  buf: Buffer;
  /** The current line is buf[lineStart, lineEnd) without its line break; `lineNo` is the 1-based number of its last line. */
  lineStart = 0;
  lineEnd = 0;
  lineNo = 0;
  /** Set when the current line was longer than the limit: only its start is in the buffer, the rest was skipped. */
  overlong = false;
  private pos = 0;
  private len = 0;
  /** File offset of buf[0], so a position can be remembered across refills. */
  private base = 0;
  /**
   * Called before the bytes buf[0, count) — at file offset `offset` — are dropped to make room: whoever still needs
   * bytes of lines already read (threaded reading keeps records' bytes) copies them here.
   */
  onDiscard: ((buf: Buffer, offset: number, count: number) => void) | undefined;
  private eof = false;
  private fd: number;
  /**
   * The line break: LF (also ending CRLF lines), or CR for a file whose lines end in CR alone (classic Mac, some
   * exports), decided once from the first line break in the file — without this a CR-only file is one long line and
   * every record of it is lost without a word (issue 18.4).
   */
  private sep = -1;
  /** Where the next `"` at or after some line start is (buf.length when none was read), -1 when not yet looked for. */
  private quoteAt = -1;

  readonly maxLine: number;
  /** Where the bytes come from, as UTF-8; absent for bytes given that are UTF-8 already (read in place). */
  private readonly feed: Utf8Feed | undefined;
  private notice: FeedNotice | undefined;

  constructor(input: string | Uint8Array, private readonly opts: LineReaderOptions = {}) {
    const chunkSize = opts.chunkSize ?? 4 << 20;
    this.maxLine = opts.maxLine ?? 16 << 20;
    if (typeof input === "string") {
      this.fd = openSync(input, "r");
      const fd = this.fd;
      this.feed = new Utf8Feed((into, at, len) => readSync(fd, into, at, len, null), this.feedOptions());
      this.buf = Buffer.allocUnsafe(chunkSize);
    } else {
      this.fd = -1;
      const same = utf8InPlace(input, opts.encoding);
      if (same) {
        // Live ingest makes a reader per MQTT payload: this case allocates only the Buffer view.
        this.buf = Buffer.from(same.buffer, same.byteOffset, same.byteLength);
        this.len = this.buf.length;
        this.eof = true;
        this.inMemory = true;
      } else {
        // Bytes in another encoding (or not valid UTF-8): re-encoded as they are read, like a file.
        this.feed = new Utf8Feed(bytesSource(input), this.feedOptions());
        this.buf = Buffer.allocUnsafe(Math.min(chunkSize, input.byteLength * 3 + 64));
      }
    }
  }

  private feedOptions() {
    const opts = this.opts;
    return { encoding: opts.encoding, onNotice: (n: FeedNotice) => (this.notice = n), ...(opts.encodingHint ? { hint: opts.encodingHint } : {}) };
  }

  /** Bytes given, not a file: lines are all there, and an over-long one is noticed when its end is found. */
  private readonly inMemory: boolean = false;

  /** Moves to the next line; false at the end of the file. */
  nextLine(): boolean {
    this.overlong = false;
    this.lineStart = this.pos;
    return this.scanTo(this.pos);
  }

  /** Extends the current line over the next line break (a quoted CSV field that holds one); false at the end. */
  extendLine(): boolean {
    if (this.pos >= this.len && this.eof) return false;
    return this.scanTo(this.pos);
  }

  /** File offset of buf[0]. */
  get fileBase(): number {
    return this.base;
  }

  /** Where the next line starts (file offset) and the current line number, to come back to with `rewind`. */
  mark(): { offset: number; lineNo: number } {
    return { offset: this.base + this.pos, lineNo: this.lineNo };
  }

  /** Goes back to a mark taken on the current line (its bytes are still in the buffer). */
  rewind(m: { offset: number; lineNo: number }): void {
    this.pos = m.offset - this.base;
    this.lineNo = m.lineNo;
  }

  /**
   * True when the current line holds no double quote. One native search covers many lines, so a CSV reader can split
   * quote-free lines without testing every byte for a quote.
   */
  quoteFree(): boolean {
    if (this.quoteAt < this.lineStart) {
      const q = this.buf.indexOf(34, this.lineStart);
      this.quoteAt = q < 0 || q >= this.len ? this.buf.length : q;
    }
    return this.quoteAt >= this.lineEnd;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Finds the line break at or after `from`, reading more as needed; the line runs from `lineStart`. */
  private scanTo(from: number): boolean {
    let at = from;
    for (;;) {
      if (this.sep < 0) this.decideSeparator();
      const nl = at < this.len ? this.buf.indexOf(this.sep < 0 ? 10 : this.sep, at) : -1;
      if (nl >= 0 && nl < this.len) {
        this.end(nl, nl + 1);
        return true;
      }
      if (this.eof) {
        if (this.lineStart >= this.len) return false;
        this.end(this.len, this.len);
        return true;
      }
      at = this.len;
      const shift = this.fill();
      at -= shift;
      if (this.len - this.lineStart >= this.maxLine) return this.skipRest();
    }
  }

  /** LF unless the first line break in what was read is a CR not followed by LF; undecided until one is seen. */
  private decideSeparator(): void {
    const lf = this.buf.indexOf(10, 0);
    const limit = lf >= 0 && lf < this.len ? lf : this.len;
    const cr = this.buf.indexOf(13, 0);
    if (cr >= 0 && cr < limit && (cr + 1 < this.len || this.eof) && this.buf[cr + 1] !== 10) this.sep = 13;
    else if (lf >= 0 && lf < this.len) this.sep = 10;
    else if (this.eof) this.sep = 10;
  }

  private end(e: number, next: number): void {
    this.lineEnd = e > this.lineStart && this.buf[e - 1] === 13 ? e - 1 : e;
    this.pos = next;
    this.lineNo++;
    if (this.inMemory && this.lineEnd - this.lineStart >= this.maxLine) {
      // As a file's reader reports it: by its first bytes.
      this.overlong = true;
      this.lineEnd = this.lineStart + 1024;
    }
  }

  /** Reports an over-long line by its first bytes and drops the rest up to the next line break. */
  private skipRest(): boolean {
    const keep = Math.min(this.len, this.lineStart + 1024);
    this.overlong = true;
    this.lineEnd = keep;
    for (;;) {
      const nl = this.buf.indexOf(this.sep === 13 ? 13 : 10, keep);
      if (nl >= 0 && nl < this.len) {
        this.pos = nl + 1;
        break;
      }
      if (this.eof) {
        this.pos = this.len;
        break;
      }
      this.base += this.len - keep;
      this.len = keep; // drop what was read past the kept start and read on
      this.fill();
    }
    this.lineNo++;
    return true;
  }

  /** Moves unread bytes (from the line start) to the front and reads more; returns how far they moved. */
  private fill(): number {
    const keep = this.lineStart;
    this.quoteAt = -1; // bytes move and more are read: look again
    if (keep > 0) {
      this.onDiscard?.(this.buf, this.base, keep);
      this.buf.copy(this.buf, 0, keep, this.len);
    }
    this.base += keep;
    this.len -= keep;
    this.pos -= keep;
    this.lineStart = 0;
    if (this.buf.length - this.len < MIN_READ) {
      const bigger = Buffer.allocUnsafe(Math.max(MIN_READ * 2, Math.min(this.buf.length * 2, this.maxLine + (1 << 20))));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const n = this.feed ? this.feed.read(this.buf, this.len, this.buf.length - this.len) : 0;
    if (n === 0) this.eof = true;
    this.len += n;
    if (this.notice) this.warn(this.notice);
    return keep;
  }

  /** Names the line of the byte the feed noticed: lines read so far, plus the line breaks between here and it. */
  private warn(n: FeedNotice): void {
    this.notice = undefined;
    if (!this.opts.onWarning) return;
    if (this.sep < 0) this.decideSeparator();
    const sep = this.sep < 0 ? 10 : this.sep;
    const to = Math.min(this.len, n.out - this.base);
    let line = this.lineNo + 1;
    for (let i = this.buf.indexOf(sep, this.pos); i >= 0 && i < to; i = this.buf.indexOf(sep, i + 1)) line++;
    this.opts.onWarning(line, n.message, n.offset);
  }
}

