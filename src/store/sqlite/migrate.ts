/**
 * Versioned migrations, numbered per area (fleet, findings, vulns …) so that areas evolve independently. Each
 * migration runs once, in a transaction, and is recorded in schema_migrations.
 */
import type Database from "better-sqlite3";

export interface Migration {
  area: string;
  version: number;
  up: string;
}

export function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (area TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (area, version))");
  const applied = new Set(
    (db.prepare("SELECT area, version FROM schema_migrations").all() as { area: string; version: number }[]).map((r) => `${r.area}:${r.version}`),
  );
  const record = db.prepare("INSERT INTO schema_migrations (area, version, applied_at) VALUES (?, ?, ?)");
  const pending = [...migrations].sort((a, b) => a.area.localeCompare(b.area) || a.version - b.version).filter((m) => !applied.has(`${m.area}:${m.version}`));
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.up);
      record.run(m.area, m.version, new Date().toISOString());
    })();
  }
}
