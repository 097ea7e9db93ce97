/**
 * Reads a table file and validates each record against a schema: the user's columns are mapped (when a mapping is
 * given) or matched by canonical name, text cells are decoded by field type, and every rejected record becomes an
 * InputIssue with its line, column and reason. Valid records come out in batches.
 */
import type { z } from "zod";
import type { InputIssue } from "../core/input-issue.ts";
import { decodeCells, fieldKinds } from "../core/schema-kinds.ts";
import { canonicalHeader, type Mapping, MappingError } from "./mapping.ts";
import { type ReadOptions, readTable } from "./read-records.ts";

/** Columns whose values must never appear in a message. */
const SECRET_COLUMNS = new Set(["password", "password_hash"]);

export interface ValidateOptions<T = unknown> extends ReadOptions {
  mapping?: Mapping;
  onIssue(issue: InputIssue): void;
  /** An extra check on each valid record (e.g. duplicate ids); returns the issue when the record must be rejected. */
  check?(value: T, line: number): Omit<InputIssue, "file" | "line" | "level"> | undefined;
}

export interface Valid<T> {
  line: number;
  value: T;
}

export async function* validateTable<S extends z.ZodObject>(path: string, schema: S, opts: ValidateOptions<z.output<S>>): AsyncGenerator<Valid<z.output<S>>[]> {
  const kinds = fieldKinds(schema);
  const known = new Set(Object.keys(kinds));
  const warnedUnknown = new Set<string>();
  for await (const batch of readTable(path, opts)) {
    // Issues are reported in line order within each batch, read errors and validation errors alike.
    const issues: InputIssue[] = [...batch.issues];
    const report = (i: InputIssue) => issues.push(i);
    if (batch.header && opts.mapping) {
      const errors = opts.mapping.bindHeader(batch.header);
      if (errors.length) throw new MappingError(`${opts.mapping.file} does not fit ${path}: ${errors.join("; ")}`);
    }
    const out: Valid<z.output<S>>[] = [];
    for (const rec of batch.records) {
      let fields = rec.fields;
      if (opts.mapping) {
        const m = opts.mapping.apply(fields);
        if ("error" in m) {
          report({ file: path, line: rec.line, column: m.column, reason: m.error, level: "error" });
          continue;
        }
        fields = m.fields;
      } else {
        const renamed: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(fields)) {
          const c = known.has(k) ? k : canonicalHeader(k);
          if (!known.has(c) && !warnedUnknown.has(k)) {
            warnedUnknown.add(k);
            report({ file: path, line: rec.line, column: k, reason: `unknown column "${k}" is ignored (use --mapping to map it)`, level: "warning" });
          }
          renamed[c] = v;
        }
        fields = renamed;
      }
      const typed = decodeCells(fields, kinds);
      const r = schema.safeParse(typed);
      if (r.success) {
        const problem = opts.check?.(r.data, rec.line);
        if (problem) report({ ...problem, file: path, line: rec.line, level: "error" });
        else out.push({ line: rec.line, value: r.data });
        continue;
      }
      const first = r.error.issues[0]!;
      const column = first.path.length ? String(first.path[0]) : undefined;
      const issue: InputIssue = { file: path, line: rec.line, reason: describe(first, column !== undefined ? typed[column] : undefined, column), level: "error" };
      if (column !== undefined) issue.column = column;
      if (r.error.issues.length > 1) issue.reason += ` (and ${r.error.issues.length - 1} more problem${r.error.issues.length > 2 ? "s" : ""}: ${r.error.issues.slice(1, 4).map((i) => i.path.join(".") || "record").join(", ")})`;
      report(issue);
    }
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    for (const i of issues) opts.onIssue(i);
    if (out.length) yield out;
  }
}

/** A reason a person can act on: what was there and what was expected (the column is reported separately). */
function describe(issue: z.core.$ZodIssue, value: unknown, column: string | undefined): string {
  const shown = column !== undefined && SECRET_COLUMNS.has(column) ? "value" : value === undefined ? "" : JSON.stringify(value).slice(0, 60);
  if (issue.code === "invalid_type" && value === undefined) return column !== undefined ? "is required" : issue.message;
  if (issue.code === "invalid_type") return `${shown} is not a valid ${issue.expected}`;
  if (issue.code === "unrecognized_keys") return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  return shown ? `${shown} ${issue.message}` : issue.message;
}
