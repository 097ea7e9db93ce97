/**
 * Incremental readers for JSON records: NDJSON (one value per line) and a top-level JSON array of objects (or an
 * object holding such an array, e.g. `{"devices": [...]}`) read element by element so a file of any size streams.
 * Each element comes back with the line it started on; a bad element is reported and the rest goes on.
 */
import { jsonProblem } from "./json-path.ts";

export type JsonRecord = { line: number; value: unknown } | { line: number; error: string };

export class NdjsonParser {
  private buf = "";
  private line = 1;
  private started = false;

  push(chunk: string): JsonRecord[] {
    if (!this.started) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      this.started = chunk !== "";
    }
    this.buf += chunk;
    const out: JsonRecord[] = [];
    let from = 0;
    for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n", from)) {
      this.take(this.buf.slice(from, nl), out);
      from = nl + 1;
    }
    this.buf = this.buf.slice(from);
    return out;
  }

  end(): JsonRecord[] {
    const out: JsonRecord[] = [];
    if (this.buf !== "") this.take(this.buf, out);
    this.buf = "";
    return out;
  }

  private take(text: string, out: JsonRecord[]): void {
    const line = this.line++;
    const t = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (t.trim() === "") return;
    try {
      out.push({ line, value: JSON.parse(t) });
    } catch {
      out.push({ line, error: jsonProblem(t) });
    }
  }
}

/**
 * Splits `[ {...}, {...} ]` (optionally wrapped as `{"key": [ ... ]}`) into elements without holding the whole
 * document. It tracks strings and nesting depth, so braces inside strings don't confuse it.
 */
export class JsonArrayParser {
  private buf = "";
  private line = 1;
  /** Lines consumed before `buf` starts. */
  private state: "before" | "inside" | "after" = "before";
  private depth = 0;
  private inString = false;
  private escaped = false;
  private elemStart = -1;
  private elemLine = 0;
  private scan = 0;
  private wrapperDepth = 0;

  push(chunk: string): JsonRecord[] {
    if (this.buf === "" && this.line === 1 && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    this.buf += chunk;
    return this.run(false);
  }

  end(): JsonRecord[] {
    const out = this.run(true);
    if (this.state === "before") out.push({ line: this.line, error: "expected a JSON array of records (or an object holding one)" });
    else if (this.state === "inside") out.push({ line: this.elemStart >= 0 ? this.elemLine : this.line, error: "the JSON array is not closed (file truncated?)" });
    return out;
  }

  private run(_final: boolean): JsonRecord[] {
    const out: JsonRecord[] = [];
    const s = this.buf;
    let i = this.scan;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (this.state === "before") {
        // Find the first array: either the top level or the first array value inside a wrapping object.
        if (c === 91) {
          this.state = "inside";
          this.depth = 0;
        } else if (c === 123) this.wrapperDepth++;
        else if (c === 34) this.inString = true;
        continue;
      }
      if (this.state === "after") continue;
      if (c === 34) {
        if (this.elemStart < 0) this.startElem(i);
        this.inString = true;
      } else if (c === 123 || c === 91) {
        if (this.elemStart < 0) this.startElem(i);
        this.depth++;
      } else if (c === 125 || c === 93) {
        if (this.depth === 0 && c === 93) {
          if (this.elemStart >= 0) this.emit(s.slice(this.elemStart, i), out);
          this.state = "after";
          continue;
        }
        this.depth--;
      } else if (c === 44 && this.depth === 0) {
        if (this.elemStart >= 0) this.emit(s.slice(this.elemStart, i), out);
        else out.push({ line: this.line, error: "empty element in the JSON array" });
      } else if (this.elemStart < 0 && c !== 32 && c !== 9 && c !== 10 && c !== 13) {
        this.startElem(i);
      }
    }
    // Keep only the unfinished element; remember where scanning stopped.
    if (this.elemStart >= 0) {
      this.buf = s.slice(this.elemStart);
      this.scan = i - this.elemStart;
      this.elemStart = 0;
    } else {
      this.buf = "";
      this.scan = 0;
    }
    return out;
  }

  private startElem(i: number): void {
    this.elemStart = i;
    this.elemLine = this.line;
  }

  private emit(text: string, out: JsonRecord[]): void {
    const line = this.elemLine;
    this.elemStart = -1;
    try {
      out.push({ line, value: JSON.parse(text) });
    } catch {
      out.push({ line, error: jsonProblem(text, { element: true }) });
    }
  }
}
