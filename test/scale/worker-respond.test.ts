/**
 * Playbooks in a scaled-out deployment, on the real services: records that raise sim-swap alerts for four devices are
 * published to JetStream in two partitions, and two `longwatch worker` processes sharing a PostgreSQL store detect
 * them with an automatic playbook in their config file. Between them the workers answer every alert once, spend the
 * budget of two devices once (not twice: once per worker), answer an alert committed before they started (a worker
 * that died before its playbooks ran), and reverse what ran out of its time-to-live once — only the worker holding
 * partition 0 sweeps. Each worker's /metrics (`--metrics-listen`) counts what it did, and between them the counts add
 * up to what the store holds.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ResponseRecord } from "../../src/core/response.ts";
import { readInventoryStore } from "../../src/detect/inventory.ts";
import { connectNats, ensureStream, manager } from "../../src/scale/nats.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { openStore } from "../../src/store/open.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { SHARED_NATS, sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";

const skip = (await sharedNatsMissing()) || (await postgresAvailable());
const ROOT = join(import.meta.dirname, "..", "..");
// Two valid IMEIs of different type allocation codes: a SIM moved into another kind of device (sim-swap, high).
const IMEI_A = "356938035643809";
const IMEI_B = "490154203237518";

describe("longwatch worker: playbooks on the alerts it commits", { skip }, () => {
  it("refuses a --metrics-listen that is not HOST:PORT before it connects to anything", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), "--store", `sqlite:${join(tmpDir().dir, "lw.db")}`, "worker", "--nats", SHARED_NATS, "--metrics-listen", "9100"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--metrics-listen 9100: give HOST:PORT/);
  });

  it("two workers answer each alert once, within one shared budget, and one of them sweeps the time-to-live", async () => {
    const tmp = tmpDir();
    const names = testStream();
    const u = new URL(await throwawayDatabase());
    u.searchParams.set("schema", "wr");
    const url = u.toString();
    const store = await openStore(url);
    after(() => store.close());
    const devices = ["dev-1", "dev-2", "dev-3", "dev-4", "dev-5"];
    await importRows(store, devices.map((id, i) => serializeDevice({ device_id: id, model_id: "m1", iccid: `898822800000000000${i}` })));
    // Committed by a worker that died before its playbooks ran: no record of it will come again.
    await store.alerts.upsert([sampleAlert({ id: "al-dev-5", detector: "sim-swap", device_id: "dev-5", model_id: "m1", severity: "high", first_seen: new Date().toISOString(), last_seen: new Date().toISOString() })], new Date().toISOString());

    const calls = join(tmp.dir, "calls.log");
    // The reverse takes a while, so a second sweeper would find the same response still due and reverse it again.
    const script = tmp.write("fix.sh", `#!/bin/sh\necho "$@" >> ${calls}\n[ "$1" = reverse ] && sleep 1.5\nexit 0\n`);
    chmodSync(script, 0o755);
    const config = tmp.write(
      "worker.yaml",
      [
        "respond:",
        "  automatic: { enabled: true, budget: { devices: 2, per: 1h }, ttl: 8s, sweep_every: 1s }",
        `  connectors: { commands: { fix: { path: "${script}", args: [apply, "{device_id}"], reverse_args: [reverse, "{device_id}"] } } }`,
        "  playbooks:",
        "    - { name: isolate, when: { detector: [sim-swap], severity: high }, action: command-reversible, params: { command: fix }, mode: automatic }",
        "",
      ].join("\n"),
    );

    const t = Date.now() - 120_000;
    const lines = devices.slice(0, 4).flatMap((d, k) => [IMEI_A, IMEI_B].map((imei, i) => JSON.stringify({ ts: new Date(t + k * 1000 + i * 30_000).toISOString(), kind: "connectivity", device_id: d, iccid: `898822800000000000${k}`, event: "session_start", imei })));
    const records = tmp.write("records.ndjson", `${lines.join("\n")}\n`);
    const nc = await connectNats(SHARED_NATS, "test publish");
    try {
      const layout = await ensureStream(await manager(nc), { ...names, partitions: 2, window: 2000 });
      const stats = await publishFiles({ files: [records], nc, layout, inventory: await readInventoryStore(store), onReject: (f, l, why) => assert.fail(`${f}:${l}: ${why}`) });
      assert.equal(stats.published, 8);
    } finally {
      await nc.close();
    }

    const procs: ChildProcess[] = [];
    const logs: string[] = [];
    after(() => procs.forEach((p) => p.kill("SIGKILL")));
    for (const name of ["w1", "w2"]) {
      const p = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), "--store", url, "worker", "--nats", SHARED_NATS, "--stream", names.stream, "--subject-prefix", names.prefix, "--name", name, "--detectors", "sim-swap", "--config", config, "--lease-seconds", "3", "--checkpoint-seconds", "0.3", "--quiet-seconds", "0.5", "--metrics-listen", "127.0.0.1:0"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
      const k = logs.push("") - 1;
      p.stderr!.on("data", (d: Buffer) => (logs[k] += d.toString()));
      procs.push(p);
    }
    const all = async () => (await store.responses.list({ action: "command-reversible", limit: 100 })).sort((a, b) => a.target.id.localeCompare(b.target.id));
    const until = async (what: string, ok: (rs: ResponseRecord[]) => boolean, ms = 90_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const rs = await all();
        if (ok(rs)) return rs;
        if (Date.now() > end) assert.fail(`${what}: ${rs.map((r) => `${r.target.id} ${r.state}`).join(", ")}\n${logs.join("\n---\n")}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    const answered = await until("a response for each of the five alerts", (rs) => rs.length === 5 && rs.filter((r) => r.applied_at).length === 2);
    assert.deepEqual(answered.map((r) => r.target.id), devices, "one response per alert, none twice");
    assert.ok(answered.every((r) => r.source.kind === "alert" && r.source.id !== undefined && r.mode === "automatic"));
    assert.equal(answered.filter((r) => r.state === "proposed").length, 3, "the budget of two devices holds across the workers: three wait for a person");
    assert.equal(answered.find((r) => r.target.id === "dev-5")!.source.id, "al-dev-5", "the alert committed before the workers started is answered");

    const reversed = await until("the two automatic responses reversed at the end of their time-to-live", (rs) => rs.filter((r) => r.state === "reversed").length === 2, 60_000);
    // A second sweeper would have run the reverse command again (and logged reverse-failed): give it the time.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(reversed.filter((r) => r.state === "reversed").map((r) => r.reverser), ["longwatch:ttl", "longwatch:ttl"]);
    const ran = existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n").sort() : [];
    const applied = reversed.filter((r) => r.state === "reversed").map((r) => r.target.id);
    assert.deepEqual(ran, [...applied.map((d) => `apply ${d}`), ...applied.map((d) => `reverse ${d}`)].sort(), "each command ran once");
    const events: string[] = [];
    for await (const page of store.responses.log()) for (const e of page) events.push(e.event);
    assert.ok(!events.includes("reverse-failed") && !events.includes("apply-failed"), events.join(", "));

    // What each worker did, on its own /metrics; added up, what the store holds.
    const metricsUrls = logs.map((l, i) => /metrics on (http:\/\/\S+\/metrics)/.exec(l)?.[1] ?? assert.fail(`worker ${i + 1} names no metrics address:\n${l}`));
    const texts = await Promise.all(metricsUrls.map(async (u) => (await fetch(u)).text()));
    const sum = (name: string, labels = "") => texts.reduce((n, t) => n + [...t.matchAll(new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\S+)$`, "gm"))].reduce((k, m) => k + Number(m[1]), 0), 0);
    assert.equal(sum("longwatch_respond_responses_total", 'outcome="proposed"'), 5, texts.join("\n---\n"));
    assert.equal(sum("longwatch_respond_responses_total", 'outcome="applied"'), 2);
    assert.equal(sum("longwatch_respond_responses_total", 'outcome="verified"'), 2);
    assert.equal(sum("longwatch_respond_responses_total", 'outcome="failed"'), 0);
    assert.equal(sum("longwatch_respond_waiting_total", 'why="budget"'), 3, "the budget refusals");
    assert.equal(sum("longwatch_respond_waiting_total", 'why="paused"'), 0);
    assert.equal(sum("longwatch_respond_ttl_reversed_total"), 2, "reversed by the worker holding partition 0");
    assert.ok(texts.every((t) => /^longwatch_respond_paused\{[^}]*\} 0$/m.test(t)), "neither worker saw automatic response paused");
    assert.ok(texts.every((t) => /^longwatch_sink_dropped_total\{[^}]*sink="respond"[^}]*\} 0$/m.test(t)), "the respond queue of each worker is counted");
    assert.equal(sum("longwatch_worker_units"), sum("longwatch_worker_unit_held"), "the count and the per-unit samples agree");
    assert.ok(sum("longwatch_worker_units") > 0);

    for (const p of procs) p.kill("SIGTERM");
    const codes = await Promise.all(procs.map((p) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once("exit", (c) => r(c))))));
    assert.deepEqual(codes, [0, 0], logs.join("\n---\n"));
  });
});
