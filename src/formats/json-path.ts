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
  } catch (e) {
    // V8's messages name the position only for some errors, so find it ourselves.
    const at = locateJsonError(body);
    const problem = at.problem ?? (e instanceof Error ? e.message : String(e)).slice(0, 120);
    return { ok: false, reason: `is not valid JSON: ${problem}`, line: at.line, column: at.column };
  }
}

/** Where a JSON text first goes wrong: a small validating scanner that runs only after JSON.parse has failed. */
export function locateJsonError(s: string): { offset: number; line: number; column: number; problem?: string } {
  let i = 0;
  const fail: (problem: string) => never = (problem) => {
    throw new JsonSyntaxAt(i, problem);
  };
  const ws = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r")) i++;
  };
  const value = (depth: number): void => {
    if (depth > 10000) fail("nesting is too deep");
    ws();
    const c = s[i];
    if (c === undefined) fail("the text ends where a value should be");
    if (c === "{") {
      i++;
      ws();
      if (s[i] === "}") return void i++;
      for (;;) {
        ws();
        if (s[i] !== '"') fail("expected a quoted property name");
        string();
        ws();
        if (s[i] !== ":") fail("expected ':' after a property name");
        i++;
        value(depth + 1);
        ws();
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === "}") return void i++;
        fail(s[i] === undefined ? "the text ends inside an object" : "expected ',' or '}' after a property value");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (s[i] === "]") return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === "]") return void i++;
        fail(s[i] === undefined ? "the text ends inside a list" : "expected ',' or ']' after a list element");
      }
    }
    if (c === '"') return string();
    const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(s.slice(i, i + 400));
    if (!lit) fail(`unexpected character ${JSON.stringify(c)}`);
    i += lit![0].length;
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
      if (c.charCodeAt(0) < 0x20) fail("control character inside a string (newlines must be written \\n)");
      i++;
    }
  };
  let problem: string | undefined;
  try {
    value(0);
    ws();
    if (i < s.length) fail("unexpected text after the end of the document");
  } catch (e) {
    if (!(e instanceof JsonSyntaxAt)) throw e;
    problem = e.problem;
  }
  const before = s.slice(0, i);
  const line = before.split("\n").length;
  const at = { offset: i, line, column: i - before.lastIndexOf("\n") };
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
