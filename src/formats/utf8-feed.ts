/**
 * Re-encodes a byte stream as valid UTF-8 on its way into a reader's buffer. The detection readers split, hash and
 * compare UTF-8 bytes without making strings, so rather than decoding to text this hands them UTF-8 bytes whatever
 * the input was: UTF-8 with or without a byte order mark (passed through, only checked), UTF-16 LE/BE by its byte
 * order mark, or an encoding given (`--encoding`, an HTTP charset). Like formats/text-decode.ts for inventories,
 * input that is not valid UTF-8 is read as Windows-1252 from its first invalid byte on, and the caller hears of that
 * byte once (`onNotice`, with its offset in the input and in the output, so a line reader can name its line) — never a
 * silent U+FFFD.
 *
 * Valid UTF-8 (nearly every input) costs one native `isUtf8` per read and no copy: the bytes are read straight into
 * the caller's buffer. An incomplete character at the end of a read is held back (at most 3 bytes) for the next.
 */
import { isUtf8 } from "node:buffer";
import type { TextEncodingName } from "./text-decode.ts";
import { completeUtf8UpTo, decodeWindows1252, ENCODING_HINT, firstInvalidUtf8, notUtf8Notice } from "./charsets.ts";

export { firstInvalidUtf8 };

/** Reads up to `length` raw input bytes into `into` at `at`; 0 at the end. */
export type RawRead = (into: Uint8Array, at: number, length: number) => number;

export interface FeedNotice {
  /** Offset in the UTF-8 output of the first byte concerned (a line reader turns it into a line number). */
  out: number;
  /** Offset of that byte in the input. */
  offset: number;
  message: string;
}

/** The least room `read` must be given. */
export const MIN_READ = 16;

const EMPTY = Buffer.alloc(0);

export interface Utf8FeedOptions {
  /** The input's encoding; by default recognised (UTF-8, or UTF-16 by its byte order mark). */
  encoding?: TextEncodingName | undefined;
  /** Told once of the first byte not read as written (not UTF-8, an unpaired UTF-16 surrogate, a cut character). */
  onNotice?: ((n: FeedNotice) => void) | undefined;
  /** How the user chooses an encoding, ending the notice (default: the --encoding flag). */
  hint?: string;
}

export class Utf8Feed {
  private mode: TextEncodingName | undefined;
  /** Raw bytes read but not used yet (the head looked at for a byte order mark, the rest of a chunk after a switch). */
  private queue: Buffer = EMPTY;
  private qAt = 0;
  private rawEnd = false;
  /** Input offset just after the last byte pulled. */
  private pulled = 0;
  /** Output offset: UTF-8 bytes handed out so far. */
  private outOff = 0;
  /** Bytes of an incomplete character held back: UTF-8 (raw = output) or UTF-16 (raw). */
  private carry: Buffer = EMPTY;
  private scratch: Buffer = EMPTY;
  private noticed = false;
  private ended = false;
  private readonly given: TextEncodingName | undefined;
  private readonly hint: string;

  constructor(
    private readonly raw: RawRead,
    private readonly opts: Utf8FeedOptions = {},
  ) {
    this.given = opts.encoding;
    this.hint = opts.hint ?? ENCODING_HINT;
  }

  /** UTF-8 bytes handed out so far. */
  get out(): number {
    return this.outOff;
  }

  /** The encoding being read (after the first read): recognised, given, or windows-1252 after a fallback. */
  get encoding(): TextEncodingName | undefined {
    return this.mode;
  }

  /** Writes up to `max` (at least MIN_READ) UTF-8 bytes into `buf` at `at`; returns how many, 0 only at the end. */
  read(buf: Buffer, at: number, max: number): number {
    if (max < MIN_READ) throw new RangeError(`Utf8Feed.read needs room for ${MIN_READ} bytes`);
    if (this.ended) return 0;
    if (this.mode === undefined) this.start();
    const n = this.mode === "utf-8" ? this.readUtf8(buf, at, max) : this.mode === "utf-16le" || this.mode === "utf-16be" ? this.readUtf16(buf, at, max) : this.readSingle(buf, at, max);
    if (n === 0) this.ended = true;
    this.outOff += n;
    return n;
  }

  /**
   * Looks at the first bytes for a byte order mark. As in WHATWG decode, a UTF-8 or UTF-16 byte order mark wins over
   * the encoding given (a charset or --encoding saying otherwise would only turn the text into garbage) and is dropped.
   */
  private start(): void {
    const head = Buffer.alloc(3);
    let n = 0;
    while (n < 3) {
      const k = this.pull(head, n, 3 - n);
      if (k === 0) break;
      n += k;
    }
    const utf8Bom = n >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    const le = n >= 2 && head[0] === 0xff && head[1] === 0xfe;
    const be = n >= 2 && head[0] === 0xfe && head[1] === 0xff;
    this.mode = utf8Bom ? "utf-8" : le ? "utf-16le" : be ? "utf-16be" : (this.given ?? "utf-8");
    this.unpull(head.subarray(utf8Bom ? 3 : le || be ? 2 : 0, n));
  }

  private readUtf8(buf: Buffer, at: number, max: number): number {
    for (;;) {
      const k = this.carry.length;
      if (k > 0) buf.set(this.carry, at);
      this.carry = EMPTY;
      const n = this.pull(buf, at + k, max - k);
      const total = k + n;
      const eof = n === 0;
      if (total === 0) return 0;
      const cut = eof ? total : completeUtf8UpTo(buf, at, at + total);
      if (isUtf8(buf.subarray(at, at + cut))) {
        if (cut < total) this.carry = Buffer.from(buf.subarray(at + cut, at + total));
        if (cut > 0) return cut;
        continue; // only part of one character was read: read on
      }
      const bad = firstInvalidUtf8(buf, at, at + cut) - at;
      const input = this.pulled - total + bad;
      this.notice(this.outOff + bad, input, notUtf8Notice(input, this.hint));
      this.unpull(buf.subarray(at + bad, at + total));
      this.mode = "windows-1252";
      return bad > 0 ? bad : this.readSingle(buf, at, max);
    }
  }

  /** Windows-1252 and ISO-8859-1: every byte is a character of at most 3 UTF-8 bytes, so a third of the room is read. */
  private readSingle(buf: Buffer, at: number, max: number): number {
    const room = Math.floor(max / 3);
    const raw = this.scratchOf(room);
    const n = this.pull(raw, 0, room);
    if (n === 0) return 0;
    // latin1 is ISO-8859-1 proper (Buffer's); the WHATWG decoder's "latin1" is Windows-1252.
    const text = this.mode === "latin1" ? raw.toString("latin1", 0, n) : decodeWindows1252(raw.subarray(0, n));
    return buf.write(text, at, max, "utf8");
  }

  /** UTF-16: each code unit is at most 3 UTF-8 bytes (a pair 4 for 4), so two thirds of the room is read. */
  private readUtf16(buf: Buffer, at: number, max: number): number {
    const room = Math.floor(max / 3) * 2;
    const raw = this.scratchOf(room);
    for (;;) {
      const k = this.carry.length;
      if (k > 0) this.carry.copy(raw, 0);
      this.carry = EMPTY;
      const n = this.pull(raw, k, room - k);
      const total = k + n;
      const eof = n === 0;
      if (total === 0) return 0;
      let even = total & ~1;
      const le = this.mode === "utf-16le";
      if (!eof && even >= 2) {
        const last = le ? raw[even - 2]! | (raw[even - 1]! << 8) : (raw[even - 2]! << 8) | raw[even - 1]!;
        if (last >= 0xd800 && last <= 0xdbff) even -= 2; // its low surrogate comes with the next read
      }
      const start = this.pulled - total;
      if (!eof) {
        if (even < total) this.carry = Buffer.from(raw.subarray(even, total));
      } else if (even < total) this.notice(this.outOff, start + even, `the input ends in half a ${this.name()} character (an odd number of bytes)`);
      if (even === 0) {
        if (eof) return 0;
        continue;
      }
      if (!le) raw.subarray(0, even).swap16();
      const text = raw.toString("utf16le", 0, even);
      const lone = loneSurrogate(text);
      if (lone >= 0) this.notice(this.outOff + Buffer.byteLength(text.slice(0, lone)), start + 2 * lone, `not valid ${this.name()} at byte ${start + 2 * lone}: an unpaired surrogate, read as U+FFFD`);
      // Buffer.write turns an unpaired surrogate into U+FFFD (3 bytes, as the room allows for).
      return buf.write(text, at, max, "utf8");
    }
  }

  private name(): string {
    return this.mode!.toUpperCase();
  }

  private scratchOf(n: number): Buffer {
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(n);
    return this.scratch;
  }

  private notice(out: number, offset: number, message: string): void {
    if (this.noticed) return;
    this.noticed = true;
    this.opts.onNotice?.({ out, offset, message });
  }

  /** Takes raw bytes: first those queued, then from the input. */
  private pull(into: Uint8Array, at: number, len: number): number {
    const queued = this.queue.length - this.qAt;
    if (queued > 0) {
      const n = Math.min(queued, len);
      into.set(this.queue.subarray(this.qAt, this.qAt + n), at);
      this.qAt += n;
      this.pulled += n;
      return n;
    }
    if (this.rawEnd || len === 0) return 0;
    const n = this.raw(into, at, len);
    if (n === 0) this.rawEnd = true;
    this.pulled += n;
    return n;
  }

  /** Gives raw bytes back, to be pulled again first. */
  private unpull(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue = Buffer.concat([bytes, this.queue.subarray(this.qAt)]);
    this.qAt = 0;
    this.pulled -= bytes.length;
  }
}

/** The index of the first unpaired surrogate in `t`, or -1. */
function loneSurrogate(t: string): number {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < t.length) {
      const d = t.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** Whether `bytes` start with a UTF-16 (LE or BE) byte order mark. */
export const hasUtf16Bom = (bytes: Uint8Array): boolean => bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));

/**
 * `bytes` as they are (without a UTF-8 byte order mark) when they can be read where they are: valid UTF-8, and
 * nothing — an encoding given, a UTF-16 byte order mark — says otherwise. Undefined when they must go through a feed.
 */
export function utf8InPlace(bytes: Uint8Array, encoding: TextEncodingName | undefined): Uint8Array | undefined {
  if (encoding !== undefined && encoding !== "utf-8") return undefined;
  if (encoding === undefined && hasUtf16Bom(bytes)) return undefined;
  if (!isUtf8(bytes)) return undefined;
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/** A feed's raw input from bytes in memory. */
export function bytesSource(bytes: Uint8Array): RawRead {
  let pos = 0;
  return (into, at, len) => {
    const n = Math.min(len, bytes.length - pos);
    into.set(bytes.subarray(pos, pos + n), at);
    pos += n;
    return n;
  };
}

/** The whole of `bytes` as UTF-8 (the same decoding, in one go): `bytes` itself when it already is valid UTF-8. */
export function toUtf8(bytes: Uint8Array, opts: Utf8FeedOptions = {}): Uint8Array {
  const same = utf8InPlace(bytes, opts.encoding);
  if (same) return same;
  const feed = new Utf8Feed(bytesSource(bytes), opts);
  const out = Buffer.allocUnsafe(bytes.length * 3 + MIN_READ);
  let len = 0;
  for (let n = feed.read(out, 0, out.length); n > 0; n = feed.read(out, len, out.length - len)) len += n;
  return out.subarray(0, len);
}
