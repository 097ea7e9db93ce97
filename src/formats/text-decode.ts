/**
 * Turns a file's bytes into text without replacing anything silently. UTF-8 (with or without a byte order mark) is
 * the default; a UTF-16 byte order mark selects UTF-16; a file that is not valid UTF-8 is read as Windows-1252 from the
 * first invalid byte on, with a warning naming that byte, unless an encoding was given (`--encoding`). Bytes are
 * checked chunk by chunk, so a file of any size streams.
 */
import { isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";
import { completeUtf8UpTo, decodeWindows1252, ENCODING_HINT, firstInvalidUtf8, notUtf8Notice } from "./charsets.ts";

export const ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252", "latin1"] as const;
export type TextEncodingName = (typeof ENCODINGS)[number];

/**
 * Names people write for them (`utf8`, `cp1252` …), case-insensitive. ISO-8859-1 is latin1 proper here, unlike HTTP's
 * charset table (serve/pipeline/media-types.ts), where WHATWG makes iso-8859-1/latin1 mean Windows-1252.
 */
const NAMES: Record<string, TextEncodingName> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "utf-16le": "utf-16le",
  utf16le: "utf-16le",
  "utf-16be": "utf-16be",
  utf16be: "utf-16be",
  "windows-1252": "windows-1252",
  windows1252: "windows-1252",
  cp1252: "windows-1252",
  latin1: "latin1",
  "latin-1": "latin1",
  "iso-8859-1": "latin1",
  iso88591: "latin1",
};

/** The encoding a name (a flag's value) means, or undefined. */
export function encodingNamed(name: string): TextEncodingName | undefined {
  const n = name.trim().toLowerCase();
  return Object.hasOwn(NAMES, n) ? NAMES[n] : undefined; // not "constructor", "__proto__" …
}

export class TextChunkDecoder {
  private carry: Buffer = Buffer.alloc(0);
  private decoder: TextDecoder | undefined;
  private mode: TextEncodingName | undefined;
  private offset = 0;
  private started = false;

  /** `onWarning` hears once that the file is not what it was read as (with the byte offset). */
  constructor(
    private readonly given: TextEncodingName | undefined,
    private readonly onWarning: (message: string) => void,
    private readonly hint = ENCODING_HINT,
  ) {
    if (given) this.use(given);
  }

  private use(e: TextEncodingName): void {
    this.mode = e;
    // latin1 is ISO-8859-1 proper (Buffer's); Windows-1252 by its own table (charsets.ts: Node 20's TextDecoder gets
    // it wrong); only UTF-16 goes through a TextDecoder.
    this.decoder = e === "utf-16le" || e === "utf-16be" ? new TextDecoder(e, { fatal: true }) : undefined;
  }

  push(chunk: Buffer): string {
    return this.take(chunk, false);
  }

  /** The rest: an incomplete character held back is not UTF-8, so it is decoded (and warned about), never dropped. */
  end(): string {
    return this.take(Buffer.alloc(0), true);
  }

  private take(chunk: Buffer, last: boolean): string {
    let buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    if (!this.started) {
      // A byte order mark is up to 3 bytes: wait for them (a file of 1 or 2 bytes is decided at its end).
      if (buf.length < 3 && !last) {
        this.carry = buf;
        return "";
      }
      this.started = true;
      // As in WHATWG decode (and utf8-feed.ts, which reads records): a byte order mark wins over the encoding given,
      // which could only turn the text into garbage.
      const utf8Bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
      if (utf8Bom) this.use("utf-8");
      else if (buf[0] === 0xff && buf[1] === 0xfe) this.use("utf-16le");
      else if (buf[0] === 0xfe && buf[1] === 0xff) this.use("utf-16be");
      else if (!this.given) this.mode = "utf-8";
      if (utf8Bom) {
        buf = buf.subarray(3);
        this.offset = 3;
      }
    }
    return this.decode(buf, last);
  }

  private decode(buf: Buffer, last: boolean): string {
    if (this.decoder) {
      try {
        const t = this.decoder.decode(buf, { stream: !last });
        this.offset += buf.length;
        // The UTF-16 decoder drops its BOM itself.
        return t;
      } catch {
        throw new Error(`not valid ${this.mode!.toUpperCase()} near byte ${this.offset} (give --encoding to read it as another encoding)`);
      }
    }
    if (this.mode === "latin1") {
      this.offset += buf.length;
      return buf.toString("latin1");
    }
    if (this.mode === "windows-1252") {
      this.offset += buf.length;
      return decodeWindows1252(buf);
    }
    // UTF-8: keep an incomplete sequence at the end for the next chunk.
    const cut = last ? buf.length : completeUtf8UpTo(buf, 0, buf.length);
    const whole = buf.subarray(0, cut);
    if (isUtf8(whole)) {
      this.carry = Buffer.from(buf.subarray(cut));
      this.offset += whole.length;
      return whole.toString("utf8");
    }
    // Not UTF-8: find the first bad byte for the warning, then read the rest as Windows-1252.
    // (A binary search over isUtf8 of prefixes is wrong here: a prefix that ends inside a character is invalid too,
    // so it found an earlier point and re-read valid text as Windows-1252.)
    const lo = firstInvalidUtf8(whole, 0, whole.length);
    const head = whole.subarray(0, lo).toString("utf8");
    this.onWarning(notUtf8Notice(this.offset + lo, this.hint));
    this.offset += lo;
    this.use("windows-1252");
    return head + this.decode(Buffer.from(buf.subarray(lo)), last);
  }
}

/** A whole file's bytes as text, by the same rules (a small side input: a DNS log, a tracker list). */
export function decodeText(bytes: Buffer, onWarning: (message: string) => void, hint?: string): string {
  const d = new TextChunkDecoder(undefined, onWarning, hint);
  return d.push(bytes) + d.end();
}
