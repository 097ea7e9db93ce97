/** What only the SQLite adapter does on open: a store from a newer Longwatch is refused, a locked file is reported. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { openStore } from "../../src/store/open.ts";
import { tmpDir } from "../helpers/tmp.ts";

describe("opening an SQLite store", () => {
  it("refuses a store whose schema is newer than this code (store_incompatible), naming the area", async () => {
    const file = join(tmpDir().dir, "s.db");
    await (await openStore(`sqlite:${file}`)).close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (area, version, applied_at) VALUES ('fleet', 99, 'x')").run();
    db.close();
    await assert.rejects(openStore(`sqlite:${file}`), { code: "store_incompatible", message: /newer version of Longwatch \(schema fleet v99\)/ });
  });

  it("reports a store held by another writer as store_unavailable once the wait is over", { timeout: 60_000 }, async () => {
    const file = join(tmpDir().dir, "s.db");
    const store = await openStore(`sqlite:${file}`, { sqliteBusyTimeoutMs: 1000 });
    const other = new Database(file);
    other.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    const started = Date.now();
    const attempt = store.transaction(async (tx) => tx.fleet.upsertModels([{ model_id: "m" }]));
    await assert.rejects(attempt, { code: "store_unavailable", message: /locked by another process .* for 1 s/ });
    assert.ok(Date.now() - started >= 1000, "it waited for the lock before giving up");
    other.exec("ROLLBACK");
    other.close();
    await store.transaction(async (tx) => tx.fleet.upsertModels([{ model_id: "m" }]));
    assert.deepEqual((await store.fleet.models()).map((m) => m.model_id), ["m"]);
    await store.close();
  });
});
