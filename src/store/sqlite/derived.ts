/** Adding a DerivedDelta's counts to device_cells / device_images on SQLite: a keyed UPDATE per changed row. */
import type Database from "better-sqlite3";
import { type ApplyCounts, type CountChange, type CountTable, countsValid } from "../derived.ts";

/** Synchronous, for use inside a better-sqlite3 transaction function; false when the table was out of step. */
export function applyCountsSync(db: Database.Database, t: CountTable, changes: readonly CountChange[]): boolean {
  // `IS ?` matches NULL keys too and still searches the key index (fleet migration 5).
  const match = t.keys.map((k) => (k.nullable ? `${k.name} IS ?` : `${k.name} = ?`)).join(" AND ");
  const [a, b] = t.counts;
  const update = db.prepare(`UPDATE ${t.table} SET ${a} = ${a} + ?, ${b} = ${b} + ? WHERE ${match} RETURNING ${a}, ${b}`).raw();
  const insert = db.prepare(`INSERT INTO ${t.table} (${t.keys.map((k) => k.name).join(", ")}, ${a}, ${b}) VALUES (${[...t.keys, a, b].map(() => "?").join(", ")})`);
  const remove = db.prepare(`DELETE FROM ${t.table} WHERE ${match} AND ${a} = 0`);
  for (const c of changes) {
    const rows = update.all(c.counts[0], c.counts[1], ...c.key) as [number, number][];
    if (rows.length > 1) return false;
    if (rows.length === 0) {
      if (c.counts[0] <= 0 || !countsValid(c.counts[0], c.counts[1])) return false;
      insert.run(...c.key, ...c.counts);
    } else if (!countsValid(rows[0]![0], rows[0]![1])) return false;
    else if (rows[0]![0] === 0) remove.run(...c.key);
  }
  return true;
}

export function sqliteApplyCounts(db: Database.Database): ApplyCounts {
  return async (t, changes) => applyCountsSync(db, t, changes);
}
