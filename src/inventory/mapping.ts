/**
 * Column mappings: how a user's own export (a spreadsheet, a device-management platform, a connectivity portal) maps
 * onto Longwatch's columns. A mapping file is YAML:
 *
 *   columns:            # our column: their column (or a list: the first one present wins)
 *     device_id: Asset Tag
 *     imei: [IMEI, IMEI Number]
 *   values:             # per column: their value -> ours (matched exactly, then ignoring case and spaces)
 *     sim_imei_lock: { Locked: true, Unlocked: false }
 *   defaults:           # used when the cell is empty or the column absent
 *     country: GB
 *   list_separators:    # their separator inside list cells (ours is ;)
 *     groups: ","
 *   date_formats:       # their date layout: YYYY, YY, MM, M, DD, D, HH, mm, ss
 *     deployed_at: DD/MM/YYYY
 *   passthrough: true   # their columns already named like ours are kept (default true)
 */
import { readFileSync } from "node:fs";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { z } from "zod";
import { decodeValue, fieldKinds } from "../core/schema-kinds.ts";

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const MappingSpecSchema = z
  .object({
    columns: z.record(z.string(), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).default({}),
    values: z.record(z.string(), z.record(z.string(), scalar)).default({}),
    defaults: z.record(z.string(), scalar).default({}),
    list_separators: z.record(z.string(), z.string().min(1)).default({}),
    date_formats: z.record(z.string(), z.string().regex(/(YYYY|YY)/, "needs a year (YYYY or YY)")).default({}),
    passthrough: z.boolean().default(true),
  })
  .strict();
export type MappingSpec = z.infer<typeof MappingSpecSchema>;

export class MappingError extends Error {}

/** Normalises a header name the way canonical files are matched: `Device ID` → `device_id`. */
export function canonicalHeader(h: string): string {
  return h.trim().toLowerCase().replace(/[\s-]+/g, "_");
}

export class Mapping {
  private readonly sources: Map<string, string[]>;
  private readonly valueMaps: Map<string, Map<string, unknown>>;
  private readonly dateParsers: Map<string, (s: string) => string | undefined>;
  private resolved: Map<string, string> | undefined;

  constructor(readonly spec: MappingSpec, readonly file: string, readonly targets: readonly string[]) {
    const known = new Set(targets);
    const bad: string[] = [];
    for (const section of ["columns", "values", "defaults", "list_separators", "date_formats"] as const) {
      for (const key of Object.keys(spec[section])) if (!known.has(key)) bad.push(`${section}.${key}: not a Longwatch column`);
    }
    if (bad.length) throw new MappingError(`${file}: ${bad.join("; ")} (columns: ${targets.join(", ")})`);
    this.sources = new Map(Object.entries(spec.columns).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    this.valueMaps = new Map(
      Object.entries(spec.values).map(([k, m]) => {
        const map = new Map<string, unknown>();
        for (const [from, to] of Object.entries(m)) map.set(from, to);
        for (const [from, to] of Object.entries(m)) if (!map.has(loose(from))) map.set(loose(from), to);
        return [k, map];
      }),
    );
    this.dateParsers = new Map(Object.entries(spec.date_formats).map(([k, f]) => [k, dateParser(f)]));
  }

  /** Checks the file's header against the mapping: a mapped column that is nowhere in the header is an error. */
  bindHeader(header: readonly string[]): string[] {
    const errors: string[] = [];
    const present = new Map<string, string>();
    for (const h of header) {
      present.set(h, h);
      if (!present.has(h.trim().toLowerCase())) present.set(h.trim().toLowerCase(), h);
    }
    this.resolved = new Map();
    for (const [target, candidates] of this.sources) {
      const hit = candidates.map((c) => present.get(c) ?? present.get(c.trim().toLowerCase())).find((x) => x !== undefined);
      if (hit !== undefined) this.resolved.set(target, hit);
      else if (this.spec.defaults[target] === undefined) errors.push(`${target} is mapped from ${candidates.map((c) => `"${c}"`).join(" or ")}, which the header does not have`);
    }
    return errors;
  }

  /**
   * Maps one record of the user's columns onto ours. A cell that can't be converted is left out of `fields` and named
   * in `errors` with the reason (the caller decides whether that rejects the record).
   */
  apply(fields: Record<string, unknown>): { fields: Record<string, unknown>; errors: { column: string; error: string }[] } {
    const out: Record<string, unknown> = {};
    const errors: { column: string; error: string }[] = [];
    const taken = new Set<string>();
    if (this.spec.passthrough) {
      for (const [k, v] of Object.entries(fields)) {
        const c = canonicalHeader(k);
        if (this.targets.includes(c) && !this.sources.has(c)) out[c] = v;
      }
    }
    for (const [target, candidates] of this.sources) {
      const src = this.resolved?.get(target) ?? candidates.find((c) => c in fields);
      if (src === undefined) continue;
      taken.add(src);
      out[target] = fields[src];
    }
    for (const [target, value] of Object.entries(out)) {
      if (typeof value !== "string") continue;
      let v: unknown = value;
      const sep = this.spec.list_separators[target];
      if (sep !== undefined) v = value.split(sep).map((s) => s.trim()).join(";");
      const vm = this.valueMaps.get(target);
      if (vm && typeof v === "string" && v.trim() !== "") {
        const hit = vm.has(v) ? vm.get(v) : vm.get(loose(v));
        if (hit !== undefined) v = hit;
      }
      const dp = this.dateParsers.get(target);
      if (dp && typeof v === "string" && v.trim() !== "") {
        const iso = dp(v.trim());
        if (iso === undefined) {
          errors.push({ column: target, error: `"${v}" does not match the date format ${this.spec.date_formats[target]}` });
          delete out[target];
          continue;
        }
        v = iso;
      }
      out[target] = String(v);
    }
    for (const [target, def] of Object.entries(this.spec.defaults)) {
      const cur = out[target];
      if (cur === undefined || cur === null || (typeof cur === "string" && cur.trim() === "")) out[target] = String(def);
    }
    return { fields: out, errors };
  }
}

function loose(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, " ");
}

/** Builds a parser for a date layout such as DD/MM/YYYY HH:mm; returns ISO 8601 or undefined. */
function dateParser(format: string): (s: string) => string | undefined {
  const order: string[] = [];
  const pattern = format.replace(/YYYY|YY|MM|M|DD|D|HH|mm|ss|[.*+?^${}()|[\]\\]/g, (tok) => {
    switch (tok) {
      case "YYYY":
        order.push("Y");
        return "(\\d{4})";
      case "YY":
        order.push("y");
        return "(\\d{2})";
      case "MM":
      case "M":
        order.push("M");
        return tok === "MM" ? "(\\d{2})" : "(\\d{1,2})";
      case "DD":
      case "D":
        order.push("D");
        return tok === "DD" ? "(\\d{2})" : "(\\d{1,2})";
      case "HH":
        order.push("h");
        return "(\\d{1,2})";
      case "mm":
        order.push("m");
        return "(\\d{2})";
      case "ss":
        order.push("s");
        return "(\\d{2})";
      default:
        return `\\${tok}`;
    }
  });
  const re = new RegExp(`^${pattern}$`);
  return (s) => {
    const m = re.exec(s);
    if (!m) return undefined;
    const part: Record<string, number> = { M: 1, D: 1, h: 0, m: 0, s: 0 };
    order.forEach((k, i) => (part[k] = Number(m[i + 1])));
    const year = part.Y ?? 2000 + (part.y ?? 0);
    const ms = Date.UTC(year, part.M! - 1, part.D, part.h, part.m, part.s);
    const d = new Date(ms);
    if (d.getUTCMonth() !== part.M! - 1 || d.getUTCDate() !== part.D) return undefined;
    const hasTime = order.includes("h");
    return hasTime ? d.toISOString().replace(".000Z", "Z") : d.toISOString().slice(0, 10);
  };
}

/**
 * Reads and validates a mapping file; errors name the line of the offending key. With `fields` (the target schema's
 * fields), every value a `values:` map gives is checked against its column, so a typo there (`flase`) is an error
 * before anything is imported, as a typo in a column name is.
 */
export function loadMapping(file: string, targets: readonly string[], fields?: z.ZodObject): Mapping {
  const text = readFileSync(file, "utf8");
  const read = readYamlText(text, { uniqueKeys: false });
  if (!read.ok) throw new MappingError(yamlProblemText(file, read));
  const parsed = MappingSpecSchema.safeParse(read.value ?? {});
  if (!parsed.success) {
    const msgs = parsed.error.issues.map((i) => {
      const node = read.doc.getIn(i.path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      const line = node?.range ? read.lines.linePos(node.range[0]).line : undefined;
      return `${file}${line !== undefined ? `:${line}` : ""}: ${i.path.join(".") || "(top level)"}: ${i.message}`;
    });
    throw new MappingError(msgs.join("\n"));
  }
  const mapping = new Mapping(parsed.data, file, targets);
  if (fields) {
    const kinds = fieldKinds(fields);
    const bad: string[] = [];
    for (const [column, map] of Object.entries(parsed.data.values)) {
      const field = fields.shape[column] as z.ZodType | undefined;
      if (!field) continue;
      for (const [from, to] of Object.entries(map)) {
        if (field.safeParse(decodeValue(String(to), kinds[column])).success) continue;
        const node = read.doc.getIn(["values", column, from], true) as { range?: [number, number, number] } | undefined;
        const line = node?.range ? read.lines.linePos(node.range[0]).line : undefined;
        bad.push(`${file}${line !== undefined ? `:${line}` : ""}: values.${column}.${from}: ${JSON.stringify(to).slice(0, 40)} is not a valid ${column}${kinds[column] === "boolean" ? " (true or false)" : ""}`);
      }
    }
    if (bad.length) throw new MappingError(bad.join("\n"));
  }
  return mapping;
}
