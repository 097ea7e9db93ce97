/**
 * Delimited text records: CSV in the canonical columns (or through a column mapping) and Zeek's TSV logs. The fast
 * path splits each line on the delimiter byte by byte and hands cell ranges to the Rec; a line with a quote in it
 * goes through the general RFC 4180 parser instead (quoted delimiters and line breaks), so both are correct and the
 * common unquoted line costs no string at all.
 */
import { CsvParser, sniffDelimiter } from "../../formats/csv.ts";
import { LineReader } from "./chunks.ts";
import { mix32, parseTs } from "./bytes.ts";
import { F, FIELD_MAX_LEN, FIELD_NAMES, FIELD_TYPE_CODES, KIND, T, ZEEK_ALIASES } from "./fields.ts";
import { inferKind } from "./kind.ts";
import { type ColumnMapping, headerFields } from "./mapping.ts";
import { fieldMax, identifierNumber, MAX_TS, type Rec, wordOf } from "./rec.ts";
import { applyDefaults, type Defaults, lineText, MAX_REJECT_TEXT, type RecordSource, type RejectSink, type TextOptions } from "./source.ts";

export interface DelimitedOptions extends TextOptions {
  /** Read Zeek's `#fields` header, `-` and `(empty)` as unset, and tolerate extra trailing columns. */
  zeek?: boolean;
  mapping?: ColumnMapping;
  /** Kind of every record when the file has no kind column (overrides inference). */
  kind?: number;
  onReject: RejectSink;
  onLineReader?: (lines: LineReader) => void;
  /** Read these bytes instead of the file `name` (live ingest). */
  bytes?: Uint8Array;
  defaults?: Defaults;
}

const QUOTE = 34;
const MAX_QUOTED_LINES = 32;
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

export class DelimitedSource implements RecordSource {
  private readonly lines: LineReader;
  private delim = -1;
  /** Field number fed by each column, -1 for columns that are not used. */
  private colField = new Int16Array(0);
  /** Decoding type (fields.ts `T`) of each column's field, -1 for columns that are not used. */
  private colType = new Int8Array(0);
  private valueMaps: (Map<string, string> | undefined)[] = [];
  private scale: [number, number][] = [];
  private tsMs = false;
  private defaultKind = -1;
  private haveHeader = false;
  /** No Zeek unset markers and no value mappings: cells go straight to the record. */
  private plain = false;
  /** Set when the header cannot describe records (no ts column): every row is rejected with this reason. */
  private headerProblem: string | undefined;

  constructor(
    readonly name: string,
    private readonly opts: DelimitedOptions,
  ) {
    this.lines = new LineReader(opts.bytes ?? name, lineText(name, opts));
    opts.onLineReader?.(this.lines);
    if (opts.zeek) this.delim = 9;
    else if (opts.mapping?.delimiter) this.delim = opts.mapping.delimiter.charCodeAt(0);
    this.tsMs = opts.mapping?.ts_unit === "ms";
    this.scale = Object.entries(opts.mapping?.scale ?? {}).map(([f, k]) => [F[f as keyof typeof F], k]);
  }

  next(rec: Rec): boolean {
    const lr = this.lines;
    while (lr.nextLine()) {
      const b = lr.buf;
      const s = lr.lineStart;
      const e = lr.lineEnd;
      if (lr.overlong) {
        this.reject(lr.lineNo, `line longer than ${lr.maxLine} bytes`, s, e);
        continue;
      }
      if (s === e) continue;
      if (this.opts.zeek && b[s] === 35) {
        this.directive(latin1.decode(b.subarray(s, e)));
        continue;
      }
      if (!this.haveHeader) {
        if (this.opts.zeek) {
          this.reject(lr.lineNo, "Zeek log line before its #fields header", s, e);
          continue;
        }
        this.csvHeader(lr);
        continue;
      }
      const line = lr.lineNo;
      if (this.headerProblem !== undefined) {
        this.reject(line, this.headerProblem, s, e);
        continue;
      }
      rec.reset(b);
      rec.line = line;
      rec.zeekTime = this.opts.zeek === true;
      const cols = this.split(rec, b, s, e);
      if (cols < 0) {
        if (!this.slowLine(rec)) continue;
      } else if (cols > this.colField.length && !this.opts.zeek) {
        this.reject(line, `has ${cols} cells, the header has ${this.colField.length}`, s, e);
        continue;
      }
      if (this.opts.defaults) applyDefaults(rec, this.opts.defaults);
      const why = rec.decode(this.defaultKind);
      if (why !== null) {
        this.reject(line, why, lr.lineStart, lr.lineEnd);
        continue;
      }
      this.adjust(rec);
      return true;
    }
    return false;
  }

  close(): void {
    this.lines.close();
  }

  /** Splits an unquoted line into cells; returns the number of cells, or -1 when the line has a quote. */
  private split(rec: Rec, b: Uint8Array, s: number, e: number): number {
    if (this.plain) return this.splitPlain(rec, b, s, e);
    const d = this.delim;
    const zeek = this.opts.zeek === true;
    const colField = this.colField;
    const n = colField.length;
    let col = 0;
    let cs = s;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === d) {
        if (col < n) this.cell(rec, colField[col]!, b, cs, i, col, zeek);
        col++;
        cs = i + 1;
      } else if (c === QUOTE && !zeek) return -1;
    }
    if (col < n) this.cell(rec, colField[col]!, b, cs, e, col, zeek);
    return col + 1;
  }

  /**
   * The common case — canonical CSV, no value mappings, no quote on the line — in one pass that finds each cell and
   * decodes the numbers, IPv4 addresses and timestamps among them on the way. A cell that is not in the plain shape
   * (a sign, an exponent, too many digits, a value out of bounds, IPv6 …) is only marked, and `Rec.decode` reads it —
   * and rejects it — as usual, so this path never accepts or reads a value differently (a fuzz test compares them).
   * The loops repeat the plain cases of bytes.ts `parseNum`, `parseIPv4` and `hashBytes` on purpose: scanning each
   * cell once and then calling those was measured 23 % slower for the whole reader.
   */
  private splitPlain(rec: Rec, b: Uint8Array, s: number, e: number): number {
    if (!this.lines.quoteFree()) return -1;
    const d = this.delim;
    const colField = this.colField;
    const colType = this.colType;
    const n = colField.length;
    let col = 0;
    let i = s;
    for (;;) {
      const cs = i;
      const f = col < n ? colField[col]! : -1;
      const t = f >= 0 ? colType[col]! : -1;
      if (t === T.int || t === T.num) {
        let v = 0;
        let digits = 0;
        let scale = 1;
        for (; i < e; i++) {
          const c = b[i]! - 48;
          if (c < 0 || c > 9) break;
          v = v * 10 + c;
          digits++;
        }
        if (t === T.num && i < e && b[i] === 46) {
          for (i++; i < e; i++) {
            const c = b[i]! - 48;
            if (c < 0 || c > 9) break;
            v = v * 10 + c;
            scale *= 10;
            digits++;
          }
        }
        if ((i === e || b[i] === d) && digits > 0 && digits <= 15 && v / scale <= fieldMax(f)) rec.setDecoded(f, cs, i, v / scale, 0);
        else i = this.plainCell(rec, f, b, cs, i, e);
      } else if (t === T.ip) {
        let v = 0;
        let part = 0;
        let digits = 0;
        let dots = 0;
        for (; i < e; i++) {
          const c = b[i]!;
          if (c === 46) {
            if (digits === 0 || dots === 3 || part > 255) break;
            v = v * 256 + part;
            part = 0;
            digits = 0;
            dots++;
          } else {
            const x = c - 48;
            if (x < 0 || x > 9 || digits === 3 || (digits === 1 && part === 0)) break;
            part = part * 10 + x;
            digits++;
          }
        }
        if ((i === e || b[i] === d) && dots === 3 && digits > 0 && part <= 255) {
          const ip = v * 256 + part;
          rec.setDecoded(f, cs, i, ip, mix32(ip) | 1);
        } else i = this.plainCell(rec, f, b, cs, i, e);
      } else if (t === T.text || t === T.enum) {
        let h = 0x811c9dc5; // FNV-1a as hashBytes computes it
        for (; i < e; i++) {
          const c = b[i]!;
          if (c === d) break;
          h = Math.imul(h ^ c, 0x01000193);
        }
        if (h === 0) h = 1;
        if (i > cs) {
          const code = t === T.enum ? wordOf(f, b, cs, i, h) : 0;
          if (code < 0 || i - cs > FIELD_MAX_LEN[f]!) rec.set(f, cs, i);
          else if (t === T.enum) rec.setWord(f, cs, i, code);
          else rec.setDecoded(f, cs, i, NaN, h);
        }
      } else {
        while (i < e && b[i] !== d) i++;
        if (f >= 0 && i > cs) {
          if (t === T.ts) {
            const v = parseTs(b, cs, i);
            if (v <= MAX_TS) rec.setTs(f, cs, i, v);
            else rec.set(f, cs, i);
          } else {
            const v = t === T.id ? identifierNumber(f, b, cs, i) : NaN;
            if (v === -1 || i - cs > FIELD_MAX_LEN[f]!) rec.set(f, cs, i);
            else rec.setDecoded(f, cs, i, v, 0); // raw text and identifiers: checked, not hashed
          }
        }
      }
      col++;
      if (i >= e) return col;
      i++; // past the delimiter
    }
  }

  /** Leaves a cell the fast path could not decode to `Rec.decode`: finds its end from `i` and marks it. */
  private plainCell(rec: Rec, f: number, b: Uint8Array, cs: number, i: number, e: number): number {
    const d = this.delim;
    while (i < e && b[i] !== d) i++;
    if (i > cs) rec.set(f, cs, i);
    return i;
  }

  private cell(rec: Rec, f: number, b: Uint8Array, s: number, e: number, col: number, zeek: boolean): void {
    if (f < 0 || s === e) return;
    if (zeek && ((e - s === 1 && b[s] === 45) || (e - s === 7 && b[s] === 40 && b[s + 1] === 101))) return;
    const map = this.valueMaps[col];
    if (map === undefined) rec.set(f, s, e);
    else {
      const t = utf8.decode(b.subarray(s, e));
      rec.setText(f, map.get(t.trim()) ?? t);
    }
  }

  /** A line with quotes: take more lines while a quoted field is open, then parse it with the RFC 4180 parser. */
  private slowLine(rec: Rec): boolean {
    const lr = this.lines;
    const first = lr.lineNo;
    const afterFirst = lr.mark();
    const firstEnd = lr.lineEnd;
    let text = latin1.decode(lr.buf.subarray(lr.lineStart, lr.lineEnd));
    let extra = 0;
    while (countQuotes(text) % 2 === 1) {
      // A quoted field may hold line breaks, but a stray quote must not swallow the rest of the file: past
      // MAX_QUOTED_LINES the first line alone is rejected and reading resumes on the line after it.
      if (extra === MAX_QUOTED_LINES || !lr.extendLine()) {
        lr.rewind(afterFirst);
        this.reject(first, `a quoted field is not closed on this line (nor within ${MAX_QUOTED_LINES} more)`, lr.lineStart, firstEnd);
        return false;
      }
      extra++;
      text = new TextDecoder().decode(lr.buf.subarray(lr.lineStart, lr.lineEnd));
    }
    // Non-ASCII bytes were read as latin1 above; read them again as UTF-8 for the cells.
    if (lr.buf.subarray(lr.lineStart, lr.lineEnd).some((b) => b > 0x7f)) text = new TextDecoder().decode(lr.buf.subarray(lr.lineStart, lr.lineEnd));
    const parser = new CsvParser({ delimiter: String.fromCharCode(this.delim) });
    const out = [...parser.push(text), ...parser.end()];
    const row = out[0];
    if (out.length !== 1 || row === undefined || "error" in row) {
      this.reject(first, row && "error" in row ? row.error : "could not be read as one CSV record", lr.lineStart, lr.lineEnd);
      return false;
    }
    if (row.cells.length > this.colField.length) {
      this.reject(first, `has ${row.cells.length} cells, the header has ${this.colField.length}`, lr.lineStart, lr.lineEnd);
      return false;
    }
    rec.reset(lr.buf);
    rec.line = first;
    row.cells.forEach((v, col) => {
      const f = this.colField[col]!;
      if (f < 0 || v === "") return;
      rec.setText(f, this.valueMaps[col]?.get(v.trim()) ?? v);
    });
    return true;
  }

  private adjust(rec: Rec): void {
    if (this.tsMs) rec.ts = rec.began = Math.round(rec.ts / 1000);
    for (const [f, k] of this.scale) if (rec.num[f] === rec.num[f]) rec.num[f]! *= k;
  }

  private csvHeader(lr: LineReader): void {
    const text = new TextDecoder().decode(lr.buf.subarray(lr.lineStart, lr.lineEnd)).replace(/^\uFEFF/, "");
    if (this.delim < 0) this.delim = sniffDelimiter(text).charCodeAt(0);
    const p = new CsvParser({ delimiter: String.fromCharCode(this.delim) });
    const row = [...p.push(text), ...p.end()][0];
    this.setColumns(row && "cells" in row ? row.cells : []);
  }

  private directive(line: string): void {
    const [name, ...rest] = line.split(this.delim === 9 && !line.startsWith("#separator") ? "\t" : " ");
    if (name === "#separator") {
      const sep = (rest[0] ?? "\\x09").replace(/\\x([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      this.delim = sep.charCodeAt(0);
    } else if (name === "#fields") this.setColumns(rest);
  }

  private setColumns(header: string[]): void {
    const fields = headerFields(header, this.opts.mapping, this.opts.zeek ? ZEEK_ALIASES : {});
    this.colField = Int16Array.from(fields, (f) => (f === undefined ? -1 : F[f]));
    this.colType = Int8Array.from(this.colField, (f) => (f < 0 ? -1 : FIELD_TYPE_CODES[f]!));
    const values = this.opts.mapping?.values ?? {};
    this.valueMaps = fields.map((f) => {
      const m = f === undefined ? undefined : values[f];
      return m ? new Map(Object.entries(m).map(([k, v]) => [k.trim(), v])) : undefined;
    });
    this.plain = !this.opts.zeek && this.valueMaps.every((m) => m === undefined);
    if (!fields.includes("ts")) this.headerProblem = `the header has no ts column, so its rows are not records (an inventory or other table given as a record file?)${this.opts.mapping ? "" : "; map its columns with --mapping"}`;
    const present = new Set<number>(fields.filter((f) => f !== undefined).map((f) => F[f]));
    const mappedKind = this.opts.mapping?.kind;
    this.defaultKind = this.opts.kind ?? (mappedKind ? KIND[mappedKind] : this.opts.zeek ? KIND.flow : inferKind(present));
    this.haveHeader = true;
  }

  private reject(line: number, reason: string, s: number, e: number): void {
    this.opts.onReject(line, reason, latin1.decode(this.lines.buf.subarray(s, Math.min(e, s + MAX_REJECT_TEXT))));
  }

  /** Canonical fields this file's header feeds (for tests and the run summary). */
  columns(): string[] {
    return [...this.colField].filter((f) => f >= 0).map((f) => FIELD_NAMES[f]!);
  }
}

function countQuotes(t: string): number {
  let k = 0;
  for (let i = t.indexOf('"'); i >= 0; i = t.indexOf('"', i + 1)) k++;
  return k;
}
