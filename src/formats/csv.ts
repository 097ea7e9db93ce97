/**
 * An incremental RFC 4180 CSV parser: feed it text chunks of any size, get complete records back with the line they
 * started on. Handles a UTF-8 BOM, CRLF and LF, quoted fields with delimiters, quotes ("") and newlines, and blank lines.
 *
 * Bad input never throws: a record that can't be read comes back as `{ line, error }` and parsing goes on. Memory stays
 * bounded: a quoted field left open for more than `maxRecordChars` is reported and parsing resumes on the next line.
 */

export type CsvRecord = { line: number; cells: string[] } | { line: number; error: string };

export interface CsvOptions {
  /** Field delimiter; detected from the first line when left out. */
  delimiter?: string;
  maxRecordChars?: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvParser {
  private buf = "";
  private line = 1;
  private started = false;
  private delim: number;
  private readonly maxRecordChars: number;

  constructor(opts: CsvOptions = {}) {
    this.delim = opts.delimiter ? opts.delimiter.charCodeAt(0) : -1;
    this.maxRecordChars = opts.maxRecordChars ?? 4 * 1024 * 1024;
  }

  get delimiter(): string {
    return this.delim < 0 ? "," : String.fromCharCode(this.delim);
  }

  /** Adds a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    if (!this.started) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      if (chunk === "") return [];
      this.started = true;
    }
    this.buf = this.buf === "" ? chunk : this.buf + chunk;
    if (this.delim < 0) {
      const nl = this.buf.indexOf("\n");
      if (nl < 0 && this.buf.length < 65536) return [];
      this.delim = sniffDelimiter(nl < 0 ? this.buf : this.buf.slice(0, nl)).charCodeAt(0);
    }
    return this.parse(false);
  }

  /** Call at end of input; returns the last records. */
  end(): CsvRecord[] {
    if (this.delim < 0) this.delim = sniffDelimiter(this.buf).charCodeAt(0);
    return this.parse(true);
  }

  private parse(final: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    const s = this.buf;
    const n = s.length;
    const d = this.delim;
    let pos = 0;
    while (pos < n) {
      const startLine = this.line;
      const cells: string[] = [];
      let p = pos;
      let newlines = 0;
      let error: string | undefined;
      let complete = false;
      for (;;) {
        if (p < n && s.charCodeAt(p) === QUOTE) {
          // Quoted field: runs to the next quote that is not doubled.
          let value = "";
          let from = p + 1;
          let closed = -1;
          for (;;) {
            const q = s.indexOf('"', from);
            if (q < 0) break;
            if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
              value += s.slice(from, q + 1);
              from = q + 2;
              continue;
            }
            if (q + 1 === n && !final) break; // the next chunk may start with the second quote of ""
            value += s.slice(from, q);
            closed = q;
            break;
          }
          if (closed < 0) {
            if (!final && n - pos <= this.maxRecordChars) break;
            // Unterminated: report this record and resume on the line after its start.
            const nl = s.indexOf("\n", pos);
            out.push({ line: startLine, error: final && n - pos <= this.maxRecordChars ? "quoted field is never closed" : `quoted field not closed within ${this.maxRecordChars} characters` });
            this.line += 1;
            pos = nl < 0 ? n : nl + 1;
            cells.length = 0;
            complete = false;
            error = "skip";
            break;
          }
          newlines += countNewlines(value);
          cells.push(value);
          p = closed + 1;
          if (p >= n) {
            if (!final) break;
            complete = true;
            break;
          }
          const c = s.charCodeAt(p);
          if (c === d) {
            p++;
            continue;
          }
          if (c === LF || c === CR) {
            const end = endOfLine(s, p, final);
            if (end < 0) break;
            p = end;
            complete = true;
            break;
          }
          // Text after a closing quote: keep reading the rest of the field so the record stays aligned.
          error ??= `unexpected text after a closing quote in field ${cells.length}`;
          let e = p;
          while (e < n && s.charCodeAt(e) !== d && s.charCodeAt(e) !== LF && s.charCodeAt(e) !== CR) e++;
          if (e >= n && !final) break;
          p = e;
          if (p < n && s.charCodeAt(p) === d) {
            p++;
            continue;
          }
          if (p >= n) {
            complete = true;
            break;
          }
          const end = endOfLine(s, p, final);
          if (end < 0) break;
          p = end;
          complete = true;
          break;
        }
        // Unquoted field: up to the next delimiter or line end.
        let e = p;
        while (e < n) {
          const c = s.charCodeAt(e);
          if (c === d || c === LF || c === CR) break;
          e++;
        }
        if (e >= n && !final) break;
        cells.push(s.slice(p, e));
        if (e >= n) {
          p = n;
          complete = true;
          break;
        }
        if (s.charCodeAt(e) === d) {
          p = e + 1;
          continue;
        }
        const end = endOfLine(s, e, final);
        if (end < 0) break;
        p = end;
        complete = true;
        break;
      }
      if (error === "skip") continue;
      if (!complete) break;
      pos = p;
      this.line = startLine + 1 + newlines;
      if (error !== undefined) out.push({ line: startLine, error });
      else if (!(cells.length === 1 && cells[0] === "")) out.push({ line: startLine, cells });
    }
    this.buf = pos >= n ? "" : s.slice(pos);
    return out;
  }
}

/** Index just past the line break at `p` (CRLF, LF or a lone CR); -1 when a CR ends the buffer and more may follow. */
function endOfLine(s: string, p: number, final: boolean): number {
  if (s.charCodeAt(p) === CR) {
    if (p + 1 >= s.length) return final ? p + 1 : -1;
    return s.charCodeAt(p + 1) === LF ? p + 2 : p + 1;
  }
  return p + 1;
}

function countNewlines(v: string): number {
  let k = 0;
  for (let i = v.indexOf("\n"); i >= 0; i = v.indexOf("\n", i + 1)) k++;
  return k;
}

/** Picks the delimiter that occurs most often outside quotes in the header line: `,` `;` tab or `|`. */
export function sniffDelimiter(headerLine: string): string {
  const counts = new Map<string, number>([[",", 0], [";", 0], ["\t", 0], ["|", 0]]);
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ",";
  for (const [ch, k] of counts) if (k > counts.get(best)!) best = ch;
  return best;
}

/**
 * Writes one CSV field, quoting only when needed. A cell a spreadsheet would read as a formula (OWASP's rule: it
 * starts with `=`, `+`, `-`, `@`, a tab or a CR) gets a leading `'` and quotes, so opening an export never runs what a
 * device name, a record or an advisory put there; a plain number (`-3`, `+1.5`) is left as it is, since a spreadsheet
 * reads it as the number it is.
 */
export function csvField(v: unknown): string {
  const s = rawCell(v);
  if (FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return quoteIfNeeded(s);
}

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function rawCell(v: unknown): string {
  return v === undefined || v === null ? "" : typeof v === "string" ? v : Array.isArray(v) ? v.join(";") : typeof v === "object" ? JSON.stringify(v) : String(v);
}

function quoteIfNeeded(s: string): string {
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A line of an export someone may open in a spreadsheet: formula cells neutralised (csvField). */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(",");
}

/**
 * A line of an input file Longwatch writes for itself to read back (the demo fleet, simulated records): values kept
 * exactly, since a leading `'` would change a password or a hash.
 */
export function csvDataLine(values: readonly unknown[]): string {
  return values.map((v) => quoteIfNeeded(rawCell(v))).join(",");
}
