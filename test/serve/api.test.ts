/** The API over real HTTP: lists (filters, pages, CSV), the alert lifecycle with its audit trail, errors as problems. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SqliteStore } from "../../src/store/sqlite/index.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { startTestService } from "../helpers/serve.ts";

const svc = await startTestService();
const alerts = Array.from({ length: 30 }, (_, i) => sampleAlert({ id: `al-${String(i).padStart(3, "0")}`, device_id: `meter-${i % 3}`, severity: i % 2 ? "high" : "low", last_seen: `2026-03-01T10:${String(i).padStart(2, "0")}:00Z` }));
await svc.store.alerts.upsert(alerts, "2026-03-01T11:00:00Z");
await svc.store.fleet.upsertModels([{ model_id: "acme-m1", manufacturer: "Acme" }, { model_id: "zed-2", manufacturer: "Zed" }]);
await svc.store.transaction(async (tx) => {
  const run = await tx.fleet.startImport("test");
  await tx.fleet.upsertDevices(run, Array.from({ length: 50 }, (_, i) => serializeDevice({ device_id: `meter-${String(i).padStart(2, "0")}`, model_id: i % 5 ? "acme-m1" : "zed-2", country: i % 2 ? "DE" : "FR", groups: i % 10 === 0 ? ["pilot"] : [] })));
  await tx.fleet.finishImport(run);
});

const json = async <T>(r: Response): Promise<T> => (await r.json()) as T;
type Page<T> = { items: T[]; next_page_token: string | null; total: { count: number; type: string } };

describe("lists", () => {
  it("pages alerts by cursor, newest first, at least as severe as asked, with an exact total", async () => {
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const page: Page<{ id: string }> = await json(await svc.fetch(`/api/v1/alerts?severity=high&page_size=4${token ? `&page_token=${token}` : ""}`, { token: svc.tokens.viewer }));
      assert.deepEqual(page.total, { count: 15, type: "exact" });
      seen.push(...page.items.map((a) => a.id));
      token = page.next_page_token;
    } while (token);
    assert.equal(seen.length, 15);
    assert.equal(seen[0], "al-029");
    assert.equal(new Set(seen).size, 15);
  });

  it("filters devices by model, country and group, and exports CSV", async () => {
    const p: Page<{ device_id: string }> = await json(await svc.fetch("/api/v1/devices?model_id=zed-2&country=fr", { token: svc.tokens.viewer }));
    assert.deepEqual(p.items.map((d) => d.device_id), ["meter-00", "meter-10", "meter-20", "meter-30", "meter-40"]);
    const g: Page<{ device_id: string }> = await json(await svc.fetch("/api/v1/devices?group=pilot"));
    assert.equal(g.total.count, 5);
    const csv = await svc.fetch("/api/v1/devices?group=pilot&format=csv");
    assert.match(csv.headers.get("content-type")!, /^text\/csv/);
    const lines = (await csv.text()).trim().split("\n");
    assert.match(lines[0]!, /^device_id,name,model_id,firmware_version,country,groups/);
    assert.equal(lines.length, 6);
    assert.equal(csv.headers.get("x-total-count"), "5");
    const accept = await svc.fetch("/api/v1/models", { headers: { accept: "text/csv" } });
    assert.match(await accept.text(), /^model_id,manufacturer/);
  });

  it("refuses a page token of another list and a bad filter, naming the parameter", async () => {
    const first: Page<unknown> = await json(await svc.fetch("/api/v1/alerts?page_size=1"));
    const r = await svc.fetch(`/api/v1/devices?page_token=${first.next_page_token}`);
    assert.equal(r.status, 400);
    assert.equal((await json<{ code: string }>(r)).code, "usage");
    const bad = await json<{ status: number; code: string; errors: { field: string }[] }>(await svc.fetch("/api/v1/alerts?severity=dire&page_size=5000"));
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.errors.map((e) => e.field).sort(), ["query.page_size", "query.severity"]);
  });
});

describe("the alert lifecycle", () => {
  it("acknowledges one alert and records who, what, before and after in the audit log", async () => {
    const r = await svc.fetch("/api/v1/alerts/al-001/ack", { method: "POST", token: svc.tokens.analyst, json: { comment: "looking" } });
    assert.equal(r.status, 200);
    assert.equal((await json<{ state: string }>(r)).state, "acknowledged");
    const log: Page<{ action: string; actor: string; target_id: string; before: { state: string }; after: { state: string; comment: string } }> = await json(await svc.fetch("/api/v1/audit-log?target_id=al-001"));
    assert.equal(log.items.length, 1);
    assert.deepEqual([log.items[0]!.action, log.items[0]!.actor, log.items[0]!.before.state, log.items[0]!.after.state, log.items[0]!.after.comment], ["alerts.ack", "t-analyst", "open", "acknowledged", "looking"]);
    const history = await json<{ items: { action: string; to: string }[] }>(await svc.fetch("/api/v1/alerts/al-001/history"));
    assert.deepEqual(history.items.map((e) => [e.action, e.to]), [["state", "acknowledged"]]);
  });

  it("acts on many alerts at once in one transaction and lists the ids it did not find", async () => {
    const r = await json<{ changed: { id: string; verification: string }[]; missing: string[] }>(await svc.fetch("/api/v1/alerts/bulk", { method: "POST", token: svc.tokens.analyst, json: { ids: ["al-002", "al-003", "nope"], action: "verify", verification: "benign_positive", comment: "maintenance window" } }));
    assert.deepEqual(r.changed.map((a) => [a.id, a.verification]), [["al-002", "benign_positive"], ["al-003", "benign_positive"]]);
    assert.deepEqual(r.missing, ["nope"]);
    const log: Page<{ target_id: string }> = await json(await svc.fetch("/api/v1/audit-log?action=alerts.verify"));
    assert.deepEqual(log.items.map((e) => e.target_id).sort(), ["al-002", "al-003"]);
    const missing = await svc.fetch("/api/v1/alerts/bulk", { method: "POST", token: svc.tokens.analyst, json: { ids: ["al-004"], action: "verify" } });
    assert.equal(missing.status, 422);
  });

  it("answers a missing alert with 404 and an invalid body with 422 naming the field", async () => {
    const r = await svc.fetch("/api/v1/alerts/nope/resolve", { method: "POST", token: svc.tokens.analyst, json: {} });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get("content-type"), "application/problem+json");
    const p = await json<{ type: string; title: string; code: string }>(r);
    assert.deepEqual([p.type, p.title, p.code], ["https://longwatch.dev/problems/not_found", "Not found", "not_found"]);
    const bad = await json<{ status: number; errors: { field: string }[] }>(await svc.fetch("/api/v1/alerts/al-005/assign", { method: "POST", token: svc.tokens.analyst, json: { assignee: 7, extra: true } }));
    assert.equal(bad.status, 422);
    assert.ok(bad.errors.some((e) => e.field === "body.assignee"));
    const notJson = await svc.fetch("/api/v1/alerts/al-005/ack", { method: "POST", token: svc.tokens.analyst, body: "{", headers: { "content-type": "application/json" } });
    assert.equal(notJson.status, 422);
    const wrongType = await svc.fetch("/api/v1/alerts/al-005/ack", { method: "POST", token: svc.tokens.analyst, body: "x", headers: { "content-type": "text/plain" } });
    assert.equal(wrongType.status, 415);
  });
});

describe("errors and the audit log itself", () => {
  it("answers unknown paths with 404 and wrong methods with 405 and Allow", async () => {
    assert.equal((await svc.fetch("/api/v1/nothing")).status, 404);
    const r = await svc.fetch("/api/v1/alerts", { method: "DELETE" });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "GET");
  });

  it("refuses a suppression of a rule that does not exist, as `longwatch suppress add` does (nothing would ever match it)", async () => {
    const r = await svc.fetch("/api/v1/suppressions", { method: "POST", json: { rule: "default-pasword", reason: "lab unit" } });
    assert.equal(r.status, 422);
    const p = await json<{ code: string; detail: string; errors: { field: string }[] }>(r);
    assert.equal(p.code, "invalid_input");
    assert.deepEqual(p.errors.map((e) => e.field), ["body.rule"]);
    assert.match(p.detail, /no rule default-pasword.*did you mean default-password/);
    const listed = await json<{ items: { rule: string }[] }>(await svc.fetch("/api/v1/suppressions"));
    assert.ok(!listed.items.some((s) => s.rule === "default-pasword"));
  });

  it("keeps the audit log append-only in the database itself", async () => {
    const db = (svc.store as SqliteStore).db;
    assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'someone else'").run(), /append-only/);
    assert.throws(() => db.prepare("DELETE FROM audit_log").run(), /append-only/);
  });

  it("records a token's creation without the token, and the token works once", async () => {
    const r = await svc.fetch("/api/v1/tokens", { method: "POST", json: { name: "grafana", role: "viewer", expires: "12h" } });
    assert.equal(r.status, 201);
    const made = await json<{ token: string; record: { name: string; expires_at: string } }>(r);
    assert.match(made.token, /^lw_[A-Za-z0-9_-]{43}$/);
    const log = JSON.stringify(await json(await svc.fetch("/api/v1/audit-log?action=tokens.create")));
    assert.ok(log.includes("grafana") && !log.includes(made.token));
    assert.equal((await svc.fetch("/api/v1/whoami", { token: made.token })).status, 200);
    assert.equal((await svc.fetch("/api/v1/tokens/grafana", { method: "DELETE" })).status, 200);
    assert.equal((await svc.fetch("/api/v1/whoami", { token: made.token })).status, 401);
    const bad = await svc.fetch("/api/v1/tokens", { method: "POST", json: { name: "x", role: "viewer", expires: "soon" } });
    assert.equal(bad.status, 422);
  });
});
