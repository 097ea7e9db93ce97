/** The lists on SQLite: the shared SQL (list-sql.ts) over the connection, with SQLite's JSON functions. */
import type Database from "better-sqlite3";
import { type ListDialect, type RunSql, SqlLists } from "../list-sql.ts";

export const sqliteListDialect: ListDialect = {
  collate: "",
  jsonElements: (column) => `json_each(${column}) AS j`,
  contains: (column) => `instr(${column}, ?) > 0`,
};

export function sqliteRun(db: Database.Database): RunSql {
  return async (sql, params) => {
    const stmt = db.prepare(sql);
    if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
    stmt.run(...params);
    return [];
  };
}

export class SqliteLists extends SqlLists {
  constructor(db: Database.Database) {
    super(sqliteListDialect, sqliteRun(db));
  }
}
