/** The lists on PostgreSQL: the shared SQL (list-sql.ts) with `$n` placeholders and PostgreSQL's JSON functions. */
import { type ListDialect, markTrafficSql, type RunSql, SqlLists } from "../list-sql.ts";
import { lockName, type PgDb } from "./db.ts";

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

/**
 * Marks the devices of alerts or flow observations just written in `traffic_devices` (markTrafficSql), holding the
 * import lock in shared mode first. Without it an alert for device X written while another transaction imports X
 * is missed by both (READ COMMITTED: the alert's marking does not see the uncommitted X in devices, the import's
 * markWrittenTrafficSql does not see the uncommitted alert), and since imports keep the table by delta nothing
 * heals it. With it the two serialise: a marking that comes while an import holds the lock waits for its commit,
 * and its statement (a new snapshot) then sees X; an import that comes while a marking holds it waits in
 * startImport, and then sees the alert. Writers of alerts and flows do not wait for each other (shared mode), and a
 * transaction that holds the import lock itself is not blocked by its own shared request.
 */
export async function markTraffic(db: PgDb, schema: string, deviceIds: readonly string[]): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))", [lockName(schema, "import")]);
  await pgRun(db)(markTrafficSql(pgListDialect), [JSON.stringify(deviceIds)]);
}
