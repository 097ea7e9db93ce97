/** The store contract suite against PostgreSQL: a throwaway database per run, a fresh schema per store. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { openStore } from "../../src/store/open.ts";
import { allMigrations } from "../../src/store/postgres/migrations/index.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { storeContract } from "./contract/index.ts";

const skip = await postgresAvailable();
if (skip) {
  describe("PostgreSQL store", () => it("contract suite", { skip }, () => undefined));
} else {
  const db = await throwawayDatabase();
  let n = 0;
  const url = (schema: string) => `${db}?schema=${schema}`;
  storeContract({ name: "postgres", freshUrl: async () => url(`s${++n}`) });

  describe("PostgreSQL only", () => {
    it("keeps instances in different schemas of one database apart", async () => {
      const [a, b] = [await openStore(url("plant_a")), await openStore(url("plant_b"))];
      await a.fleet.upsertModels([{ model_id: "only-in-a" }]);
      assert.deepEqual(await b.fleet.models(), []);
      assert.deepEqual((await a.fleet.models()).map((m) => m.model_id), ["only-in-a"]);
      await Promise.all([a.close(), b.close()]);
    });

    it("migrates once when several processes open a new store at the same moment", async () => {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url("race"))));
      const c = new pg.Client({ connectionString: db });
      await c.connect();
      const { rows } = await c.query<{ n: string }>("SELECT COUNT(*) AS n FROM race.schema_migrations");
      await c.end();
      assert.equal(Number(rows[0]!.n), allMigrations.length, "each migration applied exactly once");
      await Promise.all(stores.map((s) => s.close()));
    });

    it("refuses a schema written by a newer Longwatch, and reports an unreachable server as store_unavailable", async () => {
      const s = await openStore(url("newer"));
      await s.close();
      const c = new pg.Client({ connectionString: db });
      await c.connect();
      await c.query("INSERT INTO newer.schema_migrations VALUES ('alerts', 42, 'x')");
      await c.end();
      await assert.rejects(openStore(url("newer")), { code: "store_incompatible", message: /alerts v42/ });
      await assert.rejects(openStore("postgres://postgres@127.0.0.1:1/none"), { code: "store_unavailable" });
      await assert.rejects(openStore(`${db}_missing`), { code: "store_unavailable", message: /does not exist/ });
    });
  });
}
