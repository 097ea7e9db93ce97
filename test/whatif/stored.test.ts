/**
 * The stored `whatif --all` ranking on SQLite and PostgreSQL: nothing until a ranking runs; then exactly rankAll's
 * nodes with the time; each kind replaced on its own; a kind cut to its largest nodes; stale once devices are imported
 * after it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/open.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { serializeDevice, type Store } from "../../src/store/store.ts";
import { RANKED_KINDS, rankAll } from "../../src/whatif/rank.ts";
import { rankAndStore, saveRanking, storedRanking } from "../../src/whatif/stored.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { importRows } from "../helpers/store.ts";
import { CA_X, seedFleet } from "./fleet.ts";

function cases(open: () => Promise<Store | undefined>, skip?: string) {
  let store: Store;
  before(async () => {
    const s = await open();
    if (!s) return;
    store = s;
    await seedFleet(store);
  });
  after(async () => {
    await store?.close();
  });

  it("nothing stored: computed_at null and every kind missing", { skip }, async () => {
    const r = await storedRanking(store);
    assert.deepEqual(r, { computed_at: null, stale: false, fleet_devices: null, kinds: [], missing: [...RANKED_KINDS], nodes: [], counted: {} });
  });

  it("after a ranking: the same nodes as rankAll, largest first, with when and by what", { skip }, async () => {
    const later = Date.now() + 3_600_000;
    const whole = await rankAndStore(store, { now: () => later, source: "whatif" });
    const live = await rankAll(store, { limit: 5 });
    const r = await storedRanking(store, { limit: 5 });
    assert.equal(r.computed_at, new Date(later).toISOString());
    assert.equal(r.stale, false);
    assert.equal(r.fleet_devices, 20);
    assert.deepEqual(r.nodes, live.nodes);
    assert.equal(r.nodes[0]!.target, `ca:${CA_X}`);
    assert.deepEqual(r.counted, whole.counted);
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.kinds.map((k) => [k.kind, k.source]), [...RANKED_KINDS].sort().map((k) => [k, "whatif"]));
    // Every node of the whole ranking is kept (this fleet has fewer than STORED_PER_KIND of each kind).
    assert.deepEqual((await storedRanking(store, { limit: 1000 })).nodes, whole.nodes);
  });

  it("ranking some kinds replaces only those; a kind is cut to its largest nodes; kinds can be read alone", { skip }, async () => {
    const before = await storedRanking(store, { kinds: ["credential"], limit: 100 });
    const r = await rankAll(store, { kinds: ["firmware", "model"] });
    const at = new Date(Date.now() + 7_200_000).toISOString();
    await saveRanking(store, r, ["firmware", "model"], { computedAt: at, source: "scan-job", keep: 2 });
    const fw = await storedRanking(store, { kinds: ["firmware", "model"], limit: 100 });
    assert.equal(fw.computed_at, at);
    assert.deepEqual(fw.nodes.filter((n) => n.kind === "firmware"), r.nodes.filter((n) => n.kind === "firmware").slice(0, 2));
    assert.equal(fw.nodes.filter((n) => n.kind === "model").length, 2);
    assert.equal(fw.counted.model, 3, "counted says how many there were");
    assert.deepEqual(await storedRanking(store, { kinds: ["credential"], limit: 100 }), before, "credentials untouched");
    // The oldest kind read gives computed_at.
    const all = await storedRanking(store, { kinds: ["credential", "firmware"] });
    assert.equal(all.computed_at, before.computed_at);
    assert.deepEqual((await storedRanking(store, { kinds: ["cert", "firmware"] })).missing, ["cert"]);
  });

  it("is stale once devices are imported after it was computed", { skip }, async () => {
    const r = await rankAll(store, { kinds: ["endpoint"] });
    await saveRanking(store, r, ["endpoint"], { computedAt: "2000-01-01T00:00:00.000Z", source: "whatif" });
    assert.equal((await storedRanking(store, { kinds: ["endpoint"] })).stale, true);
    await saveRanking(store, r, ["endpoint"], { computedAt: new Date(Date.now() + 60_000).toISOString(), source: "whatif" });
    assert.equal((await storedRanking(store, { kinds: ["endpoint"] })).stale, false);
    await importRows(store, [serializeDevice({ device_id: "new-0", model_id: "gateway" })], { source: "later" });
    // The import's clock is the real one: move it past the ranking by ranking in the past instead.
    await saveRanking(store, r, ["endpoint"], { computedAt: new Date(Date.now() - 60_000).toISOString(), source: "whatif" });
    assert.equal((await storedRanking(store, { kinds: ["endpoint"] })).stale, true);
  });
}

describe("stored what-if ranking (SQLite)", () => {
  cases(async () => openSqliteStore(":memory:"));
});

describe("stored what-if ranking (PostgreSQL)", async () => {
  const skip = await postgresAvailable();
  const db = skip ? undefined : await throwawayDatabase();
  cases(async () => {
    if (!db) return undefined;
    const url = new URL(db);
    url.searchParams.set("schema", "whatif_stored_test");
    return openStore(url.toString());
  }, skip);
});
