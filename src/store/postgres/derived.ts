/**
 * Adding a DerivedDelta's counts to device_cells / device_images on PostgreSQL: one statement updates the rows that
 * exist and inserts the others (the changes as arrays), a second deletes the rows that reached 0. The join reads the
 * counted table (a few rows per device image, per cell), never the devices.
 */
import { type ApplyCounts, type CountChange, type CountTable, countsValid } from "../derived.ts";
import type { PgDb } from "./db.ts";

function changeRows(t: CountTable, changes: readonly CountChange[], first = 1): { from: string; params: unknown[]; match: string } {
  const cols = [...t.keys.map((k) => k.name), "ca", "cb"];
  const arrays = cols.map((_, i) => `$${first + i}::${i < t.keys.length ? "text" : "bigint"}[]`);
  // A hash join on the key columns that are never NULL (no key index on PostgreSQL: see fleet migration 5).
  const match = t.keys.map((k) => (k.nullable ? `c.${k.name} IS NOT DISTINCT FROM d.${k.name}` : `c.${k.name} = d.${k.name}`)).join(" AND ");
  return {
    from: `unnest(${arrays.join(", ")}) WITH ORDINALITY AS d (${cols.join(", ")}, o)`,
    params: [...t.keys.map((_, i) => changes.map((c) => c.key[i])), changes.map((c) => c.counts[0]), changes.map((c) => c.counts[1])],
    match,
  };
}

export function pgApplyCounts(db: PgDb): ApplyCounts {
  return async (t, changes) => {
    const [a, b] = t.counts;
    const keys = t.keys.map((k) => k.name);
    const d = changeRows(t, changes);
    const rows = await db.query<{ o: number | string | null; a: number | string; b: number | string }>(
      `WITH d AS (SELECT * FROM ${d.from}),
       u AS (UPDATE ${t.table} c SET ${a} = c.${a} + d.ca, ${b} = c.${b} + d.cb FROM d WHERE ${d.match} RETURNING d.o, c.${a} AS a, c.${b} AS b),
       i AS (INSERT INTO ${t.table} (${keys.join(", ")}, ${a}, ${b}) SELECT ${keys.map((k) => `d.${k}`).join(", ")}, d.ca, d.cb FROM d
             WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.o = d.o) ORDER BY d.o RETURNING ${a} AS a, ${b} AS b)
       SELECT o, a, b FROM u UNION ALL SELECT NULL, a, b FROM i`,
      d.params,
    );
    const seen = new Set<number>();
    const zero: CountChange[] = [];
    for (const row of rows) {
      // int8 arrives as a number through the store's pool, as a string through a connection without its parser.
      const [o, a, b] = [row.o === null ? null : Number(row.o), Number(row.a), Number(row.b)];
      if (!countsValid(a, b)) return false;
      if (o === null) {
        if (a === 0) return false;
        continue;
      }
      if (seen.has(o)) return false;
      seen.add(o);
      if (a === 0) zero.push(changes[o - 1]!);
    }
    if (zero.length) {
      const z = changeRows(t, zero);
      await db.query(`DELETE FROM ${t.table} c USING ${z.from} WHERE ${z.match} AND c.${a} = 0`, z.params);
    }
    return true;
  };
}
