/**
 * The six small lists — finding and alert suppressions, responses, API tokens, saved assessments and scan jobs — keep
 * the list contract the big ones keep (issue 12): `{items, next_page_token, total}` paged by an opaque token, a token
 * of another list (or another filter) refused, their filters and `sort`, and `format=csv|ndjson` exporting the whole
 * filtered list with a header row and formula cells neutralised. The tokens' export carries no token and no hash.
 * On a real service over SQLite and over PostgreSQL; past its cap of 10,000 a list says `at_least` (SQLite: the cap
 * is the route's, not the engine's).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { CsvParser } from "../../src/formats/csv.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { startTestService, type TestService } from "../helpers/serve.ts";
import { seedFleet } from "../whatif/fleet.ts";

type Page<T> = { items: T[]; next_page_token: string | null; total: { count: number; type: string } };

function parseCsv(text: string): string[][] {
  const p = new CsvParser({ delimiter: "," });
  return [...p.push(text), ...p.end()].map((r) => {
    if ("error" in r) throw new Error(`CSV line ${r.line}: ${r.error}`);
    return r.cells;
  });
}

async function page<T>(svc: TestService, path: string): Promise<Page<T>> {
  const r = await svc.fetch(path);
  assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
  return (await r.json()) as Page<T>;
}

/** Every page of a list, `size` a page. */
async function walk<T>(svc: TestService, path: string, size: number): Promise<{ items: T[]; pages: number; totals: Page<T>["total"][]; tokens: string[] }> {
  const items: T[] = [];
  const totals: Page<T>["total"][] = [];
  const tokens: string[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const p: Page<T> = await page<T>(svc, `${path}${sep}page_size=${size}${token ? `&page_token=${encodeURIComponent(token)}` : ""}`);
    items.push(...p.items);
    totals.push(p.total);
    token = p.next_page_token;
    if (token) tokens.push(token);
    pages++;
  } while (token);
  return { items, pages, totals, tokens };
}

async function refused(svc: TestService, path: string): Promise<void> {
  const r = await svc.fetch(path);
  const text = await r.text();
  assert.equal(r.status, 400, `${path}: ${text}`);
  const p = JSON.parse(text) as { code: string; detail: string };
  assert.equal(p.code, "usage", path);
  assert.match(p.detail, /page_token/, path);
}

async function csvOf(svc: TestService, path: string): Promise<string[][]> {
  const sep = path.includes("?") ? "&" : "?";
  const r = await svc.fetch(`${path}${sep}format=csv`);
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${text}`);
  assert.match(r.headers.get("content-type") ?? "", /^text\/csv/);
  return parseCsv(text);
}

function suite(name: string, storeUrl: () => Promise<string | undefined>, skip: () => Promise<string | undefined>) {
  describe(`small lists on ${name}`, async () => {
    const why = await skip();
    if (why) return void it("skipped", { skip: why }, () => undefined);
    const url = await storeUrl();
    const svc = await startTestService({ ...(url ? { storeUrl: url } : {}) });
    await seedFleet(svc.store);
    const post = async (path: string, json: unknown, token = svc.tokens.admin) => {
      const r = await svc.fetch(path, { method: "POST", json, token });
      assert.ok(r.status === 201 || r.status === 202 || r.status === 200, `${path}: ${r.status} ${await r.clone().text()}`);
      return (await r.json()) as Record<string, unknown>;
    };
    for (const [rule, device, reason] of [["default-password", "trk-0", "=HYPERLINK(\"http://evil\",\"x\")"], ["no-ota", "trk-1", "lab unit"], ["default-password", "trk-2", "lab unit"]] as const) await post("/api/v1/suppressions", { rule, device_id: device, reason });
    for (const [detector, device] of [["beaconing", "trk-0"], ["new-destination", "trk-1"], ["beaconing", "trk-2"]] as const) await post("/api/v1/alert-suppressions", { detector, device_id: device, reason: "lab unit" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post("/api/v1/responses", { action: "credential-rotate", target: { kind: "credential", id: `trk-${i}/ssh/admin` }, reason: "shared installer password" }, svc.tokens.responder)).id as string);
    await post(`/api/v1/responses/${ids[1]}/reject`, { reason: "not now" }, svc.tokens.responder);
    const secrets: string[] = [];
    for (const [n, role] of [["ci", "viewer"], ["siem", "analyst"]] as const) secrets.push((await post("/api/v1/tokens", { name: n, role })).token as string);
    for (const [model, standard] of [["tracker", "etsi-en-303-645-v3.1.3"], ["tracker", "uk-psti"], ["hub", "etsi-en-303-645-v3.1.3"]] as const) await svc.store.assessments.save({ model_id: model, standard, created_at: new Date().toISOString(), doc: { model } });

    it("finding and alert suppressions: pages with a total, a filter, a sort, and a CSV export with formula cells neutralised", async () => {
      const all = await walk<{ id: number; rule: string }>(svc, "/api/v1/suppressions", 2);
      assert.equal(all.pages, 2);
      assert.equal(all.items.length, 3);
      assert.deepEqual(all.totals, [{ count: 3, type: "exact" }, { count: 3, type: "exact" }]);
      assert.deepEqual(all.items.map((s) => s.id), [...all.items.map((s) => s.id)].sort((a, b) => a - b), "oldest first");
      const dp = await page<{ rule: string }>(svc, "/api/v1/suppressions?rule=default-password");
      assert.deepEqual([dp.items.length, dp.total.count], [2, 2]);
      assert.ok(dp.items.every((s) => s.rule === "default-password"));
      const byRule = await page<{ rule: string }>(svc, "/api/v1/suppressions?sort=rule&order=desc");
      assert.deepEqual(byRule.items.map((s) => s.rule), ["no-ota", "default-password", "default-password"]);
      const rows = await csvOf(svc, "/api/v1/suppressions");
      assert.deepEqual(rows[0], ["id", "rule", "fingerprint", "device_id", "reason", "expires", "created_at"]);
      assert.equal(rows.length, 4);
      assert.equal(rows[1]![4], "'=HYPERLINK(\"http://evil\",\"x\")", "a formula cell starts with a quote");
      const rest = await csvOf(svc, `/api/v1/suppressions?page_token=${all.tokens[0]}`);
      assert.deepEqual(rest.slice(1).map((r) => Number(r[0])), [all.items[2]!.id], "an export from a page token on is the rest of the list");

      const alerts = await walk<{ detector: string }>(svc, "/api/v1/alert-suppressions", 1);
      assert.deepEqual([alerts.pages, alerts.items.length, alerts.totals[0]], [3, 3, { count: 3, type: "exact" }]);
      const beaconing = await page<{ detector: string; device_id: string }>(svc, "/api/v1/alert-suppressions?detector=beaconing&sort=created&order=desc");
      assert.deepEqual(beaconing.items.map((s) => s.device_id), ["trk-2", "trk-0"]);
      const ar = await csvOf(svc, "/api/v1/alert-suppressions?device_id=trk-1");
      assert.deepEqual(ar[0], ["id", "detector", "device_id", "key", "reason", "expires", "created_at"]);
      assert.deepEqual(ar.slice(1).map((r) => r[1]), ["new-destination"]);
    });

    it("responses: newest first across pages, filtered by state and target, `limit` gone for page_size", async () => {
      const all = await walk<{ id: string; state: string; proposed_at: string }>(svc, "/api/v1/responses", 2);
      assert.equal(all.pages, 2);
      assert.deepEqual(all.totals[0], { count: 3, type: "exact" });
      assert.deepEqual(new Set(all.items.map((r) => r.id)), new Set(ids), "each once");
      const at = all.items.map((r) => r.proposed_at);
      assert.deepEqual(at, [...at].sort().reverse(), "newest first");
      const proposed = await page<{ id: string; state: string }>(svc, "/api/v1/responses?state=proposed");
      assert.deepEqual(proposed.items.map((r) => r.id).sort(), [ids[0], ids[2]].sort());
      assert.deepEqual(proposed.total, { count: 2, type: "exact" });
      const one = await page<{ id: string }>(svc, `/api/v1/responses?target_id=${encodeURIComponent("trk-1/ssh/admin")}`);
      assert.deepEqual(one.items.map((r) => r.id), [ids[1]]);
      const byState = await page<{ state: string }>(svc, "/api/v1/responses?sort=state");
      assert.deepEqual(byState.items.map((r) => r.state), ["proposed", "proposed", "rejected"]);
      const rows = await csvOf(svc, "/api/v1/responses?state=rejected");
      assert.equal(rows[0]![0], "id");
      assert.deepEqual(rows.slice(1).map((r) => r[0]), [ids[1]]);
      const target = rows[0]!.indexOf("target");
      assert.deepEqual(JSON.parse(rows[1]![target]!), { kind: "credential", id: "trk-1/ssh/admin" });
      const limit = await svc.fetch("/api/v1/responses?limit=5");
      assert.equal(limit.status, 400, "limit is page_size now");
    });

    it("tokens: paged and filtered by role; the CSV and NDJSON exports hold the JSON's fields, never a token or its hash", async () => {
      const live = await walk<{ name: string; role: string }>(svc, "/api/v1/tokens", 3);
      // The service's initial-admin, a token per role from the test helper, the two made above.
      assert.equal(live.items.length, 7);
      assert.equal(live.pages, 3);
      assert.deepEqual(live.totals, [1, 2, 3].map(() => ({ count: 7, type: "exact" })));
      assert.ok(live.items.some((t) => t.name === "initial-admin"));
      const viewers = await page<{ name: string; role: string }>(svc, "/api/v1/tokens?role=viewer&sort=name");
      assert.deepEqual(viewers.items.map((t) => t.name), ["ci", "t-viewer"]);
      const csv = await svc.fetch("/api/v1/tokens?format=csv&include_revoked=true");
      const csvText = await csv.text();
      const nd = await svc.fetch("/api/v1/tokens", { headers: { accept: "application/x-ndjson" } });
      const ndText = await nd.text();
      assert.match(nd.headers.get("content-type") ?? "", /^application\/x-ndjson/);
      for (const secret of [...secrets, ...Object.values(svc.tokens), svc.adminToken]) {
        const hash = createHash("sha256").update(secret).digest("hex");
        for (const [what, text] of [["CSV", csvText], ["NDJSON", ndText]] as const) {
          assert.ok(!text.includes(secret), `${what} carries a token`);
          assert.ok(!text.includes(hash), `${what} carries a token's hash`);
        }
      }
      const rows = parseCsv(csvText);
      assert.deepEqual(rows[0], ["id", "name", "role", "prefix", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at"]);
      assert.equal(rows.length, 8);
      for (const line of ndText.trimEnd().split("\n")) assert.deepEqual(Object.keys(JSON.parse(line) as object).filter((k) => !["id", "name", "role", "prefix", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at"].includes(k)), []);
    });

    it("assessments: newest first across pages, filtered by model and standard, exported as CSV", async () => {
      const all = await walk<{ id: number; model_id: string }>(svc, "/api/v1/assessments", 2);
      assert.deepEqual([all.pages, all.items.length], [2, 3]);
      assert.deepEqual(all.totals[0], { count: 3, type: "exact" });
      assert.deepEqual(all.items.map((a) => a.id), [...all.items.map((a) => a.id)].sort((a, b) => b - a), "newest first");
      const tracker = await page<{ model_id: string; standard: string }>(svc, "/api/v1/assessments?model_id=tracker&sort=standard");
      assert.deepEqual(tracker.items.map((a) => a.standard), ["etsi-en-303-645-v3.1.3", "uk-psti"]);
      const rows = await csvOf(svc, "/api/v1/assessments?standard=etsi-en-303-645-v3.1.3");
      assert.deepEqual(rows[0], ["id", "model_id", "standard", "created_at"]);
      assert.deepEqual(rows.slice(1).map((r) => r[1]).sort(), ["hub", "tracker"]);
    });

    it("scan jobs: pages newest first, filtered by state, exported as CSV", async () => {
      const started: string[] = [];
      for (let i = 0; i < 2; i++) {
        const job = await post("/api/v1/scans", {}, svc.tokens.analyst);
        started.push(job.id as string);
        const deadline = Date.now() + 120_000;
        for (let state = job.state; state === "running"; state = ((await (await svc.fetch(`/api/v1/scan-jobs/${String(job.id)}`)).json()) as { state: string }).state) {
          assert.ok(Date.now() < deadline, "the scan finishes");
          await new Promise((res) => setTimeout(res, 100));
        }
      }
      const all = await walk<{ id: string; state: string }>(svc, "/api/v1/scan-jobs", 1);
      assert.equal(all.pages, 2);
      assert.deepEqual(all.totals[0], { count: 2, type: "exact" });
      assert.deepEqual(all.items.map((j) => j.id), [...started].reverse(), "newest first");
      assert.deepEqual((await page<{ id: string }>(svc, "/api/v1/scan-jobs?state=succeeded")).total.count, 2);
      assert.deepEqual((await page<{ id: string }>(svc, "/api/v1/scan-jobs?state=running")).items, []);
      const rows = await csvOf(svc, "/api/v1/scan-jobs?order=asc");
      assert.deepEqual(rows[0], ["id", "state", "started_at", "finished_at", "started_by", "phase", "done", "total", "result", "error"]);
      assert.deepEqual(rows.slice(1).map((r) => r[0]), started, "oldest first when asked");
    });

    it("refuses a page token of another list, of another filter, and a damaged one", async () => {
      const lists = ["/api/v1/suppressions", "/api/v1/alert-suppressions", "/api/v1/responses", "/api/v1/tokens", "/api/v1/assessments", "/api/v1/scan-jobs"];
      const tokens = await Promise.all(lists.map(async (l) => (await page(svc, `${l}?page_size=1`)).next_page_token!));
      for (let i = 0; i < lists.length; i++) {
        assert.ok(tokens[i], `${lists[i]} has a second page`);
        await refused(svc, `${lists[i]}?page_token=${tokens[(i + 1) % lists.length]}`);
        await refused(svc, `${lists[i]}?page_token=${tokens[i]!.slice(0, -3)}xyz`);
      }
      await refused(svc, `/api/v1/suppressions?rule=default-password&page_token=${tokens[0]}`);
      await refused(svc, `/api/v1/responses?sort=state&page_token=${tokens[2]}`);
      const models = await page(svc, "/api/v1/models?page_size=1");
      await refused(svc, `/api/v1/models?manufacturer=acme&page_token=${models.next_page_token}`);
      // The same filter takes its own token: the second page of the default-password suppressions.
      const first = await page(svc, "/api/v1/suppressions?rule=default-password&page_size=1");
      const second = await page(svc, `/api/v1/suppressions?rule=default-password&page_size=1&page_token=${first.next_page_token}`);
      assert.equal(second.items.length, 1);
      assert.equal(second.next_page_token, null);
    });
  });
}

suite("SQLite", async () => undefined, async () => undefined);
suite("PostgreSQL", async () => `${await throwawayDatabase()}`, postgresAvailable);

describe("a small list held up to its cap", () => {
  it("says at_least past 10,000 assessments and exact below, and a filter still reaches older ones", async () => {
    const svc = await startTestService();
    const at = Date.parse("2026-11-01T00:00:00Z");
    await svc.store.transaction(async (tx) => {
      for (let i = 0; i <= 10_000; i++) await tx.assessments.save({ model_id: i === 0 ? "oldest" : `m${i % 7}`, standard: "uk-psti", created_at: new Date(at + i * 1000).toISOString(), doc: {} });
    });
    const first = await page<{ model_id: string }>(svc, "/api/v1/assessments?page_size=1");
    assert.deepEqual(first.total, { count: 10_000, type: "at_least" });
    assert.notEqual(first.items[0]!.model_id, "oldest", "newest first: the one past the cap is the oldest");
    const oldest = await page<{ model_id: string }>(svc, "/api/v1/assessments?model_id=oldest");
    assert.deepEqual([oldest.items.map((a) => a.model_id), oldest.total], [["oldest"], { count: 1, type: "exact" }]);
  });
});
