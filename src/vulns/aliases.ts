/**
 * The curated package-name table (data/package-aliases.json): the names embedded builds give common packages
 * (Buildroot `libopenssl`, OpenWrt `libopenssl3`, `wpad-basic-mbedtls`) → the CPE vendor:product pairs NVD files
 * advisories under. Without it a package list with no purl or CPE could not be matched at all.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

const EntrySchema = z.object({
  id: z.string().min(1),
  names: z.array(z.string().min(1)).min(1),
  cpe: z.array(z.string().regex(/^[^:\s]+:[^:\s]+$/, "is not vendor:product")).min(1),
  purl: z.string().optional(),
  note: z.string().optional(),
});
const TableSchema = z.object({ version: z.string(), packages: z.array(EntrySchema) });

export type AliasEntry = z.infer<typeof EntrySchema>;

export class AliasTable {
  private readonly byName = new Map<string, AliasEntry>();

  constructor(readonly version: string, entries: readonly AliasEntry[]) {
    for (const e of entries) for (const n of e.names) this.byName.set(n.toLowerCase(), e);
  }

  /**
   * The entry for a package name: exact (case-insensitive) first, then without a trailing ABI or version suffix —
   * `libssl3` → `libssl`, `libopenssl1.1` → `libopenssl`, `libwolfssl5.6.4.e624513f` → `libwolfssl`.
   */
  lookup(name: string): AliasEntry | undefined {
    const n = name.trim().toLowerCase();
    const exact = this.byName.get(n);
    if (exact) return exact;
    const base = /^([a-z][a-z0-9+_-]*?[a-z])-?\d[\w.+~-]*$/.exec(n)?.[1];
    return base !== undefined ? this.byName.get(base) : undefined;
  }

  get size(): number {
    return this.byName.size;
  }
}

let shipped: AliasTable | undefined;

/** The table shipped in data/ (read once). */
export function shippedAliases(): AliasTable {
  if (!shipped) shipped = loadAliasTable(new URL("../../data/package-aliases.json", import.meta.url));
  return shipped;
}

export function loadAliasTable(file: URL | string): AliasTable {
  const raw: unknown = JSON.parse(readFileSync(file, "utf8"));
  const t = TableSchema.parse(raw);
  return new AliasTable(t.version, t.packages);
}
