/**
 * Playbooks run by several processes on one store (the service, `longwatch worker`s, `respond run`): each is played
 * here by its own store connection, on a SQLite file and on PostgreSQL, all handling the same alerts at once. One
 * alert gets one response between them, and the automatic budget is spent once, not once per process.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { respondTo } from "../../src/respond/automatic.ts";
import type { RespondDeps } from "../../src/respond/context.ts";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import { openStore } from "../../src/store/open.ts";
import { serializeDevice, type Store } from "../../src/store/store.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";

const pgMissing = await postgresAvailable();
const pgDb = pgMissing ? "" : await throwawayDatabase();
const settings = RespondSettingsSchema.parse({
  automatic: { enabled: true, budget: { devices: 2, per: "1h" }, ttl: "1h" },
  connectors: { commands: { fix: { path: "/bin/true", args: ["{device_id}"], reverse_args: ["{device_id}"] } } },
  playbooks: [{ name: "fix", when: { detector: ["ddos-participation"], severity: "high" }, action: "command-reversible", params: { command: "fix" }, mode: "automatic" }],
});
const alert = (device: string): Alert => ({ id: `a-${device}`, detector: "ddos-participation", device_id: device, key: "k", severity: "high", confidence: 0.9, first_seen: "2026-11-01T00:00:00Z", last_seen: "2026-11-01T00:05:00Z", count: 1, summary: "s", action: "a", evidence: {}, state: "open", verification: "unknown" });

/** `n` connections to one store, with devices d-0 … d-5 imported. */
async function connections(url: string, n: number): Promise<Store[]> {
  const stores: Store[] = [];
  for (let i = 0; i < n; i++) stores.push(await openStore(url));
  after(() => Promise.all(stores.map((s) => s.close())));
  await importRows(stores[0]!, Array.from({ length: 6 }, (_, i) => serializeDevice({ device_id: `d-${i}`, model_id: "m1" })));
  return stores;
}

const depsOf = (store: Store): RespondDeps => ({ store, settings, env: {}, now: Date.now });

for (const engine of ["sqlite", "postgres"] as const) {
  describe(`playbooks from several processes on one ${engine} store`, { skip: engine === "postgres" ? pgMissing : undefined }, () => {
    let schema = 0;
    const url = () => {
      if (engine === "sqlite") return `sqlite:${tmpDir().dir}/lw.db`;
      const u = new URL(pgDb);
      u.searchParams.set("schema", `shared${++schema}`);
      return u.toString();
    };

    it("one alert handled by three processes at once gets one response", async () => {
      const stores = await connections(url(), 3);
      const outs = await Promise.all(stores.flatMap((s) => [respondTo(depsOf(s), { alerts: [alert("d-0")] }), respondTo(depsOf(s), { alerts: [alert("d-0")] })]));
      const all = await stores[0]!.responses.list({ target_id: "d-0" });
      assert.equal(all.length, 1, `responses: ${all.map((r) => `${r.id} ${r.state}`).join(", ")}`);
      assert.equal(all[0]!.state, "verified");
      assert.equal(outs.reduce((n, o) => n + o.applied.length, 0), 1);
      assert.equal(outs.reduce((n, o) => n + o.skipped.length, 0), 5, "the others say why they did nothing");
      assert.deepEqual(outs.flatMap((o) => o.errors), []);
    });

    it("the budget of two devices an hour holds across processes applying at once", async () => {
      const stores = await connections(url(), 2);
      const devices = ["d-1", "d-2", "d-3", "d-4", "d-5"];
      const outs = await Promise.all([respondTo(depsOf(stores[0]!), { alerts: devices.map(alert) }), respondTo(depsOf(stores[1]!), { alerts: [...devices].reverse().map(alert) })]);
      const applied = outs.flatMap((o) => o.applied);
      assert.equal(applied.length, 2, `applied to ${applied.map((r) => r.target.id).join(", ")}`);
      assert.equal(await stores[1]!.responses.automaticTargetsSince(new Date(Date.now() - 3_600_000).toISOString()), 2);
      const waiting = outs.flatMap((o) => o.waiting);
      assert.ok(waiting.length >= 3 && waiting.every((w) => w.code === "budget"), JSON.stringify(waiting.map((w) => w.why)));
      for (const d of devices) assert.equal((await stores[0]!.responses.list({ target_id: d })).length, 1, `one response for ${d}`);
    });
  });
}
