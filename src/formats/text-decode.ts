/**
 * Turns a file's bytes into text without replacing anything silently. UTF-8 (with or without a byte order mark) is
 * the default; a UTF-16 byte order mark selects UTF-16; a file that is not valid UTF-8 is read as Windows-1252 from the
 * first invalid byte on, with a warning naming that byte, unless an encoding was given (`--encoding`). Bytes are
 * checked chunk by chunk, so a file of any size streams.
 */
import { isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";

export const ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252", "latin1"] as const;
export type TextEncodingName = (typeof ENCODINGS)[number];

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
  ) {
    if (given) this.use(given);
  }

  private use(e: TextEncodingName): void {
    this.mode = e;
    // latin1 is ISO-8859-1 proper (Buffer's); the WHATWG decoder's "latin1" is Windows-1252.
    this.decoder = e === "utf-8" || e === "latin1" ? undefined : new TextDecoder(e, { fatal: true });
  }

  push(chunk: Buffer): string {
    let buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    if (!this.started) {
      if (buf.length < 3 && chunk.length > 0) {
        this.carry = buf;
        return "";
      }
      this.started = true;
      if (!this.given && buf[0] === 0xff && buf[1] === 0xfe) this.use("utf-16le");
      else if (!this.given && buf[0] === 0xfe && buf[1] === 0xff) this.use("utf-16be");
      else if (!this.given) this.mode = "utf-8";
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf && this.mode === "utf-8") {
        buf = buf.subarray(3);
        this.offset = 3;
      }
    }
    return this.decode(buf, false);
  }

  end(): string {
    if (!this.started) {
      const rest = this.carry;
      this.carry = Buffer.alloc(0);
      return rest.length ? this.push(rest) + this.decode(Buffer.alloc(0), true) : "";
    }
    return this.decode(Buffer.alloc(0), true);
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
    // UTF-8: keep an incomplete sequence at the end for the next chunk.
    let cut = buf.length;
    if (!last) {
      for (let back = 1; back <= 3 && back <= buf.length; back++) {
        const b = buf[buf.length - back]!;
        if ((b & 0xc0) === 0x80) continue; // continuation byte
        if (b >= 0xc0) {
          const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
          if (need > back) cut = buf.length - back;
        }
        break;
      }
    }
    const whole = buf.subarray(0, cut);
    if (isUtf8(whole)) {
      this.carry = Buffer.from(buf.subarray(cut));
      this.offset += whole.length;
      return whole.toString("utf8");
    }
    // Not UTF-8: find the first bad byte for the warning, then read the rest as Windows-1252.
    // The longest valid prefix (it ends on a character boundary, as a prefix ending inside a character is invalid).
    let lo = 0;
    let hi = whole.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (isUtf8(whole.subarray(0, mid))) lo = mid;
      else hi = mid - 1;
    }
    const head = whole.subarray(0, lo).toString("utf8");
    this.onWarning(`not valid UTF-8 at byte ${this.offset + lo}: read as Windows-1252 from there (give --encoding utf-8|utf-16le|utf-16be|windows-1252|latin1 to choose)`);
    this.offset += lo;
    this.use("windows-1252");
    return head + this.decode(Buffer.from(buf.subarray(lo)), last);
  }
}
