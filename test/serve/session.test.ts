/**
 * Dashboard sign-in over real HTTP(S): the session cookie's flags, CSRF on changes, sign-out, account passwords
 * (scrypt), the rate limit on failed sign-ins (per address and per username), and HTTPS with --tls-cert/--tls-key.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { request } from "node:https";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hashPassword } from "../../src/serve/auth/secrets.ts";
import { startTestService } from "../helpers/serve.ts";
import { tmpDir } from "../helpers/tmp.ts";

const svc = await startTestService({ config: { login: { max_failures: 3, window_minutes: 15 } } });
await svc.store.access.putAccount({ username: "alice", role: "analyst", password_hash: await hashPassword("correct horse battery") }, new Date().toISOString());
await svc.store.alerts.upsert([{ id: "al-1", detector: "volume-anomaly", device_id: "d1", key: "k", severity: "high", confidence: 0.9, first_seen: "2026-03-01T10:00:00Z", last_seen: "2026-03-01T10:00:00Z", count: 1, summary: "s", action: "a", evidence: {}, state: "open", verification: "unknown" }], "2026-03-01T10:00:00Z");

async function signIn(body: unknown): Promise<Response> {
  return fetch(`${svc.url}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
const cookieOf = (r: Response) => r.headers.get("set-cookie")!.split(";")[0]!;

describe("sessions", () => {
  it("signs in with a token: HttpOnly, SameSite=Strict, not Secure over plain HTTP; the CSRF token guards changes", async () => {
    const r = await signIn({ token: svc.tokens.analyst });
    assert.equal(r.status, 201);
    const set = r.headers.get("set-cookie")!;
    assert.match(set, /^lw_session=lw_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const { csrf_token, principal } = (await r.json()) as { csrf_token: string; principal: { name: string; role: string } };
    assert.deepEqual([principal.name, principal.role], ["t-analyst", "analyst"]);
    const cookie = cookieOf(r);
    const who = await fetch(`${svc.url}/api/v1/whoami`, { headers: { cookie } });
    assert.equal(who.status, 200);
    const ack = (headers: Record<string, string>) => fetch(`${svc.url}/api/v1/alerts/al-1/ack`, { method: "POST", headers: { cookie, "content-type": "application/json", ...headers }, body: "{}" });
    assert.equal((await ack({})).status, 403, "no CSRF token");
    assert.equal((await ack({ "x-csrf-token": `lw_${"x".repeat(43)}` })).status, 403, "a wrong CSRF token");
    assert.equal((await ack({ "x-csrf-token": csrf_token })).status, 200);
    const out = await fetch(`${svc.url}/api/v1/session`, { method: "DELETE", headers: { cookie, "x-csrf-token": csrf_token } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get("set-cookie")!, /lw_session=; .*Max-Age=0/);
    assert.equal((await fetch(`${svc.url}/api/v1/whoami`, { headers: { cookie } })).status, 401, "signed out");
  });

  it("signs in with a username and password; the account's current role applies; revoking a token ends its sessions", async () => {
    const r = await signIn({ username: "alice", password: "correct horse battery" });
    assert.equal(r.status, 201);
    const cookie = cookieOf(r);
    assert.equal(((await (await fetch(`${svc.url}/api/v1/whoami`, { headers: { cookie } })).json()) as { role: string }).role, "analyst");
    await svc.store.access.putAccount({ username: "alice", role: "viewer", password_hash: (await svc.store.access.account("alice"))!.password_hash }, new Date().toISOString());
    assert.equal(((await (await fetch(`${svc.url}/api/v1/whoami`, { headers: { cookie } })).json()) as { role: string }).role, "viewer", "a demotion applies at once");
    const t = await signIn({ token: svc.tokens.viewer });
    const tc = cookieOf(t);
    assert.equal((await svc.fetch("/api/v1/tokens/t-viewer", { method: "DELETE" })).status, 200);
    assert.equal((await fetch(`${svc.url}/api/v1/whoami`, { headers: { cookie: tc } })).status, 401);
    const audit = (await (await svc.fetch("/api/v1/audit-log?action=session.create")).json()) as { items: { actor: string }[] };
    assert.ok(audit.items.some((e) => e.actor === "alice"), "sign-ins are in the audit log under who signed in");
  });

  it("limits failed sign-ins per username, even with the right password afterwards, and says when to retry", async () => {
    await svc.store.access.putAccount({ username: "bob", role: "viewer", password_hash: await hashPassword("another long password") }, new Date().toISOString());
    for (let i = 0; i < 3; i++) assert.equal((await signIn({ username: "bob", password: "guess" + i })).status, 401);
    const r = await signIn({ username: "bob", password: "another long password" });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get("retry-after")) > 800);
    assert.equal(((await r.json()) as { code: string }).code, "rate_limited");
    const unknown = await signIn({ username: "nobody", password: "x" });
    assert.equal(unknown.status, 429, "the address has used up its failures too");
  });
});

describe("HTTPS", () => {
  it("serves TLS with the given certificate and key, marks the cookie Secure and sends HSTS", async () => {
    const t = tmpDir();
    const key = join(t.dir, "key.pem");
    const cert = join(t.dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const s = await startTestService({ tls: { cert, key } });
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = execFileSync("cat", [cert]);
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${s.url}/api/v1/session`, { method: "POST", ca, headers: { "content-type": "application/json" } }, (r) => {
        let body = "";
        r.on("data", (c: Buffer) => (body += c.toString()));
        r.on("end", () => resolve({ status: r.statusCode!, headers: r.headers, body }));
      });
      req.on("error", reject);
      req.end(JSON.stringify({ token: s.tokens.viewer }));
    });
    assert.equal(res.status, 201, res.body);
    assert.match(String(res.headers["set-cookie"]), /HttpOnly; SameSite=Strict; Max-Age=\d+; Secure/);
    assert.equal(res.headers["strict-transport-security"], "max-age=31536000");
    await assert.rejects(fetch(`${s.url}/healthz`), "a client that does not trust the certificate is refused");
  });
});
