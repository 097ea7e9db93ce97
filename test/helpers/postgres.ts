/**
 * Throwaway PostgreSQL databases for tests: the local server (127.0.0.1:5432, trust auth, user postgres, or
 * LONGWATCH_TEST_PG), a database with a unique name created for the test file and dropped after it.
 * Without a reachable server a test skips with the reason — except in CI, where .ci/run starts PostgreSQL and its
 * absence is a failure.
 */
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import pg from "pg";

export const PG_ADMIN = process.env.LONGWATCH_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

export async function postgresAvailable(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return undefined;
  } catch (e) {
    const why = `PostgreSQL is not reachable at ${PG_ADMIN} (${(e as Error).message})`;
    if (process.env.CI) throw new Error(`${why}: .ci/run should have started it`);
    return why;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Creates a database for this test file and returns its URL (without schema); dropped after the file. */
export async function throwawayDatabase(): Promise<string> {
  const name = `lw_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  after(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}
