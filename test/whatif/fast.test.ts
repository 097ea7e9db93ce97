/**
 * The database fast path of `whatif compromise` (counts by GROUP BY over the affected rows) gives exactly the report
 * the in-memory fleet graph gives, for every node of the seeded fleet and the not-found answers, on SQLite and
 * PostgreSQL; and it does not read the fleet's devices one by one.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RespondDeps } from "../../src/respond/context.ts";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import { openStore } from "../../src/store/open.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store } from "../../src/store/store.ts";
import { compromise } from "../../src/whatif/compromise.ts";
import { buildGraph } from "../../src/whatif/graph.ts";
import { RANKABLE_KINDS, rankAll } from "../../src/whatif/rank.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { CA_X, seedFleet } from "./fleet.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const deps = (store: Store): RespondDeps => ({ store, settings: RespondSettingsSchema.parse({}), env: {}, now: () => NOW });
const EXTRA = [`ca:${CA_X}`, "model:gateway", "component:openssl", "component:pkg:deb/debian/openssl", "endpoint:.acme.example", "endpoint:mqtt.acme.example:8883", "firmware:tracker@9.9", "model:nope", `cert:${"0".repeat(63)}f`, `ca:${"ab".repeat(32)}`, "component:nothing@1"];

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function sameAnswers(store: Store): Promise<number> {
  const targets = [...new Set([...(await rankAll(store, { kinds: RANKABLE_KINDS })).nodes.map((n) => n.target), ...EXTRA])];
  const graph = await buildGraph(store, ["certificates", "credentials", "components"]);
  let fast = 0;
  for (const t of targets) {
    const reads = { n: 0 };
    const devices = store.graph.devices.bind(store.graph);
    store.graph.devices = (...a) => {
      reads.n++;
      return devices(...a);
    };
    const got = await outcome(compromise(deps(store), t));
    store.graph.devices = devices;
    assert.deepEqual(got, await outcome(compromise(deps(store), t, { graph })), t);
    if (reads.n === 0) fast++;
    else assert.match(t, /^(credential|provider):/, `${t} took the graph`);
  }
  return fast;
}

describe("whatif fast path (SQLite)", () => {
  let store: Store;
  before(async () => {
    store = openSqliteStore(":memory:");
    await seedFleet(store);
  });
  after(() => store.close());

  it("every node's report, and every not-found, equals the graph's; only credential and provider targets read the fleet", async () => {
    const fast = await sameAnswers(store);
    assert.ok(fast >= 10, `${fast} targets on the fast path`);
  });
});

describe("whatif fast path (PostgreSQL)", async () => {
  const skip = await postgresAvailable();
  const db = skip ? undefined : await throwawayDatabase();
  let store: Store | undefined;
  before(async () => {
    if (!db) return;
    const url = new URL(db);
    url.searchParams.set("schema", "whatif_fast_test");
    store = await openStore(url.toString());
    await seedFleet(store);
  });
  after(async () => {
    await store?.close();
  });

  it("every node's report, and every not-found, equals the graph's", { skip }, async () => {
    assert.ok((await sameAnswers(store!)) >= 10);
  });
});
