/**
 * The API the dashboard needs beyond the resource lists — overview with coverage, findings grouped by rule, the
 * server-sent event stream — and the dashboard's own files at `/`, against a real service on a real store.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Finding } from "../../src/core/finding.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { importRows } from "../helpers/store.ts";
import { startTestService } from "../helpers/serve.ts";

const built = existsSync(join(import.meta.dirname, "..", "..", "dist", "web", "index.html"));

function finding(rule: string, device: string, severity: Finding["severity"] = "high"): Finding {
  return { rule, severity, device_id: device, title: `${rule} on ${device}`, evidence: {}, standards: [], fingerprint: createHash("md5").update(`${rule}/${device}`).digest("hex"), status: "new" };
}

describe("dashboard API", () => {
  it("gives the overview with coverage, and findings grouped by rule in distinct devices", async () => {
    const svc = await startTestService();
    const s = svc.store;
    await s.fleet.upsertModels([{ model_id: "m1" }]);
    await importRows(s, ["d1", "d2", "d3"].map((id) => serializeDevice({ device_id: id, model_id: "m1" })));
    await s.transaction(async (tx) => {
      const scan = await tx.findings.beginScan(new Date().toISOString(), ["default-password", "no-ota"]);
      await tx.findings.record(scan, [finding("default-password", "d1"), finding("default-password", "d2"), finding("no-ota", "d1", "medium")]);
      await tx.findings.finishScan(scan, new Date().toISOString(), { high: 2, medium: 1 });
    });
    const overview = (await (await svc.fetch("/api/v1/overview", { token: svc.tokens.viewer })).json()) as { devices: number; top_problems: { rule: string; devices: number; title?: string }[]; coverage: { no_certificate: number } };
    assert.equal(overview.devices, 3);
    assert.deepEqual(overview.top_problems.map((p) => [p.rule, p.devices]), [["default-password", 2], ["no-ota", 1]]);
    assert.ok(overview.top_problems.every((p) => p.title), "every top problem has a title");
    assert.equal(overview.coverage.no_certificate, 3);
    const groups = (await (await svc.fetch("/api/v1/findings/groups?severity=high", { token: svc.tokens.viewer })).json()) as { items: { rule: string; devices: number; findings: number }[] };
    assert.deepEqual(groups.items.map((g) => [g.rule, g.devices, g.findings]), [["default-password", 2, 2]]);
  });

  it("streams alerts as server-sent events when they are raised or triaged, from any writer of the store", async () => {
    const svc = await startTestService();
    await svc.store.alerts.upsert([sampleAlert({ id: "al-old" })], new Date().toISOString());
    const controller = new AbortController();
    const r = await svc.fetch("/api/v1/events", { token: svc.tokens.viewer, signal: controller.signal });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = r.body!.getReader();
    let text = "";
    const until = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    await until(/: longwatch events/);
    // Written straight to the store, as a CLI detect or a worker would.
    await svc.store.alerts.upsert([sampleAlert({ id: "al-new", last_seen: "2026-03-01T11:00:00Z" })], new Date().toISOString());
    await until(/event: alert\nid: al-new\ndata: \{/);
    assert.doesNotMatch(text, /id: al-old/, "alerts there before the stream opened are not replayed");
    await svc.fetch("/api/v1/alerts/al-old/ack", { method: "POST", json: {}, token: svc.tokens.analyst });
    await until(/id: al-old/);
    controller.abort();
  });

  it("an open event stream does not keep the server from closing", async () => {
    const svc = await startTestService();
    const r = await svc.fetch("/api/v1/events", { token: svc.tokens.viewer });
    assert.equal(r.status, 200);
    const started = Date.now();
    await svc.service.close();
    assert.ok(Date.now() - started < 5_000);
  });

  it("refuses the event stream without a token", async () => {
    const svc = await startTestService();
    assert.equal((await svc.fetch("/api/v1/events", { token: null })).status, 401);
  });

  it("serves the dashboard at / and its deep links, with a CSP of its own origin only, and nothing outside dist/web", { skip: built ? false : "the dashboard is not built (npm run build:web)" }, async () => {
    const svc = await startTestService();
    for (const path of ["/", "/alerts", "/alerts/al-1", "/devices/d%201", "/settings/tokens"]) {
      const r = await fetch(`${svc.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get("content-type") ?? "", /text\/html/);
      assert.match(r.headers.get("content-security-policy") ?? "", /default-src 'self'.*frame-ancestors 'none'/);
      assert.match(await r.text(), /<div id="app">/);
    }
    const html = await (await fetch(`${svc.url}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${svc.url}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("cache-control") ?? "", /immutable/);
    assert.doesNotMatch(await js.text(), /cdn\.|googleapis|unpkg|jsdelivr|fonts\./, "no outside resources");
    for (const bad of ["/assets/../index.html", "/assets/%2e%2e/%2e%2e/package.json", "/assets/..%2f..%2fpackage.json", "/nope", "/api/v1/nope"]) {
      const r = await fetch(`${svc.url}${bad}`);
      assert.notEqual(r.status, 200, bad);
    }
  });
});
