/** `longwatch whatif` as a user runs it: a ranking, one compromise in each output format, and the errors. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { storedRanking } from "../../src/whatif/stored.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { CA_X, seedFleet } from "../whatif/fleet.ts";
import { cli } from "./run-cli.ts";

describe("longwatch whatif", () => {
  const t = tmpDir();
  const db = `${t.dir}/lw.db`;
  const run = (args: string[]) => cli(["--store", `sqlite:${db}`, "whatif", ...args], { LONGWATCH_NOW: "2026-11-25T12:00:00Z" }, t.dir);

  before(async () => {
    const s = openSqliteStore(db);
    await seedFleet(s);
    await s.close();
  });

  it("--all stores the whole ranking with its time, for the dashboard and API; --no-save leaves the store as it was", async () => {
    assert.equal((await run(["--all", "--no-save", "--limit", "1"])).code, 0);
    let s = openSqliteStore(db);
    assert.equal((await storedRanking(s)).computed_at, null);
    await s.close();
    const r = await run(["--all", "--limit", "1", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { nodes: unknown[] }).nodes.length, 1);
    s = openSqliteStore(db);
    const stored = await storedRanking(s, { limit: 1000 });
    await s.close();
    assert.equal(stored.computed_at, "2026-11-25T12:00:00.000Z");
    assert.deepEqual(stored.kinds.map((k) => k.source), ["whatif", "whatif", "whatif", "whatif", "whatif"]);
    assert.ok(stored.nodes.length > 10, "stored whole, not cut to --limit");
    assert.equal(stored.nodes[0]!.target, `ca:${CA_X}`);
  });

  it("--all prints the ranking with the target to ask about next", async () => {
    const r = await run(["--all", "--limit", "3"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Largest blast radius in a fleet of 20 devices/);
    assert.match(r.stdout, new RegExp(`ca\\s+CN=Acme Device CA,O=Acme\\s+10\\s+50.0 %\\s+ca:${CA_X}`));
    assert.equal(r.stdout.split("\n").filter((l) => / %/.test(l)).length, 3);
    const j = JSON.parse((await run(["--kinds", "model,provider", "--format", "json"])).stdout) as { nodes: { kind: string }[] };
    assert.deepEqual([...new Set(j.nodes.map((n) => n.kind))].sort(), ["model", "provider"]);
  });

  it("compromise: table, JSON, NDJSON (one line per device) and HTML", async () => {
    const table = await run(["compromise", "credential:model:meter/telnet/root"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /6 of 20 devices fall \(30\.0 % of the fleet\)/);
    assert.match(table.stdout, /no 6/);
    assert.match(table.stdout, /credential-rotate on 1 credential/);
    assert.match(table.stdout, /6 device\(s\) cannot be fixed over the air/);
    const json = JSON.parse((await run(["compromise", "firmware:tracker@2.0", "--format", "json"])).stdout) as { affected: { devices: number }; devices?: unknown };
    assert.equal(json.affected.devices, 8);
    assert.equal(json.devices, undefined);
    const nd = (await run(["compromise", "model:gateway", "--format", "ndjson"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; device_id?: string });
    assert.deepEqual(nd.map((x) => x.type), ["summary", "device", "device", "device", "device"]);
    assert.equal(nd[1]!.device_id, "gw-0");
    const h = await run(["compromise", `ca:${CA_X}`, "--format", "html", "--out", "ca.html"]);
    assert.equal(h.code, 0, h.stderr);
    const html = readFileSync(`${t.dir}/ca.html`, "utf8");
    assert.match(html, /<h1>What if ca:[0-9a-f]{64} is compromised\?<\/h1>/);
    assert.match(html, /cert-revoke<\/strong> on 10 certificate/);
    assert.ok(!html.includes(String.fromCharCode(27)), "no colour codes in a file");
  });

  it("errors: a malformed target is a usage error, an unknown one not found, a missing store says what to run", async () => {
    const bad = await run(["compromise", "firmware:tracker"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /write firmware:MODEL@VERSION/);
    const missing = await run(["compromise", "model:nope"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no device of model nope/);
    const none = await cli(["--store", `sqlite:${t.dir}/none.db`, "whatif", "--all"], {}, t.dir);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /import an inventory/);
  });
});
