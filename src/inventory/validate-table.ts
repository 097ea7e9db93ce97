/**
 * Reads a table file and validates each record against a schema: the user's columns are mapped (when a mapping is
 * given) or matched by canonical name, text cells are decoded by field type, and every rejected record becomes an
 * InputIssue with its line, column and reason. Valid records come out in batches.
 */
import type { z } from "zod";
import type { CrossCheck } from "../core/fleet.ts";
import type { InputIssue } from "../core/input-issue.ts";
import { compileValidator, type RecordIssue } from "../core/record-validator.ts";
import { decodeCells, decodeValue, fieldKinds } from "../core/schema-kinds.ts";
import { canonicalHeader, type Mapping, MappingError } from "./mapping.ts";
import { type ReadOptions, readTable } from "./read-records.ts";

/** Columns whose values must never appear in a message. */
const SECRET_COLUMNS = new Set(["password", "password_hash"]);

export interface ValidateOptions extends ReadOptions {
  mapping?: Mapping;
  onIssue(issue: InputIssue): void;
  /**
   * Fields whose problems reject the whole record. When given, a problem in any other field only drops that field:
   * the record is kept without it, the problem is reported as a warning and listed in the record's `dropped`.
   */
  rejectOn?: ReadonlySet<string>;
}

/** A field left out of a record because its value was invalid. */
export interface DroppedField {
  field: string;
  reason: string;
}

export interface Valid<T> {
  line: number;
  value: T;
  dropped?: DroppedField[];
}

/**
 * `schema` holds the fields; `cross` the rules that involve several of them (as in core/fleet.ts). Records are checked
 * field by field with the schema's own validators (core/record-validator.ts), which is much faster on large files.
 */
export async function* validateTable<S extends z.ZodObject>(path: string, schema: S, cross: CrossCheck<z.output<S>> | undefined, opts: ValidateOptions): AsyncGenerator<Valid<z.output<S>>[]> {
  const kinds = fieldKinds(schema);
  const validate = compileValidator(schema, cross);
  const known = new Set(Object.keys(kinds));
  const warnedUnknown = new Set<string>();
  // A file's column names repeat on every record: work out each one's canonical name once.
  const canonical = new Map<string, string | null>();
  const required = Object.entries(schema.shape)
    .filter(([, f]) => !(f as z.ZodType).safeParse(undefined).success)
    .map(([k]) => k);
  let headerLine: number | undefined;
  for await (const batch of readTable(path, opts)) {
    // Issues are reported in line order within each batch, read errors and validation errors alike.
    const issues: InputIssue[] = [...batch.issues];
    const report = (i: InputIssue) => issues.push(i);
    if (batch.header && opts.mapping) {
      const errors = opts.mapping.bindHeader(batch.header);
      if (errors.length) throw new MappingError(`${opts.mapping.file} does not fit ${path}: ${errors.join("; ")}`);
    }
    if (batch.header) headerLine = batch.headerLine;
    if (batch.header && !opts.mapping) {
      // A header without a required column rejects every row: say so once, before anything is imported.
      const named = new Set(batch.header.map((h) => (known.has(h) ? h : canonicalHeader(h))));
      const missing = required.filter((f) => !named.has(f));
      if (missing.length) {
        const shown = batch.header.slice(0, 8).map((h) => `"${h}"`).join(", ") + (batch.header.length > 8 ? " …" : "");
        throw new MappingError(`${path}:${batch.headerLine ?? 1}: the header has no ${missing.join(", ")} column (it has ${shown || "no columns"}); if these are your own column names, give --mapping FILE to map them (docs/formats.md)`);
      }
    }
    const out: Valid<z.output<S>>[] = [];
    for (const rec of batch.records) {
      let typed: Record<string, unknown>;
      const dropped: DroppedField[] = [];
      if (opts.mapping) {
        const m = opts.mapping.apply(rec.fields);
        const fatal = m.errors.find((e) => !opts.rejectOn || opts.rejectOn.has(e.column));
        if (fatal) {
          report({ file: path, line: rec.line, column: fatal.column, reason: fatal.error, level: "error" });
          continue;
        }
        for (const e of m.errors) dropped.push({ field: e.column, reason: e.error });
        typed = decodeCells(m.fields, kinds);
      } else {
        // Rename to canonical columns and decode cells by type in one pass.
        typed = {};
        for (const k in rec.fields) {
          let c = canonical.get(k);
          if (c === undefined) {
            const name = known.has(k) ? k : canonicalHeader(k);
            c = known.has(name) ? name : null;
            canonical.set(k, c);
            if (c === null && !warnedUnknown.has(k)) {
              warnedUnknown.add(k);
              // A CSV column is named once, on the header line; a JSON field where it first appears.
              report({ file: path, line: headerLine ?? rec.line, column: k, reason: `unknown column "${k}" is ignored (use --mapping to map it)`, level: "warning" });
            }
          }
          if (c === null) continue;
          const v = decodeValue(rec.fields[k], kinds[c]);
          if (v !== undefined) typed[c] = v;
        }
      }
      let r = validate(typed);
      // A problem only in fields that don't identify the record: keep the record without them (reported below).
      if (!r.ok && opts.rejectOn) {
        const fields = new Map<string, RecordIssue>();
        for (const i of r.issues) {
          const f = i.path.length ? String(i.path[0]) : undefined;
          if (f === undefined || opts.rejectOn.has(f) || !(f in typed)) {
            fields.clear();
            break;
          }
          if (!fields.has(f)) fields.set(f, i);
        }
        if (fields.size) {
          const kept = { ...typed };
          for (const f of fields.keys()) delete kept[f];
          const again = validate(kept);
          if (again.ok) {
            for (const [f, i] of fields) dropped.push({ field: f, reason: describe(i, typed[f], f) });
            r = again;
          }
        }
      }
      if (r.ok) {
        if (dropped.length) {
          for (const d of dropped) report({ file: path, line: rec.line, column: d.field, reason: `${d.reason}; the device is kept without ${d.field}`, level: "warning", code: "field-invalid" });
          out.push({ line: rec.line, value: r.value, dropped });
        } else out.push({ line: rec.line, value: r.value });
        continue;
      }
      const first = r.issues[0]!;
      const column = first.path.length ? String(first.path[0]) : undefined;
      const issue: InputIssue = { file: path, line: rec.line, reason: describe(first, column !== undefined ? typed[column] : undefined, column), level: "error" };
      if (column !== undefined) issue.column = column;
      if (r.issues.length > 1) issue.reason += ` (and ${r.issues.length - 1} more problem${r.issues.length > 2 ? "s" : ""}: ${r.issues.slice(1, 4).map((i) => i.path.join(".") || "record").join(", ")})`;
      report(issue);
    }
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    for (const i of issues) opts.onIssue(i);
    if (out.length) yield out;
  }
}

/** A reason a person can act on: what was there and what was expected (the column is reported separately). */
function describe(issue: RecordIssue, value: unknown, column: string | undefined): string {
  const shown = column !== undefined && SECRET_COLUMNS.has(column) ? "value" : value === undefined ? "" : JSON.stringify(value).slice(0, 60);
  if (issue.code === "invalid_type" && value === undefined) return column !== undefined ? "is required" : issue.message;
  if (issue.code === "invalid_type") return `${shown} is not a valid ${issue.expected}`;
  if (issue.code === "unrecognized_keys") return `unknown field${issue.keys!.length > 1 ? "s" : ""} ${issue.keys!.join(", ")}`;
  return shown ? `${shown} ${issue.message}` : issue.message;
}
