/**
 * Records as JetStream message bodies: many records per message (a message per record would cost more in broker
 * round trips than detection costs), each encoded by rec-codec so the worker gets exactly the record the publisher
 * read — its cells' text, numbers and hashes — without decoding any text again.
 *
 * Layout: "LWR1", u32 record count, then the records one after another (rec-codec, each starting with its length).
 */
import { LongwatchError } from "../core/errors.ts";
import { decodeRec, encodedLength, encodedSize, encodeRec } from "../detect/read/rec-codec.ts";
import type { Rec } from "../detect/read/rec.ts";
import type { EncodedRecordSource } from "../detect/read/source.ts";

const MAGIC = [0x4c, 0x57, 0x52, 0x31]; // "LWR1"
const HEAD = 8;

/** Collects records into one message body. */
export class BatchWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private at = HEAD;
  count = 0;

  get bytes(): number {
    return this.at;
  }

  add(rec: Rec): void {
    const size = encodedSize(rec);
    if (this.at + size > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + size));
      next.set(this.buf.subarray(0, this.at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.at = encodeRec(rec, this.buf, this.view, this.at);
    this.count++;
  }

  /** The message body (a copy), and the writer is empty again. */
  take(): Uint8Array {
    this.buf.set(MAGIC, 0);
    this.view.setUint32(4, this.count, true);
    const out = this.buf.slice(0, this.at);
    this.at = HEAD;
    this.count = 0;
    return out;
  }
}

/** Checks a body's header; returns its record count. A foreign or cut body is `invalid_input`. */
export function batchCount(body: Uint8Array): number {
  if (body.length < HEAD || MAGIC.some((m, i) => body[i] !== m)) throw new LongwatchError("invalid_input", "not a Longwatch record batch (no LWR1 header)");
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(4, true);
}

/** The records of one message body as a record source (cells point into `body`; each record's bytes are `encoded`). */
export class BatchSource implements EncodedRecordSource {
  private readonly view: DataView;
  private at = HEAD;
  private left: number;
  readonly encoded: { readonly buf: Uint8Array; readonly view: DataView };
  encodedAt = 0;
  encodedLen = 0;

  constructor(
    readonly name: string,
    private readonly body: Uint8Array,
  ) {
    this.left = batchCount(body);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.encoded = { buf: body, view: this.view };
  }

  next(rec: Rec): boolean {
    if (this.left === 0) return false;
    if (this.at + 40 > this.body.length) throw new LongwatchError("invalid_input", `${this.name}: record batch cut short`);
    const len = encodedLength(this.view, this.at);
    if (len < 40 || this.at + len > this.body.length) throw new LongwatchError("invalid_input", `${this.name}: record batch cut short`);
    decodeRec(rec, this.body, this.view, this.at);
    this.encodedAt = this.at;
    this.encodedLen = len;
    this.at += len;
    this.left--;
    return true;
  }

  close(): void {}
}
