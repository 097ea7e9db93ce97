/**
 * single-point-of-compromise findings reach devices they do not list: the API's findings groups, the overview's top
 * problems and the findings list said 0 devices for the rule. Stored (Finding.reach) and counted per scan, on both
 * engines: the group says at least the largest reach, marked `devices_at_least`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { singlePointOfCompromise } from "../../src/audit/rules/worst-case.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { audit } from "../helpers/fleet.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { startTestService } from "../helpers/serve.ts";
import { seedFleet } from "../whatif/fleet.ts";

const RULE = "single-point-of-compromise";
type Group = { rule: string; devices: number; findings: number; devices_at_least?: boolean; reach?: number };

/** Scans the seeded fleet with the rule; the widest reach of its findings. */
async function scan(store: Store): Promise<{ widest: number; count: number }> {
  await seedFleet(store);
  const { findings } = await audit(store, [singlePointOfCompromise]);
  const spc = findings.filter((f) => f.rule === RULE);
  assert.ok(spc.length > 1 && spc.every((f) => f.devices === undefined && (f.reach ?? 0) > 1));
  return { widest: Math.max(...spc.map((f) => f.reach!)), count: spc.length };
}

async function checkStore(store: Store, widest: number, count: number): Promise<void> {
  for (const q of [{}, { status: "new" as const }, { severity: "medium" as const }]) {
    const g = (await store.lists.findingGroups(q)).find((x) => x.rule === RULE);
    assert.deepEqual(g && [g.devices, g.devices_at_least, g.reach, g.findings], [widest, true, widest, count], JSON.stringify(q));
  }
  const stored: number[] = [];
  for await (const page of store.findings.current()) for (const f of page) if (f.rule === RULE) stored.push(f.reach!);
  assert.equal(stored.length, count);
  assert.equal(Math.max(...stored), widest);
  // A second scan carries nothing forward wrongly: the same counts, the findings unchanged.
  await audit(store, [singlePointOfCompromise]);
  const again = (await store.lists.findingGroups({ status: "unchanged" })).find((x) => x.rule === RULE);
  assert.deepEqual(again && [again.devices, again.devices_at_least], [widest, true]);
}

describe("findings groups count the devices a fleet-level finding reaches", () => {
  it("API: /findings/groups, /overview top problems and /findings say at least the largest reach, never 0 (SQLite)", async () => {
    const svc = await startTestService();
    const { widest } = await scan(svc.store);
    const get = async (path: string) => (await (await svc.fetch(path, { token: svc.tokens.viewer })).json()) as Record<string, unknown>;
    for (const path of ["/api/v1/findings/groups", "/api/v1/findings/groups?status=new"]) {
      const g = ((await get(path)).items as Group[]).find((x) => x.rule === RULE)!;
      assert.deepEqual([g.devices, g.devices_at_least, g.reach], [widest, true, widest], path);
    }
    const top = ((await get("/api/v1/overview")).top_problems as Group[]).find((x) => x.rule === RULE)!;
    assert.equal(top.devices, widest);
    const listed = (await get(`/api/v1/findings?rule=${RULE}`)).items as { reach?: number }[];
    assert.ok(listed.length > 0 && listed.every((f) => (f.reach ?? 0) > 1));
    // Rules whose findings list devices are exact: no lower-bound marker.
    const other = ((await get("/api/v1/findings/groups")).items as Group[]).filter((x) => x.rule !== RULE);
    assert.ok(other.every((x) => x.devices_at_least === undefined));
  });

  it("the store's counts (SQLite)", async () => {
    const store = await openStore("sqlite::memory:");
    const { widest, count } = await scan(store);
    await checkStore(store, widest, count);
    await store.close();
  });

  it("the store's counts (PostgreSQL)", async (t) => {
    if (await postgresAvailable()) return t.skip("no PostgreSQL");
    const url = new URL(await throwawayDatabase());
    url.searchParams.set("schema", "reach_test");
    const store = await openStore(url.toString());
    const { widest, count } = await scan(store);
    await checkStore(store, widest, count);
    await store.close();
  });
});
