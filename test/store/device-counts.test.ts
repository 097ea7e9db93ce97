/**
 * The counts every import ends with (countDeviceImages): `device_images` per (model, firmware) and `device_cells` per
 * what-if cell equal a GROUP BY over the devices, on SQLite and PostgreSQL, and the devices are read once for both —
 * the second full pass over them was most of what the what-if cells added to an import.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { countDeviceImages, type RunSql } from "../../src/store/list-sql.ts";
import { sqliteRun } from "../../src/store/sqlite/lists.ts";
import { openStore } from "../../src/store/open.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { seedFleet } from "../whatif/fleet.ts";

const CELLS = "model_id, firmware_version, country, groups, apn, mccmnc, issuer, issuer_fingerprint";
const IMAGES_SQL = "SELECT model_id, firmware_version, COUNT(*) AS devices, COUNT(cert_fingerprint) AS with_cert FROM devices GROUP BY model_id, firmware_version ORDER BY model_id, firmware_version";
const CELLS_SQL = `SELECT ${CELLS}, COUNT(*) AS devices, SUM(mqtt) AS mqtt FROM devices GROUP BY ${CELLS} ORDER BY ${CELLS}`;
const numbers = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" || (typeof v === "string" && /^(devices|with_cert|mqtt)$/.test(k)) ? Number(v) : v])));

/** The statements a count ran that read every device (a GROUP BY over the devices table). */
function recording(run: RunSql): { run: RunSql; fullReads: string[] } {
  const fullReads: string[] = [];
  return {
    fullReads,
    run: (sql, params) => {
      if (/\bFROM devices\b(?: NOT INDEXED)? GROUP BY\b/.test(sql)) fullReads.push(sql);
      return run(sql, params);
    },
  };
}

async function check(engine: "sqlite" | "postgres", run: RunSql, sql: (q: string) => Promise<Record<string, unknown>[]>): Promise<void> {
  const expected = { images: numbers(await sql(IMAGES_SQL)), cells: numbers(await sql(CELLS_SQL)) };
  assert.ok(expected.cells.length > 3 && expected.images.length > 1, "a fleet with several cells and images");
  await sql("DELETE FROM device_images");
  await sql("DELETE FROM device_cells");
  const r = recording(run);
  await countDeviceImages(r.run, engine);
  assert.equal(r.fullReads.length, 1, `the devices read once for both counts, not:\n${r.fullReads.join("\n")}`);
  const got = {
    images: numbers(await sql("SELECT model_id, firmware_version, devices, with_cert FROM device_images ORDER BY model_id, firmware_version")),
    cells: numbers(await sql(`SELECT ${CELLS}, devices, mqtt FROM device_cells ORDER BY ${CELLS}`)),
  };
  assert.deepEqual(got, expected);
}

const pgMissing = await postgresAvailable();

describe("the counts at the end of an import", () => {
  it("SQLite: equal a GROUP BY over the devices, which are read once", async () => {
    const file = join(tmpDir().dir, "lw.db");
    const store = await openStore(`sqlite:${file}`);
    await seedFleet(store);
    await store.close();
    const db = new Database(file);
    try {
      const sql = async (q: string) => {
        const s = db.prepare(q);
        return s.reader ? (s.all() as Record<string, unknown>[]) : (s.run(), []);
      };
      db.exec("BEGIN");
      await check("sqlite", sqliteRun(db), sql);
      db.exec("COMMIT");
      // Run again on the same connection (the temporary table it uses is gone, or replaced): the same counts.
      await check("sqlite", sqliteRun(db), sql);
    } finally {
      db.close();
    }
  });

  it("PostgreSQL: the same", { skip: pgMissing }, async () => {
    const base = await throwawayDatabase();
    const url = new URL(base);
    url.searchParams.set("schema", "device_counts_test");
    const store = await openStore(url.toString());
    await seedFleet(store);
    await store.close();
    const c = new pg.Client({ connectionString: base, options: "-c search_path=device_counts_test" });
    await c.connect();
    try {
      const sql = async (q: string) => (await c.query(q)).rows as Record<string, unknown>[];
      const run: RunSql = async (q, params) => {
        let n = 0;
        return (await c.query(q.replace(/\?/g, () => `$${++n}`), [...params])).rows as Record<string, unknown>[];
      };
      await check("postgres", run, sql);
    } finally {
      await c.end();
    }
  });
});
