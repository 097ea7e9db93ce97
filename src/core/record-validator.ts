/**
 * Validates records against an object schema field by field, with the schema's own field validators, and memoises
 * the result for values that repeat. Fleets repeat most values (model, firmware, country, flags, service lists), so
 * a million-row inventory validates several times faster than with a whole-object parse, with identical results
 * (a test checks equivalence with `schema.safeParse` on random input). Cross-field rules run once the fields pass.
 *
 * Memoised outputs are shared between records: treat validated records as immutable.
 */
import type { z } from "zod";
import type { CrossCheck } from "./fleet.ts";

export interface RecordIssue {
  path: PropertyKey[];
  code: string;
  message: string;
  expected?: string;
  keys?: string[];
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: RecordIssue[] };

type FieldResult = { ok: true; value: unknown } | { ok: false; issues: RecordIssue[] };

/** Values cached per field; a field whose values rarely repeat (ids, serials) stops being cached. */
const CACHE_LIMIT = 4096;
const PROBE = 2000;

class Field {
  private cache: Map<string, FieldResult> | undefined = new Map();
  private lookups = 0;
  private hits = 0;

  /** What an absent field becomes: undefined, or the schema's default. */
  readonly absent: { ok: boolean; value: unknown };

  constructor(
    readonly key: string,
    private readonly schema: z.ZodType,
  ) {
    const r = schema.safeParse(undefined);
    this.absent = { ok: r.success, value: r.success ? r.data : undefined };
  }

  check(v: unknown): FieldResult {
    const cacheKey = this.cache ? keyOf(v) : undefined;
    if (cacheKey !== undefined) {
      this.lookups++;
      const hit = this.cache!.get(cacheKey);
      if (hit) {
        this.hits++;
        return hit;
      }
    }
    const r = this.schema.safeParse(v);
    const result: FieldResult = r.success ? { ok: true, value: r.data } : { ok: false, issues: r.error.issues.map((i) => ({ ...i, path: [this.key, ...i.path] }) as RecordIssue) };
    if (cacheKey !== undefined && this.cache) {
      if (this.cache.size < CACHE_LIMIT) this.cache.set(cacheKey, result);
      if (this.lookups >= PROBE && this.hits < this.lookups / 4) this.cache = undefined;
    }
    return result;
  }
}

function keyOf(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return v.length <= 256 ? `s${v}` : undefined;
    case "boolean":
      return v ? "t" : "f";
    case "number":
      return `n${v}`;
    default:
      return Array.isArray(v) && v.length <= 16 && v.every((x) => typeof x === "string") ? `a${v.join("\u0000")}` : undefined;
  }
}

export function compileValidator<S extends z.ZodObject>(schema: S, cross?: CrossCheck<z.output<S>>): (input: Record<string, unknown>) => Validated<z.output<S>> {
  const fields = Object.entries(schema.shape).map(([key, f]) => new Field(key, f as z.ZodType));
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const catchall = (schema._zod.def as { catchall?: { _zod: { def: { type: string } } } }).catchall;
  const strict = catchall?._zod.def.type === "never";
  return (input) => {
    const out: Record<string, unknown> = {};
    let issues: RecordIssue[] | undefined;
    for (const f of fields) {
      const v = input[f.key];
      if (v === undefined) {
        if (!f.absent.ok) (issues ??= []).push({ path: [f.key], code: "invalid_type", message: "Invalid input: expected a value, received undefined" });
        else if (f.absent.value !== undefined) out[f.key] = f.absent.value;
        continue;
      }
      const r = f.check(v);
      if (r.ok) {
        if (r.value !== undefined) out[f.key] = r.value;
      } else (issues ??= []).push(...r.issues);
    }
    if (strict) {
      const unknown = Object.keys(input).filter((k) => !byKey.has(k));
      if (unknown.length) (issues ??= []).push({ path: [], code: "unrecognized_keys", keys: unknown, message: `Unrecognized key${unknown.length > 1 ? "s" : ""}: ${unknown.map((k) => `"${k}"`).join(", ")}` });
    }
    // Like zod, cross-field rules also run when other fields failed; they only see the fields that passed.
    if (cross) for (const i of cross(out as z.output<S>)) (issues ??= []).push({ path: [i.path], code: "custom", message: i.message });
    return issues ? { ok: false, issues } : { ok: true, value: out as z.output<S> };
  };
}
