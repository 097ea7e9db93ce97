/**
 * Versioned, forward-only migrations, numbered per area (fleet, findings, vulns …) so that areas evolve
 * independently. Each migration runs once, in a transaction, and is recorded in schema_migrations. A store that has a
 * migration this code does not know was written by a newer Longwatch: it is refused rather than misread.
 */
import type Database from "better-sqlite3";
import { LongwatchError } from "../../core/errors.ts";

export interface Migration {
  area: string;
  version: number;
  up: string;
}

export function migrate(db: Database.Database, migrations: readonly Migration[], now: () => number): void {
  // IMMEDIATE: two processes opening a new store at once migrate one after the other, the second finding it done.
  db.transaction(() => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (area TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (area, version))");
    const rows = db.prepare("SELECT area, version FROM schema_migrations").all() as { area: string; version: number }[];
    const known = new Set(migrations.map((m) => `${m.area}:${m.version}`));
    const unknown = rows.filter((r) => !known.has(`${r.area}:${r.version}`));
    if (unknown.length) {
      throw new LongwatchError("store_incompatible", `this store was written by a newer version of Longwatch (schema ${unknown.map((r) => `${r.area} v${r.version}`).join(", ")}); upgrade Longwatch to use it`, {
        unknown: unknown.map((r) => `${r.area}:${r.version}`),
      });
    }
    const applied = new Set(rows.map((r) => `${r.area}:${r.version}`));
    const record = db.prepare("INSERT INTO schema_migrations (area, version, applied_at) VALUES (?, ?, ?)");
    const pending = [...migrations].sort((a, b) => a.area.localeCompare(b.area) || a.version - b.version).filter((m) => !applied.has(`${m.area}:${m.version}`));
    for (const m of pending) {
      db.exec(m.up);
      record.run(m.area, m.version, new Date(now()).toISOString());
    }
  }).immediate();
}

export function schemaVersions(db: Database.Database): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of db.prepare("SELECT area, MAX(version) AS v FROM schema_migrations GROUP BY area ORDER BY area").all() as { area: string; v: number }[]) out[r.area] = r.v;
  return out;
}
