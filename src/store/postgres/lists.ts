/** The lists on PostgreSQL: the shared SQL (list-sql.ts) with `$n` placeholders and PostgreSQL's JSON functions. */
import { type ListDialect, type RunSql, SqlLists } from "../list-sql.ts";
import type { PgDb } from "./db.ts";

export const pgListDialect: ListDialect = {
  collate: ' COLLATE "C"',
  jsonElements: (column) => `json_array_elements_text(${column}::json) AS j(value)`,
  contains: (column) => `strpos(${column}, ?) > 0`,
};

/** The shared SQL writes `?`; PostgreSQL numbers its parameters. None of the SQL has a `?` of its own. */
export function pgRun(db: PgDb): RunSql {
  return (sql, params) => {
    let n = 0;
    return db.query(sql.replace(/\?/g, () => `$${++n}`), params);
  };
}

export class PgLists extends SqlLists {
  constructor(db: PgDb) {
    super(pgListDialect, pgRun(db));
  }
}
