import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLongwatchError } from "../../../src/core/errors.ts";
import type { ContractContext } from "./context.ts";

const token = (name: string, extra: Record<string, unknown> = {}) => ({ name, role: "viewer" as const, prefix: `lw_${name.slice(0, 4)}`, hash: `h-${name}-${Math.random()}`, created_by: "admin", ...extra });

export function accessContract(c: ContractContext): void {
  describe(`access (${c.target.name})`, () => {
    it("creates, finds, lists, touches and revokes tokens; one live token per name", async () => {
      const store = await c.fresh();
      assert.deepEqual(await store.access.principalCount(), { tokens: 0, accounts: 0 });
      const a = await store.access.createToken({ ...token("ci"), hash: "aa", expires_at: "2027-01-01T00:00:00.000Z" }, "2026-11-25T10:00:00.000Z");
      assert.deepEqual(a, { id: a.id, name: "ci", role: "viewer", prefix: "lw_ci", created_at: "2026-11-25T10:00:00.000Z", created_by: "admin", expires_at: "2027-01-01T00:00:00.000Z" });
      await store.access.createToken({ ...token("Zoë ✓"), role: "admin", hash: "bb" }, "2026-11-25T09:00:00.000Z");
      await assert.rejects(store.access.createToken({ ...token("ci"), hash: "cc" }, "2026-11-25T11:00:00.000Z"), (e) => isLongwatchError(e, "conflict"));
      assert.equal((await store.access.tokenByHash("aa"))?.name, "ci");
      assert.equal(await store.access.tokenByHash("zz"), undefined);
      assert.deepEqual((await store.access.tokens()).map((t) => t.name), ["Zoë ✓", "ci"]);
      await store.access.touchToken(a.id, "2026-11-25T12:00:00.000Z");
      assert.equal((await store.access.tokenByHash("aa"))?.last_used_at, "2026-11-25T12:00:00.000Z");
      const revoked = await store.access.revokeToken("ci", "2026-11-25T13:00:00.000Z");
      assert.equal(revoked?.revoked_at, "2026-11-25T13:00:00.000Z");
      assert.equal(await store.access.revokeToken("ci", "2026-11-25T13:00:00.000Z"), undefined, "nothing left to revoke");
      assert.equal((await store.access.tokenByHash("aa"))?.revoked_at, "2026-11-25T13:00:00.000Z", "a revoked token is still found, as revoked");
      assert.deepEqual((await store.access.tokens()).map((t) => t.name), ["Zoë ✓"]);
      assert.deepEqual((await store.access.tokens({ includeRevoked: true })).map((t) => t.name), ["Zoë ✓", "ci"]);
      // The name is free again once revoked; revoking by id works too.
      const again = await store.access.createToken({ ...token("ci"), hash: "dd" }, "2026-11-25T14:00:00.000Z");
      assert.equal((await store.access.revokeToken(again.id, "2026-11-25T15:00:00.000Z"))?.name, "ci");
      assert.deepEqual(await store.access.principalCount(), { tokens: 1, accounts: 0 });
    });

    it("keeps accounts with their password hash, replaces and removes them", async () => {
      const store = await c.fresh();
      const a = await store.access.putAccount({ username: "alice", role: "analyst", password_hash: "scrypt$x" }, "2026-11-25T10:00:00.000Z");
      assert.deepEqual(a, { username: "alice", role: "analyst", created_at: "2026-11-25T10:00:00.000Z", updated_at: "2026-11-25T10:00:00.000Z" });
      await store.access.putAccount({ username: "alice", role: "admin", password_hash: "scrypt$y" }, "2026-11-25T11:00:00.000Z");
      await store.access.putAccount({ username: "bob", role: "viewer", password_hash: "scrypt$z" }, "2026-11-25T11:00:00.000Z");
      assert.deepEqual(await store.access.account("alice"), { username: "alice", role: "admin", password_hash: "scrypt$y", created_at: "2026-11-25T10:00:00.000Z", updated_at: "2026-11-25T11:00:00.000Z" });
      assert.deepEqual((await store.access.accounts()).map((x) => x.username), ["alice", "bob"]);
      assert.equal("password_hash" in (await store.access.accounts())[0]!, false, "lists never carry the hash");
      assert.equal(await store.access.removeAccount("bob"), true);
      assert.equal(await store.access.removeAccount("bob"), false);
      assert.equal(await store.access.account("bob"), undefined);
      assert.deepEqual(await store.access.principalCount(), { tokens: 0, accounts: 1 });
      // A disabled account (no scrypt hash) cannot sign in, so it does not count as someone who can.
      await store.access.putAccount({ username: "alice", role: "admin", password_hash: "disabled$2026-11-25T12:00:00.000Z" }, "2026-11-25T12:00:00.000Z");
      assert.deepEqual(await store.access.principalCount(), { tokens: 0, accounts: 0 });
      assert.equal((await store.access.accounts()).length, 1, "a disabled account is still listed");
    });

    it("finds sessions until they expire and ends them one by one, per principal or when expired", async () => {
      const store = await c.fresh();
      const s = (id: string, name: string, expires: string) => ({ id_hash: id, csrf_hash: `c-${id}`, principal: { kind: "account" as const, name, role: "viewer" as const }, created_at: "2026-11-25T10:00:00.000Z", expires_at: expires });
      await store.access.createSession(s("s1", "alice", "2026-11-25T18:00:00.000Z"));
      await store.access.createSession(s("s2", "alice", "2026-11-25T11:00:00.000Z"));
      await store.access.createSession(s("s3", "bob", "2026-11-25T18:00:00.000Z"));
      assert.deepEqual(await store.access.session("s1", "2026-11-25T12:00:00.000Z"), s("s1", "alice", "2026-11-25T18:00:00.000Z"));
      assert.equal(await store.access.session("s2", "2026-11-25T12:00:00.000Z"), undefined, "expired");
      assert.equal(await store.access.deleteExpiredSessions("2026-11-25T12:00:00.000Z"), 1);
      assert.equal(await store.access.deleteSessionsOf("account", "alice"), 1);
      assert.equal(await store.access.session("s1", "2026-11-25T12:00:00.000Z"), undefined);
      assert.equal(await store.access.deleteSession("s3"), true);
      assert.equal(await store.access.deleteSession("s3"), false);
    });

    it("appends audit entries in order, filters and pages them newest first, counts them, ", async () => {
      const store = await c.fresh();
      const big = { evidence: "ü".repeat(100_000) };
      for (let i = 0; i < 25; i++) {
        await store.access.appendAudit({ at: `2026-11-25T10:${String(i).padStart(2, "0")}:00.000Z`, actor: i % 2 ? "alice" : "ci", actor_kind: "token", role: "analyst", action: i % 3 ? "alerts.ack" : "tokens.create", target_kind: "alert", target_id: `A${i}`, before: { state: "open" }, after: i === 24 ? big : { state: "acknowledged" }, request_id: `r${i}` });
      }
      const all = await store.access.audit({ limit: 100 });
      assert.equal(all.length, 25);
      assert.deepEqual(all.map((e) => e.seq), [...all.map((e) => e.seq)].sort((a, b) => b - a), "newest first");
      assert.deepEqual(all[0]!.after, big);
      const page1 = await store.access.audit({ actor: "alice", limit: 5 });
      const page2 = await store.access.audit({ actor: "alice", limit: 5, before_seq: page1[4]!.seq });
      assert.deepEqual([...page1, ...page2].map((e) => e.target_id), ["A23", "A21", "A19", "A17", "A15", "A13", "A11", "A9", "A7", "A5"]);
      assert.equal((await store.access.audit({ action: "tokens.create", since: "2026-11-25T10:10:00.000Z", until: "2026-11-25T10:20:00.000Z" })).map((e) => e.target_id).join(), "A18,A15,A12");
      assert.equal(await store.access.auditCount({ actor: "alice" }, 1000), 12);
      assert.equal(await store.access.auditCount({}, 10), 10, "counted up to the cap");
      assert.equal((await store.access.audit({ target_kind: "alert", target_id: "A3" }))[0]!.before?.constructor, Object);
    });

    it("rolls back an audit entry with the transaction it was part of", async () => {
      const store = await c.fresh();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.access.appendAudit({ at: "2026-11-25T10:00:00.000Z", actor: "a", actor_kind: "account", action: "x", target_kind: "t" });
          await tx.access.createToken(token("t1"), "2026-11-25T10:00:00.000Z");
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.deepEqual(await store.access.audit(), []);
      assert.deepEqual(await store.access.tokens(), []);
    });
  });
}
