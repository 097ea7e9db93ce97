/**
 * `store copy` reads its source as one state: a write made while the copy runs is either wholly in the copy or not
 * at all. On SQLite the writer waits for the copy (and gives up with store_unavailable after its busy timeout); on
 * PostgreSQL it goes on beside the copy, which does not see it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { copyStore } from "../../src/store/copy.ts";
import { openStore } from "../../src/store/open.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";

const t = tmpDir();
const stores: { close(): Promise<void> }[] = [];
after(async () => {
  for (const s of stores) await s.close();
});
const open = async (url: string, busy?: number) => {
  const s = await openStore(url, busy !== undefined ? { sqliteBusyTimeoutMs: busy } : {});
  stores.push(s);
  return s;
};

describe("store copy reads one state of its source", () => {
  it("SQLite: a writer waits for the copy, then writes, and the copy holds what was there when it began", async () => {
    const src = `sqlite:${join(t.dir, "src.db")}`;
    const a = await open(src);
    await a.fleet.upsertModels([{ model_id: "m1" }, { model_id: "m2" }]);
    const writer = await open(src, 10_000);
    const target = await open(`sqlite:${join(t.dir, "dst.db")}`);
    let tried: unknown;
    await copyStore(a, target, {
      pageSize: 1,
      onProgress: (table) => {
        if (table === "models" && tried === undefined) {
          tried = null;
          void writer.fleet.upsertModels([{ model_id: "m3" }]).then(() => (tried = "written"), (e: unknown) => (tried = e));
        }
      },
    });
    // onProgress is not awaited by the copy. The writer waits for the copy's transaction (on timers, so the copy goes
    // on meanwhile: a busy wait in SQLite's own handler would block this thread and the copy with it), then writes.
    for (let i = 0; i < 500 && (tried === undefined || tried === null); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(tried, "written", `the writer waited for the copy and wrote: ${String(tried)}`);
    assert.deepEqual((await target.fleet.models()).map((m) => m.model_id), ["m1", "m2"]);
    assert.deepEqual((await a.fleet.models()).map((m) => m.model_id), ["m1", "m2", "m3"]);
  });

  it("PostgreSQL: a writer goes on, and the copy does not see what it wrote", async (ctx) => {
    const skip = await postgresAvailable();
    if (skip) return ctx.skip(skip);
    const db = await throwawayDatabase();
    const a = await open(`${db}?schema=src`);
    await a.fleet.upsertModels([{ model_id: "m1" }, { model_id: "m2" }]);
    const writer = await open(`${db}?schema=src`);
    const target = await open(`${db}?schema=dst`);
    const writes: Promise<void>[] = [];
    await copyStore(a, target, {
      pageSize: 1,
      onProgress: (table) => {
        if (table === "models" && writes.length === 0) writes.push(writer.fleet.upsertModels([{ model_id: "m3" }]).then(() => writer.alerts.addSuppression({ detector: "beaconing", reason: "late" }, "2026-12-01T00:00:00Z")).then(() => undefined));
      },
    });
    await Promise.all(writes);
    assert.deepEqual((await a.fleet.models()).map((m) => m.model_id), ["m1", "m2", "m3"], "the write went through");
    assert.deepEqual((await target.fleet.models()).map((m) => m.model_id), ["m1", "m2"]);
    assert.deepEqual(await target.alerts.suppressions(), []);
  });
});
