/**
 * The database fast path of `whatif compromise` (counts by GROUP BY over the affected rows) gives exactly the report
 * the in-memory fleet graph gives, for every node of the seeded fleet and the not-found answers, on SQLite and
 * PostgreSQL — the per-device list (`--devices`) included; and it does not read the fleet's devices one by one. The ranking
 * counted in the database equals the one over the graph.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RespondDeps } from "../../src/respond/context.ts";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import { openStore } from "../../src/store/open.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store } from "../../src/store/store.ts";
import { compromise } from "../../src/whatif/compromise.ts";
import { buildGraph } from "./graph.ts";
import { compromiseOnGraph } from "./graph-compromise.ts";
import { RANKABLE_KINDS, rankAll } from "../../src/whatif/rank.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { rankOnGraph } from "./graph-rank.ts";
import { CA_X, MORE_CREDENTIALS, seedFleet } from "./fleet.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const deps = (store: Store): RespondDeps => ({ store, settings: RespondSettingsSchema.parse({}), env: {}, now: () => NOW });
const EXTRA = ["credential:trk-2/ssh/admin", "credential:gw-3/ssh/admin", "credential:model:tracker/http/admin", "credential:trk-8/http/admin", "credential:ghost-1/ssh/admin", "credential:model:nosuch/telnet/root", "credential:trk-0/ssh/nobody", "provider:20801", "provider:262010", "provider:iot.acme", "provider:nope.apn", "ca:CN=Acme Device CA,O=Acme", "ca:CN=Nobody", `ca:${CA_X}`, "model:gateway", "component:openssl", "component:pkg:deb/debian/openssl", "endpoint:.acme.example", "endpoint:mqtt.acme.example:8883", "firmware:tracker@9.9", "model:nope", `cert:${"0".repeat(63)}f`, `ca:${"ab".repeat(32)}`, "component:nothing@1"];

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * The store, counting every use of `graph.devices` (the whole fleet, device by device). A proxy around the store,
 * because the store's repositories are proxies that keep the methods they handed out: a method assigned on them later
 * is never called.
 */
function countingDeviceReads(store: Store, reads: { n: number }): Store {
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop !== "graph") return typeof value === "function" ? value.bind(target) : value;
      return new Proxy(value as Store["graph"], {
        get(g, q) {
          if (q === "devices") reads.n++;
          return Reflect.get(g, q);
        },
      });
    },
  });
}

async function sameAnswers(store: Store): Promise<number> {
  // The ranking counted in the database is the graph's, whole, with a minimum, and cut per kind.
  assert.deepEqual(await rankAll(store, { kinds: RANKABLE_KINDS }), await rankOnGraph(store, { kinds: RANKABLE_KINDS }));
  assert.deepEqual(await rankAll(store, { kinds: RANKABLE_KINDS, minDevices: 2 }), await rankOnGraph(store, { kinds: RANKABLE_KINDS, minDevices: 2 }));
  const cut = await rankAll(store, { kinds: RANKABLE_KINDS, perKind: 1 });
  const whole = await rankOnGraph(store, { kinds: RANKABLE_KINDS });
  assert.deepEqual(cut.nodes, RANKABLE_KINDS.flatMap((k) => whole.nodes.filter((n) => n.kind === k).slice(0, 1)).sort((a, b) => whole.nodes.indexOf(a) - whole.nodes.indexOf(b)));
  assert.deepEqual(cut.counted, whole.counted);
  const targets = [...new Set([...whole.nodes.map((n) => n.target), ...EXTRA])];
  const graph = await buildGraph(store, ["certificates", "credentials", "components"]);
  let fast = 0;
  for (const t of targets) {
    const reads = { n: 0 };
    const watched = countingDeviceReads(store, reads);
    const got = await outcome(compromise(deps(watched), t));
    // The per-device list too (`--devices`): streamed from the store, the same devices in the same order.
    const listed = await outcome(compromise(deps(watched), t, { devices: true }));
    assert.deepEqual(got, await outcome(compromiseOnGraph(deps(store), t, { graph })), t);
    assert.deepEqual(listed, await outcome(compromiseOnGraph(deps(store), t, { graph, devices: true })), `${t} --devices`);
    if (reads.n === 0) fast++;
    else assert.fail(`${t} took the graph`);
  }
  return fast;
}

describe("whatif fast path (SQLite)", () => {
  let store: Store;
  before(async () => {
    store = openSqliteStore(":memory:");
    await seedFleet(store);
    await store.fleet.upsertCredentials(MORE_CREDENTIALS);
  });
  after(() => store.close());

  it("every node's report, and every not-found, equals the graph's; none reads the fleet device by device", async () => {
    const fast = await sameAnswers(store);
    assert.ok(fast >= 40, `${fast} targets on the fast path`);
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
    await store.fleet.upsertCredentials(MORE_CREDENTIALS);
  });
  after(async () => {
    await store?.close();
  });

  it("every node's report, and every not-found, equals the graph's", { skip }, async () => {
    assert.ok((await sameAnswers(store!)) >= 40);
  });
});

/**
 * The credential ranking on the two ways PostgreSQL counts it — no credential naming a device that is not in the fleet
 * (nobody asked per device) and some that do — and with one device holding a secret twice (a device row that also
 * names its model: two rows of one device in one secret, counted once): the graph's every time, on both engines.
 */
async function sameCredentialRanking(store: Store): Promise<void> {
  const same = async (what: string) => {
    for (const opts of [{}, { minDevices: 2 }]) assert.deepEqual(await rankAll(store, { kinds: ["credential"], ...opts }), await rankOnGraph(store, { kinds: ["credential"], ...opts }), `${what} ${JSON.stringify(opts)}`);
    // Cut in the database (its LIMIT): the whole ranking's first nodes, and every node counted.
    const whole = await rankOnGraph(store, { kinds: ["credential"] });
    for (const k of [1, 2]) {
      const cut = await rankAll(store, { kinds: ["credential"], perKind: k });
      assert.deepEqual(cut, { ...whole, nodes: whole.nodes.slice(0, k) }, `${what} perKind ${k}`);
    }
  };
  await seedFleet(store);
  await same("every holder in the fleet");
  await store.fleet.upsertCredentials([{ device_id: "trk-0", model_id: "tracker", service: "ssh", username: "admin", secret: { kind: "keyed", digest: "lwk1$shared" } }]);
  const twice = await rankAll(store, { kinds: ["credential"] });
  assert.equal(twice.nodes.find((n) => n.target === "credential:trk-0/ssh/admin")?.devices, 3, "trk-0, trk-1 and gw-0, trk-0 once");
  await same("a device holding a secret twice");
  await store.fleet.upsertCredentials(MORE_CREDENTIALS);
  await same("holders not in the fleet");
}

describe("whatif credential ranking (SQLite)", () => {
  it("equals the graph's with and without holders outside the fleet", async () => {
    const store = openSqliteStore(":memory:");
    await sameCredentialRanking(store);
    await store.close();
  });
});

describe("whatif credential ranking (PostgreSQL)", async () => {
  const skip = await postgresAvailable();
  const db = skip ? undefined : await throwawayDatabase();
  it("equals the graph's with and without holders outside the fleet", { skip }, async () => {
    const url = new URL(db!);
    url.searchParams.set("schema", "whatif_rank_credentials_test");
    const store = await openStore(url.toString());
    await sameCredentialRanking(store);
    await store.close();
  });
});
