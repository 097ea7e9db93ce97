/**
 * Config-file mistakes as people read them: `sessions: unknown key ttl_hour (did you mean ttl_hours?)`. A misspelt
 * key is usually the cause of every other issue at its place (the real key then reads as missing), so unknown keys
 * are reported first; the suggestion is the known key of that mapping nearest the typo, read from the schema itself.
 */
import type { z } from "zod";
import { suggest } from "../certify/suggest.ts";

export interface ConfigIssue {
  /** Where, as the file's keys: `detection.hold_ms`, `sinks.0.url` (empty at the top). */
  key: string;
  path: readonly PropertyKey[];
  message: string;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas under wrappers (optional, default, pipe, lazy …); a union or intersection gives each of its parts. */
function unwrap(s: z.ZodType, depth = 0): z.ZodType[] {
  const d = defOf(s);
  if (depth > 32) return [];
  if (d.innerType) return unwrap(d.innerType, depth + 1);
  if (d.type === "pipe" && d.in) return unwrap(d.in, depth + 1);
  if (d.type === "lazy" && d.getter) return unwrap(d.getter(), depth + 1);
  if (d.type === "union" && d.options) return d.options.flatMap((o) => unwrap(o, depth + 1));
  if (d.type === "intersection" && d.left && d.right) return [...unwrap(d.left, depth + 1), ...unwrap(d.right, depth + 1)];
  return [s];
}

/** The schemas a value at `path` may be read with. */
function schemasAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  let at = unwrap(schema);
  for (const step of path) {
    const next: z.ZodType[] = [];
    for (const s of at) {
      const d = defOf(s);
      const child = d.type === "object" && d.shape && typeof step === "string" ? d.shape[step] : d.type === "array" ? d.element : d.type === "record" ? d.valueType : undefined;
      if (child) next.push(...unwrap(child));
    }
    at = next;
  }
  return at;
}

/** The keys the mapping at `path` knows. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const d = defOf(s);
    if (d.type === "object" && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return [...keys];
}

/** Every issue of a failed parse, unknown keys first, each unknown key named with the nearest known one. */
export function configIssues(schema: z.ZodType, error: z.ZodError): ConfigIssue[] {
  const unknown: ConfigIssue[] = [];
  const other: ConfigIssue[] = [];
  for (const i of error.issues) {
    const key = i.path.map(String).join(".");
    if (i.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, i.path);
      for (const k of i.keys) {
        const hint = suggest(k, known.filter((x) => !i.keys.includes(x)));
        unknown.push({ key, path: i.path, message: `unknown key ${k}${hint ? ` (${hint.replace(/^; /, "")})` : ""}` });
      }
    } else other.push({ key, path: i.path, message: i.message });
  }
  return [...unknown, ...other];
}

/** `prefix: key: message`, the key left out when the issue is at the top of what was parsed. */
export function issueText(prefix: string, i: ConfigIssue): string {
  return `${prefix}: ${i.key ? `${i.key}: ` : ""}${i.message}`;
}
