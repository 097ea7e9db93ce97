import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LogEntry, ResponseRecord } from "../../../src/core/response.ts";
import { entryHash } from "../../../src/respond/log.ts";
import { serializeDevice, type Store } from "../../../src/store/store.ts";
import type { ContractContext } from "./context.ts";

export const response = (id: string, extra: Partial<ResponseRecord> = {}): ResponseRecord => ({
  id,
  action: "mqtt-quarantine",
  target: { kind: "device", id: "meter-1" },
  params: {},
  state: "proposed",
  mode: "manual",
  reversible: true,
  reason: "r",
  source: { kind: "person" },
  proposer: "alice",
  proposed_at: "2026-11-25T10:00:00Z",
  idempotency_key: `lw-${id}`,
  plan: { summary: "s", before: { roles: ["meter"] }, after: { roles: ["q"] }, noop: false, warnings: [] },
  warnings: [],
  version: 1,
  ...extra,
});

const entry = (event: string, extra: Partial<LogEntry> = {}) => ({ at: "2026-11-25T10:00:00Z", event, actor: "alice", response_id: "R1", action: "mqtt-quarantine", approver: null, target: { kind: "device" as const, id: "meter-1" }, before: null, after: null, key: "lw-R1", detail: null, ...extra });

async function seedFleet(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    const run = await tx.fleet.startImport("contract");
    await tx.fleet.upsertDevices(run, ["d1", "d2", "d3", "d4"].map((id, i) => serializeDevice({ device_id: id, model_id: i < 3 ? "m1" : "m2", ...(i < 2 ? { cert_fingerprint: "cd".repeat(32) } : {}) })));
    await tx.fleet.finishImport(run);
  });
  await store.fleet.upsertCredentials([
    { device_id: "d1", service: "ssh", username: "root", secret: { kind: "keyed", digest: "lwk1$a" } },
    { device_id: "d2", service: "ssh", username: "root", secret: { kind: "keyed", digest: "lwk1$a" } },
    { device_id: "d3", service: "ssh", username: "root", secret: { kind: "keyed", digest: "lwk1$b" } },
    { device_id: "d4", service: "telnet", username: "root", secret: { kind: "keyed", digest: "lwk1$a" } },
  ]);
}

export function responsesContract(c: ContractContext): void {
  describe(`responses (${c.target.name})`, () => {
    it("stores responses, refuses a write based on an old version, and round-trips Unicode and a large document", async () => {
      const store = await c.fresh();
      const big = "x".repeat(200_000);
      await store.responses.insert(response("R1", { reason: "Zählerstand ⚡ — 电表", plan: { summary: big, before: null, after: { ok: true }, noop: false, warnings: [] } }));
      const r = (await store.responses.get("R1"))!;
      assert.equal(r.reason, "Zählerstand ⚡ — 电表");
      assert.equal(r.plan.summary.length, 200_000);
      assert.equal(await store.responses.update({ ...r, state: "approved", approver: "bob", version: 2 }), true);
      assert.equal(await store.responses.update({ ...r, state: "rejected", version: 2 }), false, "a second write from version 1 loses");
      assert.equal((await store.responses.get("R1"))!.state, "approved");
      assert.equal(await store.responses.get("nope"), undefined);
    });

    it("inserts a playbook's response unless the target is under way or the trigger answered, and spends the budget by target", async () => {
      const store = await c.fresh();
      const source = { kind: "alert" as const, id: "al-1", playbook: "pb" };
      assert.equal(await store.responses.insertUnlessAnswered(response("R1", { source, state: "failed" })), undefined);
      assert.equal(await store.responses.answered("mqtt-quarantine", "meter-1", source), undefined, "a failed response does not answer");
      assert.equal(await store.responses.insertUnlessAnswered(response("R2", { source })), undefined, "so the trigger is tried again");
      assert.equal((await store.responses.insertUnlessAnswered(response("R3", { source: { ...source, id: "al-2" } })))?.id, "R2", "the target is under way");
      await store.responses.update({ ...(await store.responses.get("R2"))!, state: "rejected", version: 2 });
      assert.equal((await store.responses.insertUnlessAnswered(response("R4", { source })))?.id, "R2", "a rejection answers the trigger");
      assert.equal(await store.responses.insertUnlessAnswered(response("R5", { source: { ...source, playbook: "other" } })), undefined, "another playbook may answer it");
      assert.deepEqual((await store.responses.list({ target_id: "meter-1" })).map((r) => r.id).sort(), ["R1", "R2", "R5"]);

      const auto = (id: string, target: string) => response(id, { mode: "automatic", target: { kind: "device", id: target } });
      for (const [id, t] of [["A1", "d1"], ["A2", "d2"], ["A3", "d1"], ["A4", "d3"]] as const) await store.responses.insert(auto(id, t));
      const start = async (id: string) => {
        const r = (await store.responses.get(id))!;
        return store.responses.startAutomatic({ ...r, applied_at: "2026-11-25T10:30:00Z", version: r.version + 1 }, "2026-11-25T10:00:00Z", 2);
      };
      assert.equal(await start("A1"), "started");
      assert.equal(await start("A2"), "started");
      assert.equal(await start("A3"), "started", "d1 is counted already: no new place taken");
      assert.deepEqual(await start("A4"), { used: 2 });
      assert.equal((await store.responses.get("A4"))!.applied_at, undefined, "over the budget nothing is stored");
      const a1 = (await store.responses.get("A1"))!;
      assert.equal(await store.responses.startAutomatic({ ...a1, version: a1.version }, "2026-11-25T10:00:00Z", 5), "conflict", "an old version loses");
    });

    it("lists newest first with filters, finds responses under way, counts automatic targets and expired TTLs", async () => {
      const store = await c.fresh();
      await store.responses.insert(response("R1", { proposed_at: "2026-11-25T10:00:00Z" }));
      await store.responses.insert(response("R2", { proposed_at: "2026-11-25T11:00:00Z", action: "sim-suspend", state: "verified", mode: "automatic", applied_at: "2026-11-25T11:00:00Z", ttl_expires_at: "2026-11-25T13:00:00Z" }));
      await store.responses.insert(response("R3", { proposed_at: "2026-11-25T12:00:00Z", target: { kind: "device", id: "meter-2" }, state: "verified", mode: "automatic", applied_at: "2026-11-25T12:00:00Z", ttl_expires_at: "2026-11-25T14:00:00Z" }));
      await store.responses.insert(response("R4", { proposed_at: "2026-11-25T12:30:00Z", state: "reversed", mode: "automatic", applied_at: "2026-11-25T12:30:00Z" }));
      assert.deepEqual((await store.responses.list()).map((r) => r.id), ["R4", "R3", "R2", "R1"]);
      assert.deepEqual((await store.responses.list({ state: "verified" })).map((r) => r.id), ["R3", "R2"]);
      assert.deepEqual((await store.responses.list({ action: "sim-suspend" })).map((r) => r.id), ["R2"]);
      assert.deepEqual((await store.responses.list({ target_id: "meter-2" })).map((r) => r.id), ["R3"]);
      assert.equal((await store.responses.list({ limit: 2 })).length, 2);
      assert.equal((await store.responses.openFor("mqtt-quarantine", "meter-1"))!.id, "R1");
      assert.equal(await store.responses.openFor("mqtt-disable", "meter-1"), undefined);
      assert.equal(await store.responses.automaticTargetsSince("2026-11-25T11:30:00Z"), 2, "R3 and R4: distinct targets meter-2 and meter-1");
      assert.deepEqual((await store.responses.expired("2026-11-25T13:30:00Z")).map((r) => r.id), ["R2"]);
      const r2 = (await store.responses.get("R2"))!;
      await store.responses.update({ ...r2, confirmed_by: "bob", version: 2 });
      assert.deepEqual((await store.responses.expired("2026-11-25T15:00:00Z")).map((r) => r.id), ["R3"], "a confirmed one never expires");
    });

    it("appends a hash chain in order and pages it", async () => {
      const store = await c.fresh();
      const written = [];
      for (let i = 0; i < 25; i++) written.push(await store.responses.appendLog(entry(i % 2 ? "approved" : "proposed", { detail: { i, text: "ünï" } }), entryHash));
      assert.deepEqual(written.map((e) => e.seq), Array.from({ length: 25 }, (_, i) => i + 1));
      assert.equal(written[0]!.prev_hash, "");
      for (let i = 1; i < 25; i++) assert.equal(written[i]!.prev_hash, written[i - 1]!.hash);
      const { hash, ...rest } = written[7]!;
      assert.equal(entryHash(rest), hash);
      const pages: LogEntry[][] = [];
      for await (const p of store.responses.log(10)) pages.push(p);
      assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
      assert.deepEqual(pages.flat(), written);
    });

    it("writes the log with the transaction it is in, and not when the transaction rolls back", async () => {
      const store = await c.fresh();
      await store.responses.appendLog(entry("proposed"), entryHash);
      await assert.rejects(store.transaction(async (tx) => {
        await tx.responses.appendLog(entry("approved"), entryHash);
        await tx.responses.insert(response("RX"));
        throw new Error("boom");
      }));
      const all: LogEntry[] = [];
      for await (const p of store.responses.log()) all.push(...p);
      assert.equal(all.length, 1);
      assert.equal(await store.responses.get("RX"), undefined);
      const next = await store.responses.appendLog(entry("approved"), entryHash);
      assert.equal(next.seq, 2);
      assert.equal(next.prev_hash, all[0]!.hash);
    });

    it("keeps settings", async () => {
      const store = await c.fresh();
      assert.equal(await store.responses.setting("automatic.paused"), undefined);
      await store.responses.setSetting("automatic.paused", { paused: true, by: "alice" });
      await store.responses.setSetting("automatic.paused", { paused: false });
      assert.deepEqual(await store.responses.setting("automatic.paused"), { paused: false });
    });

    it("revokes certificates with what the store knows of them, and keeps rotation tasks", async () => {
      const store = await c.fresh();
      await seedFleet(store);
      const fp = "cd".repeat(32);
      assert.deepEqual(await store.responses.certificateDevices(fp), ["d1", "d2"]);
      assert.deepEqual(await store.responses.revoke(fp, "keyCompromise", "R1", "2026-11-25T10:00:00Z"), { alreadyRevoked: false });
      assert.deepEqual(await store.responses.revoke(fp, "superseded", "R2", "2026-11-25T11:00:00Z"), { alreadyRevoked: true });
      const [rv] = await store.responses.revoked();
      assert.deepEqual({ ...rv }, { fingerprint: fp, reason: "keyCompromise", revoked_at: "2026-11-25T10:00:00Z", response_id: "R1", devices: ["d1", "d2"] });
      assert.deepEqual(await store.responses.revoked("ef".repeat(32)), []);
      assert.equal(await store.responses.unrevoke(fp), true);
      assert.equal(await store.responses.unrevoke(fp), false);

      assert.deepEqual(await store.responses.devicesSharingCredential("d1/ssh/root"), ["d1", "d2"], "same service, username and secret; not d3 (other secret) nor d4 (other service)");
      assert.deepEqual(await store.responses.devicesSharingCredential("model:m1/ssh/root"), ["d1", "d2", "d3"]);
      assert.deepEqual(await store.responses.devicesSharingCredential("nobody/ssh/root"), []);
      assert.deepEqual(await store.responses.devicesSharingCredential("garbage"), []);
      const t = await store.responses.openTask({ credential: "d1/ssh/root", devices: ["d1", "d2"], reason: "shared", responseId: "R3", at: "2026-11-25T10:00:00Z" });
      assert.equal(t.existing, false);
      assert.deepEqual(await store.responses.openTask({ credential: "d1/ssh/root", devices: [], reason: "again", responseId: "R4", at: "t" }), { id: t.id, existing: true });
      assert.equal(await store.responses.closeTask(t.id, "done", "2026-11-26T10:00:00Z"), true);
      assert.equal(await store.responses.closeTask(t.id, "again", "x"), false);
      const [task] = await store.responses.tasks({ id: t.id });
      assert.deepEqual({ ...task }, { id: t.id, credential: "d1/ssh/root", devices: ["d1", "d2"], reason: "shared", state: "closed", response_id: "R3", opened_at: "2026-11-25T10:00:00Z", closed_at: "2026-11-26T10:00:00Z", note: "done" });
      assert.deepEqual(await store.responses.tasks({ state: "open" }), []);
    });
  });
}
