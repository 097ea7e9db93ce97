/**
 * NDJSON records (one flat object per line, canonical field names or Zeek's JSON names), and Device Defender
 * reports one per line or as a whole file. Flat objects are scanned byte by byte without JSON.parse; a line with
 * escapes, nesting or anything unusual is parsed properly with JSON.parse, so the fast path never changes meaning.
 */
import { asAwsReport, awsReportRecords, type TextRecord } from "./aws-dd.ts";
import { jsonProblem } from "../../formats/json-path.ts";
import { Vocab } from "./bytes.ts";
import { LineReader } from "./chunks.ts";
import { F, FIELD_NAMES, ZEEK_ALIASES } from "./fields.ts";
import type { Rec } from "./rec.ts";
import { applyDefaults, type Defaults, deviceFallback, lineText, MAX_REJECT_TEXT, type RecordSource, type RejectSink, type TextOptions } from "./source.ts";

const KEYS = [...FIELD_NAMES, ...Object.keys(ZEEK_ALIASES)];
const KEY_FIELD = Int16Array.from(KEYS, (k, i) => (i < FIELD_NAMES.length ? i : F[ZEEK_ALIASES[k]!]));
const keys = new Vocab(KEYS);
/** 1 for keys only Zeek uses (`id.orig_h` …): a record with one is a Zeek connection, whose `ts` is its start. */
const ZEEK_ONLY = Uint8Array.from(KEYS, (k) => ((FIELD_NAMES as readonly string[]).includes(k) ? 0 : 1));
const KEY_BYTES = KEYS.map((k) => new TextEncoder().encode(k));

/** Is b[s, e) exactly the key with this number? */
function isKey(code: number, b: Uint8Array, s: number, e: number): boolean {
  const k = KEY_BYTES[code]!;
  if (k.length !== e - s) return false;
  for (let i = 0; i < k.length; i++) if (k[i] !== b[s + i]) return false;
  return true;
}
const utf8 = new TextDecoder();

export interface NdjsonOptions extends TextOptions {
  kind?: number;
  onReject: RejectSink;
  onLineReader?: (lines: LineReader) => void;
  /** Read these bytes instead of the file `name` (live ingest). */
  bytes?: Uint8Array;
  defaults?: Defaults;
  /**
   * The key-position cache (64 entries, -1 filled) to use instead of one per reader: live ingest keeps one for all
   * its payloads, which repeat their keys in the same order too. Only a hint — every key found there is checked.
   */
  keyCache?: Int16Array;
}

/** No Device Defender records waiting (shared: `pending` is replaced, never pushed to). */
const NONE: TextRecord[] = [];

export class NdjsonSource implements RecordSource {
  private readonly lines: LineReader;
  private pending: TextRecord[] = NONE;
  /** The keys of the previous line by position: records of one file repeat their keys in the same order. */
  private readonly keyAt: Int16Array;
  private pendingLine = 0;

  constructor(
    readonly name: string,
    private readonly opts: NdjsonOptions,
  ) {
    this.lines = new LineReader(opts.bytes ?? name, lineText(name, opts));
    opts.onLineReader?.(this.lines);
    this.keyAt = opts.keyCache ?? new Int16Array(64).fill(-1);
  }

  /** The device a Device Defender report without a thing name is about (only such a report needs it). */
  private get stem(): string {
    return deviceFallback(this.name, this.opts.defaults);
  }

  next(rec: Rec): boolean {
    for (;;) {
      if (this.pending.length > 0) {
        if (this.fromText(rec, this.pending.shift()!, this.pendingLine)) return true;
        continue;
      }
      const lr = this.lines;
      if (!lr.nextLine()) return false;
      const b = lr.buf;
      let s = lr.lineStart;
      const e = lr.lineEnd;
      if (lr.overlong) {
        this.reject(lr.lineNo, `line longer than ${lr.maxLine} bytes`, s, e);
        continue;
      }
      while (s < e && (b[s] === 32 || b[s] === 9 || b[s] === 0xef || b[s] === 0xbb || b[s] === 0xbf)) s++;
      if (s === e) continue;
      rec.reset(b);
      rec.line = lr.lineNo;
      if (!this.scan(rec, b, s, e) && !this.slow(rec, s, e)) continue;
      if (this.opts.defaults) applyDefaults(rec, this.opts.defaults);
      const why = rec.decode(this.opts.kind ?? -1);
      if (why === null) return true;
      this.reject(lr.lineNo, why, lr.lineStart, e);
    }
  }

  close(): void {
    this.lines.close();
  }

  /** Reads a flat object of strings, numbers, booleans and nulls; false when the line needs the full parser. */
  private scan(rec: Rec, b: Uint8Array, s: number, e: number): boolean {
    let i = s;
    if (b[i] !== 123) return false;
    i++;
    let pos = 0;
    for (;;) {
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      if (b[i] === 125) break;
      if (b[i] !== 34) return false;
      const ks = i + 1;
      let ke = ks;
      while (ke < e && b[ke] !== 34) {
        if (b[ke] === 92) return false;
        ke++;
      }
      if (ke >= e) return false;
      let key = pos < 64 ? this.keyAt[pos]! : -1;
      if (key < 0 || !isKey(key, b, ks, ke)) {
        key = keys.lookup(b, ks, ke);
        if (pos < 64) this.keyAt[pos] = key;
      }
      pos++;
      i = ke + 1;
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      if (b[i] !== 58) return false;
      i++;
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      const c = b[i];
      let vs = i;
      let ve: number;
      if (c === 34) {
        vs = i + 1;
        ve = vs;
        while (ve < e && b[ve] !== 34) {
          if (b[ve] === 92) return false;
          ve++;
        }
        if (ve >= e) return false;
        i = ve + 1;
      } else if (c === 123 || c === 91 || c === undefined) {
        return false;
      } else {
        ve = i;
        while (ve < e && b[ve] !== 44 && b[ve] !== 125 && b[ve] !== 32 && b[ve] !== 9) ve++;
        i = ve;
        const n = ve - vs;
        // Literals: null means absent; booleans are not values of any record field.
        if ((n === 4 && c === 110) || (n === 4 && c === 116) || (n === 5 && c === 102)) vs = ve;
      }
      if (key >= 0) {
        if (ve > vs) rec.set(KEY_FIELD[key]!, vs, ve);
        if (ZEEK_ONLY[key] === 1) rec.zeekTime = true;
      }
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      if (b[i] === 44) {
        i++;
        continue;
      }
      if (b[i] === 125) break;
      return false;
    }
    i++;
    while (i < e && (b[i] === 32 || b[i] === 9)) i++;
    return i === e;
  }

  /** The full parser: escapes, nesting, Device Defender reports. False when the line was rejected. */
  private slow(rec: Rec, s: number, e: number): boolean {
    const lr = this.lines;
    let value: unknown;
    const text = utf8.decode(lr.buf.subarray(s, e));
    try {
      value = JSON.parse(text);
    } catch {
      this.reject(lr.lineNo, jsonProblem(text), s, e);
      return false;
    }
    const aws = asAwsReport(value);
    if (aws) {
      try {
        this.pending = awsReportRecords(aws.report, aws.wrapper, this.stem);
        this.pendingLine = lr.lineNo;
      } catch (err) {
        this.reject(lr.lineNo, (err as Error).message, s, e);
      }
      return false;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.reject(lr.lineNo, "not a JSON object", s, e);
      return false;
    }
    rec.reset(lr.buf);
    rec.line = lr.lineNo;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = KEYS.indexOf(k);
      if (key >= 0 && ZEEK_ONLY[key] === 1) rec.zeekTime = true;
      if (key < 0 || v === null || v === undefined || typeof v === "boolean") continue;
      if (typeof v === "object") {
        this.reject(lr.lineNo, `${k}: is an object or array, expected text or a number`, s, e);
        return false;
      }
      rec.setText(KEY_FIELD[key]!, String(v));
    }
    return true;
  }

  private fromText(rec: Rec, r: TextRecord, line: number): boolean {
    rec.reset(this.lines.buf);
    rec.line = line;
    for (const [k, v] of Object.entries(r)) rec.setText(F[k as keyof typeof F], v);
    if (this.opts.defaults) applyDefaults(rec, this.opts.defaults);
    const why = rec.decode(-1);
    if (why === null) return true;
    this.opts.onReject(line, why, JSON.stringify(r).slice(0, MAX_REJECT_TEXT));
    return false;
  }

  private reject(line: number, reason: string, s: number, e: number): void {
    this.opts.onReject(line, reason, utf8.decode(this.lines.buf.subarray(s, Math.min(e, s + MAX_REJECT_TEXT))));
  }
}
