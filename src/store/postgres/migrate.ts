/**
 * Versioned, forward-only migrations for PostgreSQL, numbered per area like SQLite's. They are applied on open under
 * an advisory lock, so two processes starting at once don't race: the second waits and finds them applied. A schema
 * with a migration this code does not know was written by a newer Longwatch and is refused.
 */
import type pg from "pg";
import { LongwatchError } from "../../core/errors.ts";
import type { Migration } from "../migration.ts";
import { lockName, pgError } from "./db.ts";

export type { Migration };

export async function migrate(pool: pg.Pool, schema: string, migrations: readonly Migration[], now: () => number, location: string): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw pgError(e, location);
  }
  try {
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [lockName(schema, "migrate")]);
    try {
      await client.query("BEGIN");
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (area TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (area, version))");
      const rows = (await client.query<{ area: string; version: number }>("SELECT area, version FROM schema_migrations")).rows;
      const known = new Set(migrations.map((m) => `${m.area}:${m.version}`));
      const unknown = rows.filter((r) => !known.has(`${r.area}:${r.version}`));
      if (unknown.length) {
        throw new LongwatchError("store_incompatible", `this store was written by a newer version of Longwatch (schema ${unknown.map((r) => `${r.area} v${r.version}`).join(", ")}); upgrade Longwatch to use it`, {
          unknown: unknown.map((r) => `${r.area}:${r.version}`),
        });
      }
      const applied = new Set(rows.map((r) => `${r.area}:${r.version}`));
      const pending = [...migrations].sort((a, b) => a.area.localeCompare(b.area) || a.version - b.version).filter((m) => !applied.has(`${m.area}:${m.version}`));
      for (const m of pending) {
        await client.query(m.up);
        await client.query("INSERT INTO schema_migrations (area, version, applied_at) VALUES ($1, $2, $3)", [m.area, m.version, new Date(now()).toISOString()]);
      }
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lockName(schema, "migrate")]).catch(() => undefined);
    }
  } catch (e) {
    throw pgError(e, location);
  } finally {
    client.release();
  }
}

export async function schemaVersions(pool: pg.Pool): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of (await pool.query<{ area: string; v: number }>("SELECT area, MAX(version) AS v FROM schema_migrations GROUP BY area ORDER BY area")).rows) out[r.area] = r.v;
  return out;
}
