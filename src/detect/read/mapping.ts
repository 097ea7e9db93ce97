/**
 * Column mappings: connectivity providers' CDR exports all name their columns differently, so a small YAML file says
 * which source column holds which canonical field, how values are spelled, and in which units numbers come.
 *
 * ```yaml
 * kind: connectivity          # every row is of this kind (or map a column to `kind`)
 * delimiter: ";"
 * ts_unit: ms                 # epoch numbers in milliseconds (default seconds)
 * columns: { ts: "Event Time", iccid: ICCID, event: "Record Type", bytes_up: "Upload (KB)" }
 * values: { event: { "Data Session Start": session_start, "SMS MO": sms_mo } }
 * scale: { bytes_up: 1024 }   # KB → bytes
 * ```
 */
import { z } from "zod";
import { RECORD_KINDS } from "../../core/record.ts";
import { FIELD_NAMES, type FieldName } from "./fields.ts";

const field = z.enum(FIELD_NAMES, { error: (i) => `"${String(i.input)}" is not a canonical field (${FIELD_NAMES.join(", ")})` });

export const ColumnMappingSchema = z
  .object({
    kind: z.enum(RECORD_KINDS).optional(),
    delimiter: z.string().length(1).optional(),
    ts_unit: z.enum(["s", "ms"]).default("s"),
    columns: z.partialRecord(field, z.string().min(1)).default({}),
    values: z.partialRecord(field, z.record(z.string(), z.string())).default({}),
    scale: z.partialRecord(field, z.number().positive()).default({}),
  })
  .strict();
export type ColumnMapping = z.infer<typeof ColumnMappingSchema>;

/** For each header cell, the canonical field it feeds (mapped names first, then the canonical name itself). */
export function headerFields(header: readonly string[], mapping: ColumnMapping | undefined, aliases: Readonly<Record<string, FieldName>> = {}): (FieldName | undefined)[] {
  const bySource = new Map<string, FieldName>();
  for (const [canonical, source] of Object.entries(mapping?.columns ?? {})) bySource.set(source.trim().toLowerCase(), canonical as FieldName);
  return header.map((h) => {
    const name = h.trim().toLowerCase();
    const mapped = bySource.get(name);
    if (mapped) return mapped;
    return aliases[name] ?? (isCanonical(name) ? (name as FieldName) : undefined);
  });
}

function isCanonical(name: string): boolean {
  return (FIELD_NAMES as readonly string[]).includes(name);
}
