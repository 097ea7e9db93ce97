/** Respond and what-if through the API for the responder role: four eyes across two tokens, dry run, apply with verify, reverse, the log, and what-if. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createToken } from "../../src/serve/auth/tokens.ts";
import { startTestService } from "../helpers/serve.ts";
import { CA_X, seedFleet } from "../whatif/fleet.ts";

const svc = await startTestService();
await seedFleet(svc.store);
const bob = (await createToken(svc.store, { name: "bob", role: "responder", by: "test", now: Date.now() })).token;
const alice = svc.tokens.responder;
const post = (path: string, token: string, json: unknown) => svc.fetch(path, { method: "POST", token, json });

describe("respond and what-if over the API", () => {
  it("propose → same person may not approve → another responder approves → dry run → apply verifies → reverse; all in the log", async () => {
    const p = await post("/api/v1/responses", alice, { action: "credential-rotate", target: { kind: "credential", id: "trk-0/ssh/admin" }, reason: "shared installer password" });
    assert.equal(p.status, 201, await p.clone().text());
    const r = (await p.json()) as { id: string; state: string; proposer: string; plan: { summary: string } };
    assert.equal(r.state, "proposed");
    assert.equal(r.proposer, "t-responder");
    assert.match(r.plan.summary, /3 device/);
    const self = await post(`/api/v1/responses/${r.id}/approve`, alice, {});
    assert.equal(self.status, 403);
    assert.match(((await self.json()) as { detail: string }).detail, /four eyes/);
    assert.equal((await post(`/api/v1/responses/${r.id}/approve`, bob, { note: "ok" })).status, 200);
    const dry = (await (await post(`/api/v1/responses/${r.id}/apply`, alice, {})).json()) as { executed: boolean };
    assert.equal(dry.executed, false);
    const applied = (await (await post(`/api/v1/responses/${r.id}/apply`, alice, { execute: true })).json()) as { executed: boolean; response: { state: string } };
    assert.deepEqual([applied.executed, applied.response.state], [true, "verified"]);
    assert.equal(((await (await post(`/api/v1/responses/${r.id}/reverse`, alice, { reason: "rotated by hand" })).json()) as { state: string }).state, "reversed");
    const log = (await (await svc.fetch("/api/v1/respond/log", { token: alice })).json()) as { verification: { ok: boolean }; entries: { event: string; actor: string }[] };
    assert.equal(log.verification.ok, true);
    assert.deepEqual(log.entries.map((e) => `${e.event}:${e.actor}`), ["proposed:t-responder", "approved:bob", "applied:t-responder", "verified:t-responder", "reversed:t-responder"]);
    const audit = (await (await svc.fetch("/api/v1/audit-log?page_size=100", { token: svc.adminToken })).json()) as { items: { action: string }[] };
    assert.ok(["responses.propose", "responses.approve", "responses.apply", "responses.reverse"].every((a) => audit.items.some((i) => i.action === a)), "every change is in the service's audit log");
    const listed = (await (await svc.fetch("/api/v1/responses?state=reversed", { token: alice })).json()) as { items: { id: string }[] };
    assert.deepEqual(listed.items.map((x) => x.id), [r.id]);
  });

  it("what-if: a compromise report and the ranking, for responders only", async () => {
    const res = await svc.fetch(`/api/v1/whatif/compromise?target=${encodeURIComponent(`ca:${CA_X}`)}&devices=true`, { token: alice });
    assert.equal(res.status, 200);
    const rep = (await res.json()) as { affected: { devices: number }; devices: unknown[]; plan: { action: string }[] };
    assert.equal(rep.affected.devices, 10);
    assert.equal(rep.devices.length, 10);
    assert.deepEqual(rep.plan.map((s) => s.action), ["cert-revoke", "mqtt-quarantine"]);
    const bad = await svc.fetch("/api/v1/whatif/compromise?target=firmware:nope", { token: alice });
    assert.equal(bad.status, 422);
    assert.equal(((await bad.json()) as { code: string }).code, "invalid_input");
    const rank = (await (await svc.fetch("/api/v1/whatif/ranking?limit=2", { token: alice })).json()) as { nodes: { target: string }[] };
    assert.equal(rank.nodes[0]!.target, `ca:${CA_X}`);
    assert.equal((await svc.fetch("/api/v1/whatif/ranking", { token: svc.tokens.analyst })).status, 403);
  });

  it("runs with the config file's respond settings: approval.required irreversible lets a reversible response go without a second person", async () => {
    // The default (approval of every manual response): apply before approval is refused.
    const p0 = (await (await post("/api/v1/responses", alice, { action: "credential-rotate", target: { kind: "credential", id: "trk-1/ssh/admin" }, reason: "shared installer password" })).json()) as { id: string };
    const refused = await post(`/api/v1/responses/${p0.id}/apply`, alice, { execute: true });
    assert.ok(refused.status >= 400 && refused.status < 500, `${refused.status}`);
    assert.match(((await refused.json()) as { detail: string }).detail, /approv/);
    const relaxed = await startTestService({ config: { respond: { approval: { required: "irreversible" }, automatic: { enabled: true, budget: { devices: 3, per: "2h" }, ttl: "30m" } } } });
    await seedFleet(relaxed.store);
    const t = relaxed.tokens.responder;
    const p = (await (await relaxed.fetch("/api/v1/responses", { method: "POST", token: t, json: { action: "credential-rotate", target: { kind: "credential", id: "trk-1/ssh/admin" }, reason: "shared installer password" } })).json()) as { id: string };
    const applied = await relaxed.fetch(`/api/v1/responses/${p.id}/apply`, { method: "POST", token: t, json: { execute: true } });
    assert.equal(applied.status, 200, await applied.clone().text());
    assert.equal(((await applied.json()) as { executed: boolean }).executed, true);
    await assert.rejects(startTestService({ config: { respond: { automatic: { ttl: "soon" } } } }), /respond\.automatic\.ttl: is not a duration/);
  });
});
