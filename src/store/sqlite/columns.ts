/**
 * The devices table is derived from the Device schema: one column per field, typed by the field's kind, so adding a
 * field to the schema is all it takes (plus a migration that adds the column).
 */
import { DeviceSchema, type FieldKind } from "../../core/fleet.ts";
import { fieldKinds } from "../../core/schema-kinds.ts";

export interface Column {
  name: string;
  kind: FieldKind;
  sqlType: string;
}

const sqlTypes: Record<FieldKind, string> = { string: "TEXT", number: "REAL", boolean: "INTEGER", list: "TEXT" };

export const deviceColumns: Column[] = Object.entries(fieldKinds(DeviceSchema)).map(([name, kind]) => ({
  name,
  kind,
  sqlType: name === "device_id" ? "TEXT NOT NULL" : sqlTypes[kind],
}));

export function toSql(kind: FieldKind, v: unknown): string | number | null {
  if (v === undefined || v === null) return null;
  switch (kind) {
    case "boolean":
      return v ? 1 : 0;
    case "list":
      return JSON.stringify(v);
    case "number":
      return v as number;
    default:
      return v as string;
  }
}

export function fromSql(kind: FieldKind, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  switch (kind) {
    case "boolean":
      return v === 1;
    case "list":
      return JSON.parse(v as string) as string[];
    default:
      return v;
  }
}
