/**
 * Generated from the route table: every operation that changes something (each non-GET route) is called for real
 * and must leave an audit row saying who, what, when, on what, and the thing before and after where that means
 * anything. A new mutating route fails this test until it is given a call here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createToken } from "../../src/serve/auth/tokens.ts";
import { allRoutes } from "../../src/serve/http/routes/index.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { startTestService } from "../helpers/serve.ts";
import { seedFleet } from "../whatif/fleet.ts";

const svc = await startTestService({ pipeline: { detection: { idle_ms: 1e15 }, checkpoint: { interval_s: 3600 }, audit: { every_minutes: 0, on_inventory_change: false } } });
await seedFleet(svc.store);
await svc.store.alerts.upsert([sampleAlert({ id: "al-a" }), sampleAlert({ id: "al-b", device_id: "meter-43" })], "2026-03-01T11:00:00Z");
const bob = (await createToken(svc.store, { name: "bob", role: "responder", by: "test", now: Date.now() })).token;

interface Row {
  actor: string;
  action: string;
  at: string;
  target_kind: string;
  target_id?: string;
  before?: unknown;
  after?: unknown;
}
/** What the row of a call must hold: its action (default the route's id), target, and which of before/after. */
interface Expect {
  action?: string;
  target_kind: string;
  target_id?: string;
  before: boolean;
  after: boolean;
  /** A check of the after document itself. */
  check?: (after: Record<string, unknown>) => void;
}

const post = async (path: string, json: unknown, token = svc.tokens.admin) => {
  const r = await svc.fetch(path, { method: "POST", token, json });
  assert.ok(r.status < 300, `${path}: ${r.status} ${await r.clone().text()}`);
  return r.status === 204 ? null : ((await r.json()) as Record<string, unknown>);
};
const del = async (path: string) => {
  const r = await svc.fetch(path, { method: "DELETE" });
  assert.ok(r.status < 300, `${path}: ${r.status} ${await r.clone().text()}`);
};

let session: { cookie: string; csrf: string } | undefined;
let suppression = 0;
let alertSuppression = 0;
let response = "";
let rejected = "";

/** In table order where one call needs another's result (a session before signing out, a proposal before its approval). */
const calls: Record<string, () => Promise<Expect>> = {
  "session.create": async () => {
    const r = await fetch(`${svc.url}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: svc.tokens.viewer }) });
    assert.equal(r.status, 201);
    session = { cookie: r.headers.get("set-cookie")!.split(";")[0]!, csrf: ((await r.json()) as { csrf_token: string }).csrf_token };
    return { target_kind: "session", target_id: "t-viewer", before: false, after: true };
  },
  "session.delete": async () => {
    const r = await fetch(`${svc.url}/api/v1/session`, { method: "DELETE", headers: { cookie: session!.cookie, "x-csrf-token": session!.csrf } });
    assert.equal(r.status, 204);
    return { target_kind: "session", target_id: "t-viewer", before: true, after: false };
  },
  "tokens.create": async () => {
    const made = (await post("/api/v1/tokens", { name: "ci", role: "viewer" }))!;
    return { target_kind: "token", target_id: "ci", before: false, after: true, check: (a) => assert.ok(!JSON.stringify(a).includes(made.token as string), "never the token itself") };
  },
  "tokens.revoke": async () => (await del("/api/v1/tokens/ci"), { target_kind: "token", target_id: "ci", before: true, after: true }),
  "alerts.ack": async () => (await post("/api/v1/alerts/al-a/ack", { comment: "looking" }), { target_kind: "alert", target_id: "al-a", before: true, after: true, check: (a) => assert.equal(a.state, "acknowledged") }),
  "alerts.resolve": async () => (await post("/api/v1/alerts/al-a/resolve", {}), { target_kind: "alert", target_id: "al-a", before: true, after: true, check: (a) => assert.equal(a.state, "resolved") }),
  "alerts.reopen": async () => (await post("/api/v1/alerts/al-a/reopen", {}), { target_kind: "alert", target_id: "al-a", before: true, after: true, check: (a) => assert.equal(a.state, "open") }),
  "alerts.verify": async () => (await post("/api/v1/alerts/al-a/verify", { verification: "benign_positive" }), { target_kind: "alert", target_id: "al-a", before: true, after: true, check: (a) => assert.equal(a.verification, "benign_positive") }),
  "alerts.assign": async () => (await post("/api/v1/alerts/al-a/assign", { assignee: "alice" }), { target_kind: "alert", target_id: "al-a", before: true, after: true, check: (a) => assert.equal(a.assignee, "alice") }),
  "alerts.comment": async () => (await post("/api/v1/alerts/al-a/comment", { comment: "seen before" }), { target_kind: "alert", target_id: "al-a", before: true, after: true, check: (a) => assert.equal(a.comment, "seen before") }),
  // One row per alert changed, under the action taken, so `?action=alerts.ack` finds bulk acknowledgements too.
  "alerts.bulk": async () => (await post("/api/v1/alerts/bulk", { ids: ["al-b"], action: "ack" }), { action: "alerts.ack", target_kind: "alert", target_id: "al-b", before: true, after: true }),
  "suppressions.create": async () => {
    suppression = (await post("/api/v1/suppressions", { rule: "default-password", device_id: "trk-0", reason: "lab unit" }))!.id as number;
    return { target_kind: "suppression", target_id: String(suppression), before: false, after: true };
  },
  "suppressions.delete": async () => (await del(`/api/v1/suppressions/${suppression}`), { target_kind: "suppression", target_id: String(suppression), before: true, after: false }),
  "alert-suppressions.create": async () => {
    alertSuppression = (await post("/api/v1/alert-suppressions", { detector: "beaconing", device_id: "trk-0", reason: "lab unit" }))!.id as number;
    return { target_kind: "alert-suppression", target_id: String(alertSuppression), before: false, after: true };
  },
  "alert-suppressions.delete": async () => (await del(`/api/v1/alert-suppressions/${alertSuppression}`), { target_kind: "alert-suppression", target_id: String(alertSuppression), before: true, after: false }),
  "scans.start": async () => {
    const job = (await post("/api/v1/scans", {}))!;
    for (let i = 0; i < 600; i++) {
      const j = (await (await svc.fetch(`/api/v1/scan-jobs/${String(job.id)}`)).json()) as { state: string };
      if (j.state !== "running") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { target_kind: "scan-job", target_id: String(job.id), before: false, after: true };
  },
  // What an ingest changed is the records it took: the row says how many, of what, and how many were refused.
  "records.ingest": async () => {
    const ts = new Date(Date.now() - 60_000).toISOString();
    const body = `${JSON.stringify({ kind: "metric", ts, device_id: "trk-0", metric: "aws:all-bytes-out", value: 5 })}\n{not json\n`;
    const r = await svc.fetch("/api/v1/records", { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
    assert.equal(r.status, 200, await r.clone().text());
    return {
      target_kind: "records",
      before: false,
      after: true,
      check: (a) => {
        assert.equal(a.accepted, 1);
        assert.equal(a.rejected, 1);
        assert.equal(a.format, "ndjson");
        assert.equal(a.bytes, Buffer.byteLength(body));
      },
    };
  },
  "responses.propose": async () => {
    response = (await post("/api/v1/responses", { action: "credential-rotate", target: { kind: "credential", id: "trk-0/ssh/admin" }, reason: "shared installer password" }, svc.tokens.responder))!.id as string;
    return { target_kind: "response", target_id: response, before: false, after: true };
  },
  "responses.approve": async () => (await post(`/api/v1/responses/${response}/approve`, {}, bob), { target_kind: "response", target_id: response, before: true, after: true }),
  "responses.apply": async () => (await post(`/api/v1/responses/${response}/apply`, { execute: true }, svc.tokens.responder), { target_kind: "response", target_id: response, before: true, after: true }),
  "responses.verify": async () => (await post(`/api/v1/responses/${response}/verify`, {}, svc.tokens.responder), { target_kind: "response", target_id: response, before: true, after: true }),
  "responses.reverse": async () => (await post(`/api/v1/responses/${response}/reverse`, { reason: "rotated by hand" }, svc.tokens.responder), { target_kind: "response", target_id: response, before: true, after: true }),
  "responses.reject": async () => {
    rejected = (await post("/api/v1/responses", { action: "credential-rotate", target: { kind: "credential", id: "trk-1/ssh/admin" }, reason: "shared installer password" }, svc.tokens.responder))!.id as string;
    await post(`/api/v1/responses/${rejected}/reject`, { reason: "not now" }, bob);
    return { target_kind: "response", target_id: rejected, before: true, after: true };
  },
  "respond.pause": async () => (await post("/api/v1/respond/automatic/pause", { reason: "maintenance" }, svc.tokens.responder), { target_kind: "respond", target_id: "automatic", before: true, after: true }),
  "respond.resume": async () => (await post("/api/v1/respond/automatic/resume", {}, svc.tokens.responder), { target_kind: "respond", target_id: "automatic", before: true, after: true }),
};
/**
 * Routes whose success needs a world this test does not build; each goes through the same audited code as one above
 * (routes/respond.ts `transition`, as approve, apply, verify and reverse do).
 */
const elsewhere: Record<string, string> = {
  "responses.confirm": "an automatic response (a playbook's) whose time-to-live runs: test/serve/auto-respond.test.ts",
  "responses.escalate": "a broker to escalate a quarantine on (mqtt-disable): test/respond",
};

describe("every change through the API is in the audit log", () => {
  const mutating = allRoutes.filter((r) => r.method !== "GET").map((r) => r.id);

  it("has a call for every mutating route in the table", () => {
    assert.deepEqual([...mutating].sort(), [...Object.keys(calls), ...Object.keys(elsewhere)].sort());
  });

  for (const [id, call] of Object.entries(calls)) {
    it(`${id}: who, what, when, the target, before and after`, async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      const want = await call();
      const action = want.action ?? id;
      const page = (await (await svc.fetch(`/api/v1/audit-log?action=${action}&page_size=1000`)).json()) as { items: Row[] };
      const rows = page.items.filter((r) => r.target_kind === want.target_kind && (want.target_id === undefined || r.target_id === want.target_id) && r.at >= since);
      assert.equal(rows.length, 1, `${id}: one row, got ${JSON.stringify(page.items)}`);
      const row = rows[0]!;
      assert.ok(row.actor && row.actor !== "anonymous", `${id}: who`);
      assert.ok(Number.isFinite(Date.parse(row.at)), `${id}: when`);
      assert.equal(row.before !== undefined && row.before !== null, want.before, `${id}: before ${JSON.stringify(row.before)}`);
      assert.equal(row.after !== undefined && row.after !== null, want.after, `${id}: after ${JSON.stringify(row.after)}`);
      want.check?.(row.after as Record<string, unknown>);
    });
  }
});
