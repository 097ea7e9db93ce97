/**
 * Helpers for the JSON document parsers (SBOMs, advisories): JSON paths for error messages, and typed reads that
 * record an issue at the exact path instead of throwing, so one bad field never loses the rest of the document.
 */
import type { InputIssue } from "../core/input-issue.ts";

/** An issue found while parsing, before the importer adds which file it was in. */
export type ParseIssue = Omit<InputIssue, "file">;

/** `$.components[3].purl`; keys that are not plain identifiers are quoted: `$["cpe-id"]`. */
export function jsonPath(base: string, ...parts: (string | number)[]): string {
  let p = base;
  for (const part of parts) {
    if (typeof part === "number") p += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) p += `.${part}`;
    else p += `[${JSON.stringify(part)}]`;
  }
  return p;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Collects issues while reading fields of one document. */
export class IssueSink {
  readonly issues: ParseIssue[] = [];

  error(path: string, reason: string): void {
    this.issues.push({ path, reason, level: "error" });
  }

  warn(path: string, reason: string): void {
    this.issues.push({ path, reason, level: "warning" });
  }

  /** A string field: undefined when absent; an issue (and undefined) when present but not a non-empty string. */
  str(obj: Record<string, unknown>, key: string, path: string, opts: { required?: boolean; level?: "error" | "warning" } = {}): string | undefined {
    const v = obj[key];
    const at = jsonPath(path, key);
    if (v === undefined || v === null) {
      if (opts.required) this.error(at, "is missing");
      return undefined;
    }
    // Numbers are common where a version is meant (1.2 written without quotes); keep them as text.
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
    if (typeof v !== "string") {
      (opts.level === "warning" ? this.warn : this.error).call(this, at, `is a ${kindOf(v)}, not a string`);
      return undefined;
    }
    const t = v.trim();
    if (t === "") {
      if (opts.required) this.error(at, "is empty");
      return undefined;
    }
    return t;
  }

  /** An array field: [] when absent; an issue and [] when present but not an array. */
  arr(obj: Record<string, unknown>, key: string, path: string): unknown[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.error(jsonPath(path, key), `is a ${kindOf(v)}, not a list`);
      return [];
    }
    return v;
  }
}

export function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  return typeof v === "object" ? "object" : typeof v;
}

/** Parses a JSON text; a syntax error becomes a message with the line and column it is on. */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; reason: string; line: number; column: number } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    // V8's messages name the position only for some errors, so find it ourselves.
    const at = locateJsonError(body);
    // V8's own message quotes the text around the error; a file may hold anything, so it is not repeated.
    const problem = at.problem ?? "a syntax error";
    return { ok: false, reason: `is not valid JSON: ${problem}`, line: at.line, column: at.column };
  }
}

/**
 * Why a piece of JSON (an NDJSON line, an array element, a whole document) does not parse, and where in it, without
 * quoting it: V8's own message repeats the text around the error, and a line may hold a password or a private key.
 */
export function jsonProblem(text: string, o: { element?: boolean } = {}): string {
  const at = locateJsonError(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const problem = at.problem ?? "a syntax error";
  // An array element need not start a line: its position is counted from its own start.
  if (o.element) return `not valid JSON: ${problem} (${at.line === 1 ? `character ${at.column} of the record` : `line ${at.line} of the record, character ${at.column}`})`;
  return `not valid JSON at ${at.line === 1 ? "" : `line ${at.line}, `}column ${at.column}: ${problem}`;
}

/**
 * Where a JSON text first goes wrong: a small validating scanner that runs only after JSON.parse has failed. It keeps
 * its own stack of open objects and lists instead of recursing, so 10,000 nested brackets are located like one.
 */
export function locateJsonError(s: string): { offset: number; line: number; column: number; problem?: string } {
  let i = 0;
  const fail: (problem: string) => never = (problem) => {
    throw new JsonSyntaxAt(i, problem);
  };
  const ws = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r")) i++;
  };
  const string = () => {
    i++;
    for (;;) {
      const c = s[i];
      if (c === undefined) fail("the text ends inside a string");
      if (c === '"') return void i++;
      if (c === "\\") {
        const e = s[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) fail("bad \\u escape in a string");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail("bad escape in a string");
        continue;
      }
      if (c === "\u0000") fail("a NUL byte inside a string (a damaged file?)");
      if (c.charCodeAt(0) < 0x20) fail("control character inside a string (newlines must be written \\n)");
      i++;
    }
  };
  const key = () => {
    ws();
    if (s[i] !== '"') fail("expected a quoted property name");
    string();
    ws();
    if (s[i] !== ":") fail("expected ':' after a property name");
    i++;
  };
  /** Open containers, innermost last: true for an object, false for a list. */
  const open: boolean[] = [];
  let problem: string | undefined;
  try {
    for (;;) {
      // A value.
      ws();
      const c = s[i];
      if (c === undefined) fail("the text ends where a value should be");
      if (c === "{" || c === "[") {
        i++;
        ws();
        if (s[i] !== (c === "{" ? "}" : "]")) {
          open.push(c === "{");
          if (c === "{") key();
          continue;
        }
        i++;
      } else if (c === '"') string();
      else {
        const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(s.slice(i, i + 400));
        if (!lit) fail(c === "\u0000" ? "a NUL byte where a value should be (a damaged file?)" : `unexpected character ${JSON.stringify(c)}`);
        i += lit![0].length;
      }
      // After a value: close what it ends, or go on to the next element.
      let next = false;
      while (!next) {
        ws();
        if (open.length === 0) {
          if (i < s.length) fail("unexpected text after the end of the document");
          break;
        }
        const inObject = open[open.length - 1]!;
        if (s[i] === ",") {
          i++;
          if (inObject) key();
          next = true;
        } else if (s[i] === (inObject ? "}" : "]")) {
          i++;
          open.pop();
        } else if (inObject) fail(s[i] === undefined ? "the text ends inside an object" : "expected ',' or '}' after a property value");
        else fail(s[i] === undefined ? "the text ends inside a list" : "expected ',' or ']' after a list element");
      }
      if (!next) break;
    }
  } catch (e) {
    if (!(e instanceof JsonSyntaxAt)) throw e;
    problem = e.problem;
  }
  let line = 1;
  let lineStart = 0;
  for (let k = s.indexOf("\n"); k !== -1 && k < i; k = s.indexOf("\n", k + 1)) {
    line++;
    lineStart = k + 1;
  }
  const at = { offset: i, line, column: i - lineStart + 1 };
  return problem === undefined ? at : { ...at, problem };
}

class JsonSyntaxAt extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}
