/**
 * Scans as jobs over real HTTP, with the findings, suppressions and forecast that follow. The scan runs on a worker
 * thread: the service's event loop stays free while it works (measured), and on SQLite a change made meanwhile waits
 * for the scan's write lock without holding up other requests, instead of being refused with 503.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, it } from "node:test";
import { generateDemoFleet } from "../../src/demo/fleet.ts";
import { cli } from "../cli/run-cli.ts";
import { startTestService } from "../helpers/serve.ts";
import { tmpDir } from "../helpers/tmp.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const t = tmpDir();
const files = generateDemoFleet({ dir: join(t.dir, "fleet"), devices: 4000, seed: 7, now: NOW });
const first = await cli(["--data", t.dir, "scan", files.devices, "--models", files.models, "--credentials", files.credentials, "--format", "json"], { LONGWATCH_NOW: "2026-11-25T12:00:00Z" });
assert.ok(first.code === 0 || first.code === 3 || first.code === 4, first.stderr);
const svc = await startTestService({ storeUrl: `sqlite:${join(t.dir, "longwatch.db")}`, dataDir: t.dir });

type Job = { id: string; state: string; done: number; total: number; result?: { scan_id: number; devices: number; findings: number }; error?: { message: string } };

describe("scan jobs", () => {
  it("starts a scan as a job, reports progress, keeps the event loop free, and a change made meanwhile waits for it", async () => {
    // This machine is shared (load ~20 on 2 cores): the loop's delay is judged against the same period without a scan.
    const idle = monitorEventLoopDelay({ resolution: 5 });
    idle.enable();
    await new Promise((res) => setTimeout(res, 1500));
    idle.disable();
    const unranked = (await (await svc.fetch("/api/v1/whatif/ranking/stored", { token: svc.tokens.viewer })).json()) as { computed_at: string | null; nodes: unknown[] };
    assert.deepEqual([unranked.computed_at, unranked.nodes.length], [null, 0], "no ranking until a scan job or whatif --all");
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const r = await svc.fetch("/api/v1/scans", { method: "POST", token: svc.tokens.analyst, json: {} });
    assert.equal(r.status, 202);
    let job = (await r.json()) as Job;
    assert.equal(r.headers.get("location"), `/api/v1/scan-jobs/${job.id}`);
    assert.equal((await svc.fetch("/api/v1/scans", { method: "POST", token: svc.tokens.analyst, json: {} })).status, 409, "one scan at a time");
    // A change made while the scan's worker holds SQLite's write lock waits for it (on timers), and is not refused.
    const waiting = svc.fetch("/api/v1/suppressions", { method: "POST", token: svc.tokens.analyst, json: { rule: "no-ota", reason: "accepted risk" } });
    assert.equal((await svc.fetch("/api/v1/devices?page_size=5", { token: svc.tokens.viewer })).status, 200, "reads go on");
    const deadline = Date.now() + 120_000;
    while (job.state === "running") {
      assert.ok(Date.now() < deadline, "the scan finishes");
      await new Promise((res) => setTimeout(res, 100));
      job = (await (await svc.fetch(`/api/v1/scan-jobs/${job.id}`, { token: svc.tokens.viewer })).json()) as Job;
    }
    h.disable();
    assert.equal(job.state, "succeeded", JSON.stringify(job.error));
    const written = await waiting;
    assert.equal(written.status, 201, await written.clone().text());
    assert.equal((await svc.fetch(`/api/v1/suppressions/${((await written.json()) as { id: number }).id}`, { method: "DELETE", token: svc.tokens.analyst })).status, 204);
    assert.equal(job.result!.devices, files.deviceCount);
    assert.ok(job.result!.findings > 0);
    const p99 = h.percentile(99) / 1e6;
    const idle99 = idle.percentile(99) / 1e6;
    console.log(`# event-loop delay during the scan: p99 ${p99.toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms; idle p99 ${idle99.toFixed(1)} ms`);
    // The scan is on another thread; what the main thread feels is the machine's load (p99 and max are reported, the
    // median must stay well under the 50 ms bound).
    assert.ok(h.percentile(50) / 1e6 < 50, `the event loop's median delay during the scan was ${(h.percentile(50) / 1e6).toFixed(1)} ms`);
    // The job stored the what-if ranking: a viewer reads it (never computed on the request), equal to the live one.
    type Ranked = { computed_at: string | null; stale: boolean; kinds: { source: string }[]; nodes: { target: string; devices: number }[] };
    const stored = (await (await svc.fetch("/api/v1/whatif/ranking/stored?limit=10", { token: svc.tokens.viewer })).json()) as Ranked;
    assert.ok(stored.computed_at !== null && stored.computed_at >= new Date(NOW).toISOString(), String(stored.computed_at));
    assert.equal(stored.stale, false);
    assert.ok(stored.kinds.length === 5 && stored.kinds.every((k) => k.source === "scan-job"));
    const live = (await (await svc.fetch("/api/v1/whatif/ranking?limit=10", { token: svc.tokens.responder })).json()) as Ranked;
    assert.ok(live.nodes.length > 0);
    assert.deepEqual(stored.nodes, live.nodes);
    assert.equal((await svc.fetch("/api/v1/whatif/ranking/stored?kinds=nope", { token: svc.tokens.viewer })).status, 422);
    const latest = (await (await svc.fetch("/api/v1/scans/latest")).json()) as { id: number };
    assert.equal(latest.id, job.result!.scan_id);
    const audit = (await (await svc.fetch("/api/v1/audit-log?action=scans.start")).json()) as { items: { actor: string }[] };
    assert.deepEqual(audit.items.map((e) => e.actor), ["t-analyst"]);
  });

  it("lists the scan's findings by severity and filter, and suppresses and unsuppresses with an audit trail", async () => {
    const all = (await (await svc.fetch("/api/v1/findings?page_size=1000", { token: svc.tokens.viewer })).json()) as { items: { rule: string; severity: string; model_id?: string }[]; total: { count: number } };
    assert.ok(all.total.count > 0);
    const order = ["critical", "high", "medium", "low", "info"];
    assert.deepEqual([...all.items].map((f) => order.indexOf(f.severity)), [...all.items].map((f) => order.indexOf(f.severity)).sort((a, b) => a - b));
    const rule = all.items[0]!.rule;
    const some = (await (await svc.fetch(`/api/v1/findings?rule=${rule}`)).json()) as { items: { rule: string }[] };
    assert.ok(some.items.length > 0 && some.items.every((f) => f.rule === rule));
    const made = await svc.fetch("/api/v1/suppressions", { method: "POST", token: svc.tokens.analyst, json: { rule, reason: "accepted for the pilot", expires: "2027-01-01" } });
    assert.equal(made.status, 201);
    const s = (await made.json()) as { id: number };
    assert.deepEqual(((await (await svc.fetch("/api/v1/suppressions")).json()) as { items: { id: number }[] }).items.map((x) => x.id), [s.id]);
    assert.equal((await svc.fetch(`/api/v1/suppressions/${s.id}`, { method: "DELETE", token: svc.tokens.analyst })).status, 204);
    assert.equal((await svc.fetch(`/api/v1/suppressions/${s.id}`, { method: "DELETE", token: svc.tokens.analyst })).status, 404);
    const log = (await (await svc.fetch("/api/v1/audit-log?target_kind=suppression")).json()) as { items: { action: string; before?: unknown; after?: unknown }[] };
    // Newest first; the first test's suppression (made during its scan) was created and deleted before these.
    assert.deepEqual(log.items.map((e) => e.action), ["suppressions.delete", "suppressions.create", "suppressions.delete", "suppressions.create"]);
    assert.ok(log.items[0]!.before && log.items[0]!.after === null);
    const a = await svc.fetch("/api/v1/alert-suppressions", { method: "POST", token: svc.tokens.analyst, json: { detector: "device-silent", device_id: "x", reason: "decommissioned" } });
    assert.equal(a.status, 201);
  });

  it("answers the lifecycle forecast and the vulnerability status", async () => {
    const f = (await (await svc.fetch("/api/v1/forecast?until=2035", { token: svc.tokens.viewer })).json()) as { devices: number; rows: { year: number }[] };
    assert.equal(f.devices, files.deviceCount);
    assert.equal(f.rows.at(-1)!.year, 2035);
    // From the forecast the scan job stored (this year's, reaching 2035), not computed for the request.
    const stored = f as unknown as { from_scan?: { scan_id: number; stale: boolean }; rows: { year: number; at_risk: number; in_field: number }[] };
    assert.equal(stored.from_scan?.scan_id, ((await (await svc.fetch("/api/v1/scans/latest")).json()) as { id: number }).id);
    assert.equal(stored.from_scan?.stale, false);
    // Per model, most at risk first, paged; the models add up to the fleet.
    type ModelRows = { year: number; items: { model_id: string | null; at_risk: number; in_field: number }[]; next_page_token: string | null; total: { count: number } };
    const year = stored.rows[0]!.year;
    const all = (await (await svc.fetch(`/api/v1/forecast/models?year=${year}&page_size=1000`, { token: svc.tokens.viewer })).json()) as ModelRows;
    assert.ok(all.total.count >= 8, "the demo's models");
    assert.equal(all.items.reduce((n, m) => n + m.at_risk, 0), stored.rows[0]!.at_risk);
    assert.equal(all.items.reduce((n, m) => n + m.in_field, 0), stored.rows[0]!.in_field);
    assert.deepEqual(all.items.map((m) => m.at_risk), [...all.items.map((m) => m.at_risk)].sort((a, b) => b - a));
    const two = (await (await svc.fetch(`/api/v1/forecast/models?year=${year}&page_size=2`, { token: svc.tokens.viewer })).json()) as ModelRows;
    assert.deepEqual(two.items, all.items.slice(0, 2));
    const next = (await (await svc.fetch(`/api/v1/forecast/models?year=${year}&page_size=2&page_token=${encodeURIComponent(two.next_page_token!)}`, { token: svc.tokens.viewer })).json()) as ModelRows;
    assert.deepEqual(next.items, all.items.slice(2, 4));
    assert.equal((await svc.fetch(`/api/v1/forecast/models?year=${year - 1}`, { token: svc.tokens.viewer })).status, 400);
    assert.equal((await svc.fetch("/api/v1/forecast?until=1999")).status, 400);
    const v = (await (await svc.fetch("/api/v1/vulnerabilities/status")).json()) as { counts: { advisories: number } };
    assert.equal(typeof v.counts.advisories, "number");
  });
});
