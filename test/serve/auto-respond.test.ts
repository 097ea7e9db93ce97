/**
 * Automatic response in the running service, end to end: a real `longwatch serve` child with playbooks in its
 * config file, a Mosquitto of the test's own with the dynamic-security plugin, and a local webhook receiver.
 * Records posted over HTTP raise sim-swap alerts; the playbooks then quarantine the devices on the broker by
 * themselves within the budget, wait while paused (switched through the API), and the time-to-live sweep reverses
 * the quarantines on its timer — but not while paused. A webhook playbook only proposes; a second person approves
 * and applies it and the receiver gets the signed message. `respond log --verify` then holds over every step.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { verifySignature } from "../../src/formats/signature.ts";
import { withDynsec } from "../../src/respond/connectors/dynsec.ts";
import { createToken } from "../../src/serve/auth/tokens.ts";
import { openStore } from "../../src/store/open.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { httpPeer } from "../helpers/http-peer.ts";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/mosquitto-dynsec.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { startServe, type ServeChild, until } from "./support/serve-child.ts";

const skip = mosquittoAvailable();
const root = join(import.meta.dirname, "..", "..");
const HOOK_SECRET = "a-webhook-secret-of-the-test";
// Two valid IMEIs of different type allocation codes: a SIM moved into another kind of device (sim-swap, high).
const IMEI_A = "356938035643809";
const IMEI_B = "490154203237518";

interface Resp { id: string; action: string; state: string; mode: string; target: { id: string }; proposer: string; reverser?: string; ttl_expires_at?: string }

describe("longwatch serve: automatic response from live alerts", { skip }, () => {
  const tmp = tmpDir();
  let broker: TestBroker;
  let svc: ServeChild;
  let alice: string;
  let bob: string;
  const hook = { peer: undefined as Awaited<ReturnType<typeof httpPeer>> | undefined };
  const dataDir = join(tmp.dir, "data");
  const storeUrl = `sqlite:${join(dataDir, "longwatch.db")}`;

  const api = async (path: string, token: string, json?: unknown) => {
    const r = await fetch(`${svc.url}${path}`, { method: json === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${token}`, ...(json !== undefined ? { "content-type": "application/json" } : {}) }, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const responses = async (action: string) => ((await api(`/api/v1/responses?action=${action}&page_size=100`, alice)).body.items as Resp[]).sort((a, b) => a.target.id.localeCompare(b.target.id));
  /** A session with IMEI A, then one with IMEI B: the second raises sim-swap for the device. */
  const swap = async (device: string) => {
    const t = Date.now();
    const body = [IMEI_A, IMEI_B].map((imei, i) => JSON.stringify({ ts: new Date(t - 60_000 + i * 30_000).toISOString(), kind: "connectivity", device_id: device, iccid: `8988228000000000${device.slice(-1)}0`, event: "session_start", imei })).join("\n");
    const r = await fetch(`${svc.url}/api/v1/records`, { method: "POST", headers: { authorization: `Bearer ${alice}`, "content-type": "application/x-ndjson" }, body });
    assert.equal(r.status, 200, await r.text());
  };
  const roles = (username: string) => withDynsec({ url: broker.url, ...broker.admin, timeoutMs: 5000 }, async (c) => (await c.getClient(username))?.roles.map((r) => r.rolename));

  // Run from before(): serve-child's after() (which kills the child) then runs at the end of the file.
  const setup = async () => {
    broker = await startMosquitto(tmp.dir, { writable: true });
    await withDynsec({ url: broker.url, ...broker.admin, timeoutMs: 5000 }, async (c) => {
      await c.runOk([
        { command: "createRole", rolename: "device", acls: [{ acltype: "publishClientSend", topic: "tele/#", allow: true }] },
        ...[1, 2, 3, 4].map((i) => ({ command: "createClient", username: `meter-${i}`, password: "device-pw", roles: [{ rolename: "device", priority: 5 }] })),
      ]);
    });
    hook.peer = await httpPeer();
    const store = await openStore(storeUrl);
    await importRows(store, [1, 2, 3, 4].map((i) => serializeDevice({ device_id: `dev-${i}`, model_id: "m1", mqtt_client_id: `meter-${i}` })));
    alice = (await createToken(store, { name: "alice", role: "responder", by: "test", now: Date.now() })).token;
    bob = (await createToken(store, { name: "bob", role: "responder", by: "test", now: Date.now() })).token;
    await store.close();
    const config = tmp.write(
      "longwatch.yaml",
      [
        "metrics_public: true",
        "detection: { hold_ms: 0 }",
        "audit: { every_minutes: 0, on_inventory_change: false }",
        "respond:",
        "  automatic: { enabled: true, budget: { devices: 2, per: 1h }, ttl: 15s, sweep_every: 1s }",
        "  connectors:",
        `    mqtt: { url: "${broker.url}", username: ${broker.admin.username}, password: { env: LW_TEST_DYNSEC_PW } }`,
        `    webhooks: { ticket: { url: "${hook.peer.url}", secret: { env: LW_TEST_HOOK_SECRET } } }`,
        "  playbooks:",
        "    - { name: quarantine-swapped-sim, when: { detector: [sim-swap], severity: high }, action: mqtt-quarantine, mode: automatic }",
        "    - { name: open-ticket, when: { detector: [sim-swap], severity: high }, action: webhook, params: { webhook: ticket } }",
        "",
      ].join("\n"),
    );
    process.env.LW_TEST_DYNSEC_PW = broker.admin.password;
    process.env.LW_TEST_HOOK_SECRET = HOOK_SECRET;
    svc = await startServe(dataDir, storeUrl, ["--config", config]);
  };
  before(async () => {
    if (!skip) await setup();
  });
  after(async () => {
    await svc?.stop();
    await hook.peer?.close();
    await broker?.stop();
  });

  it("pause holds an alert's quarantine for a person; resumed, the budget lets two devices through and holds the third", async () => {
    const paused = await api("/api/v1/respond/automatic/pause", alice, { reason: "maintenance window" });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.equal(paused.body.paused, true);
    assert.equal(paused.body.paused_by, "alice");
    await swap("dev-1");
    await until(async () => (await responses("mqtt-quarantine")).length === 1, 20_000, "a quarantine proposed for dev-1");
    const [held] = await responses("mqtt-quarantine");
    assert.deepEqual([held!.target.id, held!.state, held!.mode], ["dev-1", "proposed", "automatic"]);
    assert.deepEqual(await roles("meter-1"), ["device"], "paused: the broker is not touched");

    assert.equal((await api("/api/v1/respond/automatic/resume", bob, {})).body.paused, false);
    for (const d of ["dev-2", "dev-3", "dev-4"]) await swap(d);
    await until(async () => (await responses("mqtt-quarantine")).length === 4, 30_000, "quarantines proposed for dev-2..4");
    await until(async () => (await responses("mqtt-quarantine")).filter((r) => r.state === "verified").length === 2, 30_000, "two quarantines applied and verified");
    const all = await responses("mqtt-quarantine");
    const applied = all.filter((r) => r.state === "verified").map((r) => r.target.id);
    const waiting = all.filter((r) => r.state === "proposed").map((r) => r.target.id);
    assert.equal(applied.length, 2);
    assert.equal(waiting.length, 2, "dev-1 (paused) and one over budget wait for a person");
    assert.ok(waiting.includes("dev-1"));
    for (const id of applied) assert.deepEqual(await roles(id.replace("dev", "meter")), [`longwatch-quarantine-${id.replace("dev", "meter")}`], `${id} is quarantined on the broker`);
    const status = (await api("/api/v1/respond/automatic", alice)).body as { budget: { used: number; devices: number } };
    assert.deepEqual([status.budget.used, status.budget.devices], [2, 2]);
    const m = await svc.metrics();
    assert.match(m, /longwatch_respond_responses_total\{[^}]*outcome="applied"\} 2/);
    assert.match(m, /longwatch_respond_responses_total\{[^}]*outcome="verified"\} 2/);
    assert.match(m, /longwatch_respond_responses_total\{[^}]*outcome="failed"\} 0/);
    assert.match(m, /^longwatch_respond_paused\{[^}]*\} 0$/m, "resumed: the last alert read the switch off");
    assert.match(m, /longwatch_respond_waiting_total\{[^}]*why="paused"\} 1/);
    assert.match(m, /longwatch_respond_waiting_total\{[^}]*why="budget"\} 1/);
    assert.match(m, /longwatch_respond_waiting_total\{[^}]*why="manual"\} 4/, "the webhook playbook proposes only");
    assert.match(m, /longwatch_sink_dropped_total\{[^}]*sink="respond"[^}]*\} 0/);
  });

  it("the time-to-live sweep waits while paused, then reverses the automatic quarantines on its own", async () => {
    await api("/api/v1/respond/automatic/pause", alice, { reason: "looking at it" });
    const applied = (await responses("mqtt-quarantine")).filter((r) => r.state === "verified");
    const due = Math.max(...applied.map((r) => Date.parse(r.ttl_expires_at!)));
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 2500));
    assert.deepEqual((await responses("mqtt-quarantine")).filter((r) => r.state === "reversed"), [], "nothing reversed while paused");
    await api("/api/v1/respond/automatic/resume", alice, {});
    await until(async () => (await responses("mqtt-quarantine")).filter((r) => r.state === "reversed").length === 2, 20_000, "both quarantines reversed at the end of their time-to-live");
    for (const r of (await responses("mqtt-quarantine")).filter((x) => x.state === "reversed")) {
      assert.equal(r.reverser, "longwatch:ttl");
      assert.deepEqual(await roles(r.target.id.replace("dev", "meter")), ["device"], `${r.target.id}'s role is back`);
    }
    assert.match(await svc.metrics(), /longwatch_respond_ttl_reversed_total\{[^}]*\} 2/);
  });

  it("a proposing playbook waits for a person; approved and applied by two others, the signed webhook arrives", async () => {
    const tickets = await responses("webhook");
    assert.equal(tickets.length, 4);
    assert.ok(tickets.every((t) => t.state === "proposed" && t.mode === "manual" && t.proposer === "longwatch:playbook:open-ticket"));
    assert.equal(hook.peer!.received.length, 0, "nothing is sent before a person decides");
    const t = tickets[0]!;
    assert.equal((await api(`/api/v1/responses/${t.id}/approve`, bob, { note: "ok" })).status, 200);
    const done = await api(`/api/v1/responses/${t.id}/apply`, alice, { execute: true });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((done.body.response as Resp).state, "verified");
    assert.equal(hook.peer!.received.length, 1);
    const got = hook.peer!.received[0]!;
    assert.ok(verifySignature(got.body, HOOK_SECRET, got.headers["x-longwatch-signature"] as string), "the message is signed with the webhook's secret");
    assert.equal((JSON.parse(got.body) as { target: { id: string } }).target.id, t.target.id);
  });

  it("after SIGTERM, `respond log --verify` holds over every step, automatic ones included", async () => {
    assert.equal(await svc.stop(), 0);
    const run = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/bin.ts"), "--data", dataDir, "--store", storeUrl, "respond", "log", "--verify"], { cwd: root, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /chain intact/);
    const jsonl = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/bin.ts"), "--data", dataDir, "--store", storeUrl, "respond", "log", "--format", "jsonl"], { cwd: root, encoding: "utf8" });
    const events = jsonl.stdout.trim().split("\n").map((l) => JSON.parse(l) as { event: string; actor: string });
    const count = (e: string, actor?: string) => events.filter((x) => x.event === e && (actor === undefined || x.actor === actor)).length;
    assert.equal(count("automatic-paused"), 2);
    assert.equal(count("automatic-resumed"), 2);
    assert.equal(count("applied", "longwatch:playbook:quarantine-swapped-sim"), 2);
    assert.equal(count("budget-exhausted"), 1);
    assert.equal(count("reversed", "longwatch:ttl"), 2);
    assert.equal(count("applied", "alice"), 1);
  });
});
