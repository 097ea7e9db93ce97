import type Database from "better-sqlite3";
import { LongwatchError } from "../../core/errors.ts";
import { countDeviceImages } from "../list-sql.ts";
import { sqliteRun } from "./lists.ts";
import { DERIVED_TABLES, type TableInfo, type TableRepository } from "../tables.ts";

/** Table and column names come from the database itself, never from input; they are still checked before use. */
const NAME = /^[a-z_][a-z0-9_]*$/;

export class SqliteTables implements TableRepository {
  constructor(private readonly db: Database.Database) {}

  async list(): Promise<TableInfo[]> {
    const names = (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name").pluck().all() as string[]).filter((n) => !DERIVED_TABLES.has(n));
    return names.map((name) => ({ name, rows: (this.db.prepare(`SELECT COUNT(*) FROM ${checked(name)}`).pluck().get() as number) }));
  }

  async columns(table: string): Promise<string[]> {
    return (this.db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(checked(table)) as string[]);
  }

  async *read(table: string, columns: readonly string[], pageSize = 5000): AsyncIterable<Record<string, unknown>[]> {
    const t = checked(table);
    const cols = columns.map(checked).join(", ");
    // rowid order is insertion order; tables without one (WITHOUT ROWID) are read in primary-key order.
    const hasRowid = (this.db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(t) as string).match(/WITHOUT ROWID/i) === null;
    if (hasRowid) {
      const page = this.db.prepare(`SELECT rowid AS lw_rowid, ${cols} FROM ${t} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
      let after = 0;
      for (;;) {
        const rows = page.all(after, pageSize) as Record<string, unknown>[];
        if (rows.length === 0) return;
        after = rows[rows.length - 1]!.lw_rowid as number;
        yield rows.map(({ lw_rowid: _, ...r }) => r);
      }
    }
    let offset = 0;
    const page = this.db.prepare(`SELECT ${cols} FROM ${t} LIMIT ? OFFSET ?`);
    for (;;) {
      const rows = page.all(pageSize, offset) as Record<string, unknown>[];
      if (rows.length === 0) return;
      offset += rows.length;
      yield rows;
    }
  }

  async write(table: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): Promise<void> {
    if (!this.db.inTransaction) throw new LongwatchError("internal", "copying rows runs inside store.transaction()");
    const stmt = this.db.prepare(`INSERT INTO ${checked(table)} (${columns.map(checked).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
    for (const r of rows) stmt.run(columns.map((c) => sqliteValue(r[c])));
  }

  async snapshot(): Promise<void> {
    if (!this.db.inTransaction) throw new LongwatchError("internal", "a snapshot is taken inside store.transaction()");
  }

  async afterCopy(): Promise<void> {
    await countDeviceImages(sqliteRun(this.db), "sqlite");
    // A scan's rows are contiguous from scans.first_row (see migrations/findings.ts); rows copied with their ids keep that.
    this.db.exec(`UPDATE scans SET first_row = COALESCE((SELECT MIN(id) FROM findings WHERE findings.scan_id = scans.id),
      (SELECT COALESCE(MAX(id), 0) + 1 FROM findings WHERE findings.scan_id < scans.id)) WHERE first_row IS NULL`);
  }
}

function checked(name: string): string {
  if (!NAME.test(name)) throw new LongwatchError("internal", `unexpected table or column name "${name}"`);
  return name;
}

function sqliteValue(v: unknown): unknown {
  if (typeof v === "boolean") return v ? 1 : 0;
  return v === undefined ? null : v;
}
