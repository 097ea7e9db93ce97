/**
 * Playbooks run by several processes on one store (the service, `longwatch worker`s, `respond run`): each is played
 * here by its own store connection, on a SQLite file and on PostgreSQL, all handling the same alerts at once. One
 * alert gets one response between them, and the automatic budget is spent once, not once per process.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { respondTo, sweep } from "../../src/respond/automatic.ts";
import type { RespondDeps } from "../../src/respond/context.ts";
import { confirm } from "../../src/respond/engine.ts";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import { openStore } from "../../src/store/open.ts";
import { type ResponseRepository, serializeDevice, type Store } from "../../src/store/store.ts";
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

// A reversible command that writes down every call, so a reversal run twice shows.
const calls = tmpDir();
const script = calls.write("fw.sh", `#!/bin/sh\necho "$@" >> ${calls.dir}/calls.log\nexit 0\n`);
chmodSync(script, 0o755);
const fwSettings = RespondSettingsSchema.parse({
  automatic: { enabled: true, budget: { devices: 10, per: "1h" }, ttl: "1h" },
  connectors: { commands: { fw: { path: script, args: ["block", "{device_id}"], reverse_args: ["unblock", "{device_id}"] } } },
  playbooks: [{ name: "fw", when: { detector: ["ddos-participation"], severity: "high" }, action: "command-reversible", params: { command: "fw" }, mode: "automatic" }],
});
const ROOT = join(import.meta.dirname, "..", "..");

/** `longwatch respond sweep` as its own process, at the given time (LONGWATCH_NOW), with the fw command configured. */
function sweepProcess(url: string, config: string, at: number): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), "--store", url, "respond", "--config", config, "sweep"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LONGWATCH_NOW: new Date(at).toISOString(), NO_COLOR: "1" } });
  let out = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => p.once("exit", (code) => resolve({ code, out })));
}

const callLines = (word: string) => (existsSync(`${calls.dir}/calls.log`) ? readFileSync(`${calls.dir}/calls.log`, "utf8").split("\n").filter((l) => l.startsWith(`${word} `)) : []);

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

    it("a time-to-live reversal happens once when several processes sweep at once", async () => {
      const stores = await connections(url(), 3);
      const at = (s: Store, ms: number): RespondDeps => ({ store: s, settings: fwSettings, env: {}, now: () => ms });
      const t0 = Date.now();
      const out = await respondTo(at(stores[0]!, t0), { alerts: ["d-1", "d-2"].map(alert) });
      assert.equal(out.applied.length, 2);
      const before = callLines("unblock").length;
      // The service's timer, a worker's and a hand-run `respond sweep`, two hours later, all at once.
      const later = t0 + 2 * 3_600_000;
      const sweeps = await Promise.all(stores.flatMap((s) => [sweep(at(s, later)), sweep(at(s, later))]));
      const unblocked = callLines("unblock").slice(before);
      assert.deepEqual(unblocked.sort(), ["unblock d-1", "unblock d-2"], "each reverse command ran once");
      assert.equal(sweeps.reduce((n, s) => n + s.reversed.length, 0), 2, "two reversals between them");
      assert.deepEqual(sweeps.flatMap((s) => s.errors), [], "the others found nothing left to do: not an error");
      const log = [];
      for await (const page of stores[0]!.responses.log()) log.push(...page);
      assert.equal(log.filter((e) => e.event === "reversed").length, 2, "the log says reversed once per response");
      for (const r of out.applied) assert.equal((await stores[1]!.responses.get(r.id))!.state, "reversed");
    });

    it("two hand-run `respond sweep` processes at once reverse each response once", async () => {
      const u = url();
      const stores = await connections(u, 1);
      const t0 = Date.now();
      const out = await respondTo({ store: stores[0]!, settings: fwSettings, env: {}, now: () => t0 }, { alerts: ["d-4", "d-5"].map(alert) });
      assert.equal(out.applied.length, 2);
      // The same command as the library's settings, as a config file; its reverse takes a while, widening the race.
      const slow = calls.write("fw-slow.sh", `#!/bin/sh\necho "$@" >> ${calls.dir}/calls.log\n[ "$1" = unblock ] && sleep 1\nexit 0\n`);
      chmodSync(slow, 0o755);
      const config = calls.write(`sweep-${engine}.yaml`, ["respond:", "  automatic: { enabled: true, ttl: 1h }", `  connectors: { commands: { fw: { path: "${slow}", args: [block, "{device_id}"], reverse_args: [unblock, "{device_id}"] } } }`, ""].join("\n"));
      const before = callLines("unblock").length;
      const later = t0 + 2 * 3_600_000;
      const runs = await Promise.all([sweepProcess(u, config, later), sweepProcess(u, config, later)]);
      assert.deepEqual(runs.map((r) => r.code), [0, 0], runs.map((r) => r.out).join("\n---\n"));
      assert.deepEqual(callLines("unblock").slice(before).sort(), ["unblock d-4", "unblock d-5"], `each reverse command ran once:\n${runs.map((r) => r.out).join("\n---\n")}`);
      const said = runs.map((r) => Number(/Reversed (\d+)/.exec(r.out)?.[1] ?? NaN));
      assert.equal(said[0]! + said[1]!, 2, runs.map((r) => r.out).join("\n---\n"));
      for (const r of out.applied) assert.equal((await stores[0]!.responses.get(r.id))!.state, "reversed");
    });

    it("a confirmation that lands while a sweep runs keeps the response", async () => {
      const stores = await connections(url(), 2);
      const at = (s: Store, ms: number): RespondDeps => ({ store: s, settings: fwSettings, env: {}, now: () => ms });
      const t0 = Date.now();
      const [r] = (await respondTo(at(stores[0]!, t0), { alerts: [alert("d-3")] })).applied;
      const later = t0 + 2 * 3_600_000;
      // The sweep lists it as expired; a person confirms it (another process) before the sweep reaches it.
      const repo = stores[1]!.responses;
      const expired: ResponseRepository["expired"] = async (now) => {
        const listed = await repo.expired(now);
        assert.ok(listed.some((x) => x.id === r!.id));
        await confirm(at(stores[0]!, later), "alice", r!.id);
        return listed;
      };
      const responses = new Proxy(repo, { get: (t, p) => (p === "expired" ? expired : (Reflect.get(t, p) as unknown)) });
      const sweeper = new Proxy(stores[1]!, { get: (t, p) => (p === "responses" ? responses : (Reflect.get(t, p) as unknown)) });
      const s = await sweep(at(sweeper, later));
      assert.deepEqual([s.reversed.length, s.errors.length], [0, 0]);
      assert.equal((await stores[0]!.responses.get(r!.id))!.state, "verified", "the confirmed response stays");
      assert.deepEqual(callLines("unblock").filter((l) => l === "unblock d-3"), []);
    });
  });
}
