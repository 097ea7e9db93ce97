/**
 * Generated from the route table: every operation refuses a request without credentials, with a revoked, expired,
 * unknown or malformed token (401) and with a role below its own (403), and lets its role through. A new route is
 * covered without touching this file.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ROLES, roleAllows } from "../../src/core/roles.ts";
import { createToken, revokeToken } from "../../src/serve/auth/tokens.ts";
import { allRoutes } from "../../src/serve/http/routes/index.ts";
import { startTestService } from "../helpers/serve.ts";

const svc = await startTestService();
const revoked = await createToken(svc.store, { name: "gone", role: "admin", by: "test", now: Date.now() });
await revokeToken(svc.store, "gone", Date.now());
const expired = await createToken(svc.store, { name: "old", role: "admin", expiresInMs: 60_000, by: "test", now: Date.now() - 120_000 });
const unknown = `lw_${"A".repeat(43)}`;

const concrete = (path: string) => path.replace(/\{\w+\}/g, "x");
const bodyFor = (method: string) => (method === "GET" || method === "DELETE" ? {} : { json: {} });
/** The body as text; an event stream never ends, so its body is cancelled once the status and headers are in. */
const textOf = async (res: Response) => {
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    await res.body?.cancel();
    return "";
  }
  return res.text();
};

describe("every route checks credentials and roles", () => {
  it("only health, readiness and signing in are public", () => {
    assert.deepEqual(allRoutes.filter((r) => r.role === "public").map((r) => r.id).sort(), ["health.live", "health.ready", "session.create"]);
  });

  for (const r of allRoutes.filter((x) => x.role !== "public")) {
    it(`${r.method} ${r.path} (${r.id}, ${r.role})`, async () => {
      const path = concrete(r.path);
      for (const [what, token] of [["no token", null], ["revoked", revoked.token], ["expired", expired.token], ["unknown", unknown], ["malformed", "hello"]] as const) {
        const res = await svc.fetch(path, { method: r.method, token, ...bodyFor(r.method) });
        const text = await textOf(res);
        assert.equal(res.status, 401, `${what}: ${text}`);
        assert.equal(res.headers.get("content-type"), "application/problem+json");
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="longwatch"');
        const p = JSON.parse(text) as { code: string; detail: string };
        assert.equal(p.code, "unauthenticated");
        if (what === "revoked" || what === "expired") assert.match(p.detail, new RegExp(what), "the holder is told why, so they know to get a new one");
      }
      for (const role of ROLES) {
        const res = await svc.fetch(path, { method: r.method, token: svc.tokens[role], ...bodyFor(r.method) });
        const text = await textOf(res);
        if (roleAllows(role, r.role as typeof role)) assert.ok(res.status !== 401 && res.status !== 403 && res.status !== 500, `${role} may call ${r.id}: got ${res.status} ${text}`);
        else {
          assert.equal(res.status, 403, `${role} may not call ${r.id}`);
          assert.equal((JSON.parse(text) as { code: string }).code, "forbidden");
        }
      }
    });
  }

  it("logs why a token was refused, without the token", () => {
    const refused = svc.logs.filter((l) => l.msg === "request refused");
    assert.ok(refused.some((l) => l.reason === "revoked") && refused.some((l) => l.reason === "expired") && refused.some((l) => l.reason === "unknown"));
    const all = JSON.stringify(svc.logs);
    for (const t of [revoked.token, expired.token, ...Object.values(svc.tokens)]) assert.ok(!all.includes(t), "no token in the logs");
  });
});
