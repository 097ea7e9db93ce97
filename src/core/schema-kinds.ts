/**
 * Reads the declared type of every field of an object schema, so text cells can be decoded generically
 * (booleans, numbers, `;`-lists) before validation, without any code knowing particular columns.
 */
import type { z } from "zod";
import { parseBool, parseList, parseNumber } from "./coerce.ts";
import type { FieldKind } from "./fleet.ts";

interface Def {
  type: string;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
}

function kindOf(def: Def): FieldKind {
  switch (def.type) {
    case "optional":
    case "default":
    case "nullable":
      return def.innerType ? kindOf(def.innerType._zod.def) : "string";
    case "pipe":
      return def.in ? kindOf(def.in._zod.def) : "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "array":
      return "list";
    default:
      return "string";
  }
}

export function fieldKinds(schema: z.ZodObject): Record<string, FieldKind> {
  const out: Record<string, FieldKind> = {};
  for (const [key, field] of Object.entries(schema.shape)) out[key] = kindOf((field as unknown as { _zod: { def: Def } })._zod.def);
  return out;
}

/**
 * Turns text cells into typed values by field kind. Empty cells and nulls become absent; values that are already typed
 * (from JSON) pass through. A cell that can't be decoded is kept as text so that validation reports it by field name.
 */
export function decodeCells(cells: Record<string, unknown>, kinds: Record<string, FieldKind>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in cells) {
    const v = decodeValue(cells[key], kinds[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** One cell: undefined when empty; typed when it can be; the raw text otherwise (validation then names the field). */
export function decodeValue(raw: unknown, kind: FieldKind | undefined): unknown {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== "string") return kind === "string" && typeof raw === "number" ? String(raw) : raw;
  if (raw.length === 0 || raw.trim() === "") return undefined;
  switch (kind) {
    case "boolean":
      return parseBool(raw) ?? raw;
    case "number":
      return parseNumber(raw) ?? raw;
    case "list":
      return parseList(raw);
    default:
      return raw;
  }
}
