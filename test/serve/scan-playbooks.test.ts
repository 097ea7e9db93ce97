/**
 * Rule playbooks after the scans the service runs, on a real `longwatch serve` child: a scan started through
 * `POST /api/v1/scans` proposes the playbook's responses for its new findings (and a second scan, seeing the same
 * findings again, proposes nothing more); with `--nats` (the ingest tier, whose workers detect) the playbooks run
 * after its scan jobs and after its re-audits too, on SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createToken } from "../../src/serve/auth/tokens.ts";
import { openStore } from "../../src/store/open.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { sharedNatsMissing, SHARED_NATS, testStream } from "../helpers/nats.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { metric, startServe, until } from "./support/serve-child.ts";

const natsMissing = await sharedNatsMissing();
const pgMissing = await postgresAvailable();

interface Resp { action: string; state: string; target: { id: string }; proposer: string; source: { kind: string; rule?: string } }

/** A store (SQLite unless given) with two devices of a model that cannot be updated over the air (rule no-ota), a config with a playbook for it. */
async function setup(audit: string, url?: string) {
  const tmp = tmpDir();
  const dataDir = join(tmp.dir, "data");
  const storeUrl = url ?? `sqlite:${join(dataDir, "longwatch.db")}`;
  const store = await openStore(storeUrl);
  await store.fleet.upsertModels([{ model_id: "fixed-fw", ota_capable: false }]);
  await importRows(store, ["m1", "m2"].map((id) => serializeDevice({ device_id: id, model_id: "fixed-fw" })));
  const token = (await createToken(store, { name: "alice", role: "admin", by: "test", now: Date.now() })).token;
  await store.close();
  const config = tmp.write(
    "longwatch.yaml",
    [
      `audit: ${audit}`,
      "respond:",
      "  connectors: { webhooks: { maker: { url: 'http://127.0.0.1:9/hook', secret: { env: LW_TEST_MAKER } } } }",
      "  playbooks:",
      "    - { name: ask-maker, when: { rule: [no-ota], severity: info }, action: webhook, params: { webhook: maker } }",
      "",
    ].join("\n"),
  );
  process.env.LW_TEST_MAKER = "a-secret-of-the-test";
  return { dataDir, storeUrl, token, config };
}

async function api(url: string, token: string, path: string, json?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${url}${path}`, { method: json === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${token}`, ...(json !== undefined ? { "content-type": "application/json" } : {}) }, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const proposed = async (url: string, token: string) => ((await api(url, token, "/api/v1/responses?action=webhook&page_size=100")).body.items as Resp[]).map((r) => `${r.target.id} ${r.state} ${r.proposer} ${r.source.kind}:${r.source.rule}`).sort();
const EXPECTED = ["m1 proposed longwatch:playbook:ask-maker finding:no-ota", "m2 proposed longwatch:playbook:ask-maker finding:no-ota"];

async function scan(url: string, token: string): Promise<void> {
  const started = await api(url, token, "/api/v1/scans", {});
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const id = started.body.id as string;
  await until(async () => (await api(url, token, `/api/v1/scan-jobs/${id}`)).body.state === "succeeded", 60_000, `scan job ${id} succeeded`);
}

describe("longwatch serve: rule playbooks after the service's own scans", () => {
  it("a scan through the API proposes for its new findings, and the next scan does not propose again", async () => {
    const s = await setup("{ every_minutes: 0, on_inventory_change: false }");
    const svc = await startServe(s.dataDir, s.storeUrl, ["--config", s.config]);
    try {
      assert.deepEqual(await proposed(svc.url, s.token), [], "nothing before the scan");
      await scan(svc.url, s.token);
      await until(async () => (await proposed(svc.url, s.token)).length === 2, 20_000, "the playbook's proposals after the scan job");
      assert.deepEqual(await proposed(svc.url, s.token), EXPECTED);
      await scan(svc.url, s.token);
      // The second scan sees the finding again (not new): given time to run, the playbooks propose nothing more.
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(await proposed(svc.url, s.token), EXPECTED);
    } finally {
      assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
    }
  });

  // On both engines, so the SQLite --nats path is covered also where NATS runs and PostgreSQL does not.
  for (const engine of ["sqlite", "postgres"] as const) {
    it(`with --nats on ${engine}, after a scan job and after a re-audit the inventory change started, counted on /metrics`, { skip: natsMissing || (engine === "postgres" && pgMissing) }, async () => {
      let url: string | undefined;
      if (engine === "postgres") {
        const pg = new URL(await throwawayDatabase());
        pg.searchParams.set("schema", "scanpb");
        url = pg.toString();
      }
      const s = await setup("{ every_minutes: 0, on_inventory_change: true, poll_s: 1 }", url);
      const names = testStream();
      const svc = await startServe(s.dataDir, s.storeUrl, ["--config", s.config, "--nats", SHARED_NATS, "--stream", names.stream, "--subject-prefix", names.prefix, "--partitions", "2"]);
      try {
        await scan(svc.url, s.token);
        await until(async () => (await proposed(svc.url, s.token)).length === 2, 20_000, "the playbook's proposals after the scan job");
        // A device of another model that cannot be updated, imported by another process: the inventory change starts a
        // re-audit, whose new finding (no-ota is one finding per model) the playbook proposes for.
        const store = await openStore(s.storeUrl);
        await store.fleet.upsertModels([{ model_id: "fixed-fw-2", ota_capable: false }]);
        await importRows(store, [serializeDevice({ device_id: "m3", model_id: "fixed-fw-2" })]);
        await store.close();
        await until(async () => (await proposed(svc.url, s.token)).length === 3, 30_000, "the re-audit's proposal for the new model's device");
        assert.deepEqual(await proposed(svc.url, s.token), [...EXPECTED, "m3 proposed longwatch:playbook:ask-maker finding:no-ota"]);
        // The ingest tier's /metrics counts its playbooks as plain serve's does.
        const m = await svc.metrics(s.token);
        assert.equal(metric(m, "longwatch_respond_findings_total"), 2, "two new no-ota findings, one per model");
        assert.match(m, /^longwatch_respond_responses_total\{[^}]*outcome="proposed"\} 3$/m);
        assert.match(m, /^longwatch_respond_responses_total\{[^}]*outcome="applied"\} 0$/m);
        assert.match(m, /^longwatch_respond_waiting_total\{[^}]*why="manual"\} 3$/m, "the playbook proposes; a person decides");
        assert.match(m, /^longwatch_respond_errors_total\{[^}]*\} 0$/m);
        assert.match(m, /^longwatch_nats_messages_total\{/m, "beside the ingest tier's own counters");
      } finally {
        assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
      }
    });
  }
});
