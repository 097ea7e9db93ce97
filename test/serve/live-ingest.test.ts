/**
 * The running service as an operator runs it: a real `longwatch serve` child on a SQLite store with the simulated
 * fleet's inventory, fed a simulated attack day over HTTP (`POST /api/v1/records`) or over MQTT (the shared
 * Mosquitto on 127.0.0.1:1883, QoS 1, a topic and client id of this run's own). It must raise the alerts `detect`
 * raises on the same records; and killed with SIGKILL twice during MQTT ingest and restarted, it must still take
 * every record exactly once (none acknowledged and lost, none counted twice) and raise no alert twice.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import mqtt from "mqtt";
import type { Alert } from "../../src/core/record.ts";
import { readInventoryFiles } from "../../src/detect/inventory.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { openStore } from "../../src/store/open.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { SHARED_BROKER } from "../helpers/mosquitto.ts";
import { tcpProxy } from "../helpers/tcp-proxy.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { mergeNdjson, metric, startServe, until } from "./support/serve-child.ts";

// Every detector, volume-anomaly included (see the pipeline test).
const core = (alerts: Iterable<Alert>) => [...alerts].map((a) => `${a.id} ${a.detector} ${a.device_id} ${a.key} ${a.first_seen} ${a.last_seen} ${a.count} ${a.severity}`).sort();

describe("longwatch serve: live ingest against the real server", () => {
  const tmp = tmpDir();
  // A day of a 40-device fleet with every attack scenario, ending an hour ago (plausible times for a live service).
  const sim = simulate({ dir: join(tmp.dir, "sim"), devices: 40, hours: 26, scenarios: SCENARIO_NAMES, seed: 21, format: "ndjson", start: Date.now() - 27 * 3_600_000 });
  const lines = mergeNdjson(sim.files);
  // Event time follows the records only (they are a replayed day, all older than the wall clock's idle bound).
  const config = tmp.write("longwatch.yaml", ["metrics_public: true", "detection:", "  idle_ms: 1000000000000000", "checkpoint:", "  interval_s: 1", "audit:", "  every_minutes: 0", "  on_inventory_change: false", ""].join("\n"));
  let n = 0;

  async function freshStore(): Promise<{ dataDir: string; url: string }> {
    const dataDir = join(tmp.dir, `data-${++n}`);
    const url = `sqlite:${join(dataDir, "longwatch.db")}`;
    const store = await openStore(url);
    const inv = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    await importRows(store, inv.devices.map((d) => serializeDevice(d)));
    await store.fleet.upsertModels(inv.models);
    await store.close();
    return { dataDir, url };
  }

  async function expected(): Promise<Alert[]> {
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    return runDetection({ files: sim.files, inventory, reference: loadReference(), now: Date.now(), onReject: () => assert.fail("reject") }).alerts;
  }

  async function storedAlerts(url: string): Promise<Alert[]> {
    const store = await openStore(url);
    try {
      return await store.alerts.list({ limit: 100_000 });
    } finally {
      await store.close();
    }
  }

  function assertOnce(alerts: readonly Alert[]): void {
    const ids = alerts.map((a) => a.id);
    assert.equal(new Set(ids).size, ids.length, "an alert id stored twice");
    const keys = alerts.map((a) => `${a.detector} ${a.device_id} ${a.key} ${a.first_seen}`);
    assert.equal(new Set(keys).size, keys.length, "an alert raised twice (same detector, device, key and first sighting)");
  }

  it("over HTTP: POST /api/v1/records gives the alerts detect gives on the same records", async () => {
    const want = await expected();
    assert.ok(core(want).length > 10, `the simulation raises alerts (${want.length})`);
    const { dataDir, url } = await freshStore();
    const svc = await startServe(dataDir, url, ["--config", config]);
    after(() => svc.kill9());
    const token = svc.adminToken!;
    assert.ok(token, svc.out());
    let accepted = 0;
    // Bodies of 500 lines, one request after another, as an order-keeping forwarder sends them: the order of concurrent
    // requests is not defined, and a replayed day packs hours of event time into each body, far beyond what the reorder
    // buffer waits for (live, concurrent bodies cover the same seconds).
    for (let i = 0; i < lines.length; i += 500) {
      const r = await fetch(`${svc.url}/api/v1/records`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" }, body: `${lines.slice(i, i + 500).join("\n")}\n` });
      const text = await r.text();
      assert.equal(r.status, 200, text);
      const a = JSON.parse(text) as { accepted: number; rejected: number; rejects: unknown[] };
      assert.equal(a.rejected, 0, JSON.stringify(a.rejects.slice(0, 3)));
      accepted += a.accepted;
    }
    assert.equal(accepted, lines.length);
    assert.equal(metric(await svc.metrics(), "longwatch_detection_records_total"), lines.length);
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
    const got = await storedAlerts(url);
    assertOnce(got);
    assert.deepEqual(core(got), core(want));
  });

  it("over MQTT, killed with SIGKILL twice mid-ingest and restarted: every record taken once, the alerts detect gives, none twice", async (t) => {
    const want = await expected();
    const { dataDir, url } = await freshStore();
    const run = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const base = `lwtest/kill9/${run}`;
    // The service reaches the broker through a proxy that can hold back its PUBACKs (see below).
    const broker = new URL(SHARED_BROKER);
    const proxy = await tcpProxy(broker.hostname, Number(broker.port || 1883));
    after(() => proxy.close());
    // The same client id across restarts: the broker keeps the session and what was not acknowledged.
    const args = ["--config", config, "--mqtt", `mqtt://${proxy.address}`, "--mqtt-topic", `${base}/records`, "--mqtt-client-id", `lw-kill9-${run}`];
    let svc = await startServe(dataDir, url, args);
    after(() => svc.kill9());
    const taken = async () => metric(await svc.metrics(), "longwatch_detection_records_total") ?? 0;
    const pub = await mqtt.connectAsync(SHARED_BROKER, { protocolVersion: 5, clientId: `lw-kill9-pub-${run}` });
    after(() => pub.endAsync());

    // Wait until the service's subscription is in place (an empty array is a message with no records).
    await until(async () => {
      await pub.publishAsync(`${base}/records`, "[]", { qos: 1 });
      return (metric(await svc.metrics(), "longwatch_mqtt_messages_total") ?? 0) > 0;
    }, 30_000, "the service subscribed");

    // Messages of 40 records each (NDJSON), ~950 in all; killed after 300 and after 600 were published.
    const messages: string[] = [];
    for (let i = 0; i < lines.length; i += 40) messages.push(lines.slice(i, i + 40).join("\n"));
    const kills = new Set([300, 600]);
    // From 20 messages before each kill the service's PUBACKs are held back: what it journals then is durably taken
    // but never acknowledged, so the broker sends it again, marked DUP, after the restart — the window a kill at a
    // random moment hits only by luck. Taking a redelivery again would count its records twice.
    const holds = new Set([...kills].map((k) => k - 20));
    let atHold = 0;
    let restarts = 0;
    const replays: number[] = [];
    const seen: string[] = [];
    let kill: Promise<void> | undefined;
    for (let i = 0; i < messages.length; i++) {
      if (holds.has(i)) {
        if (kill) await kill;
        kill = undefined;
        atHold = await taken();
        proxy.holdClientBytes();
      }
      if (kills.has(i)) {
        await until(async () => (await taken()) > atHold, 30_000, "records journaled while their PUBACKs were held");
        // SIGKILL while messages are in flight; publishing goes on for a while (the broker queues for the session).
        if (restarts > 0) seen.push(await svc.metrics());
        await svc.kill9();
        const prev = svc;
        kill = startServe(dataDir, url, args).then(async (s) => {
          svc = s;
          replays.push(metric(await s.metrics(), "longwatch_journal_replayed_on_start") ?? -1);
          restarts++;
          assert.notEqual(s, prev);
        });
      }
      if (kill && i % 300 === 150) {
        await kill;
        kill = undefined;
      }
      await pub.publishAsync(`${base}/records`, messages[i]!, { qos: 1 });
    }
    await kill;
    assert.equal(restarts, 2);

    // Every record the broker took reaches detection exactly once: the count, kept in the checkpoint and rebuilt by the
    // journal replay, reaches the number published and stays there (a redelivery taken twice would pass it).
    await until(async () => (await taken()) >= lines.length, 120_000, `all ${lines.length} records taken (${await taken()} so far)`);
    await new Promise((r) => setTimeout(r, 1500));
    const text = await svc.metrics();
    assert.equal(metric(text, "longwatch_detection_records_total"), lines.length);
    seen.push(text);
    const replayed = replays.reduce((a, b) => a + b, 0);
    const per = (name: string) => seen.map((x) => metric(x, name) ?? 0).join("+");
    t.diagnostic(`records ${lines.length} in ${messages.length} messages; after the restarts: journal bodies replayed ${replays.join("+")}, redeliveries ${per("longwatch_mqtt_redelivered_total")}, duplicates dropped ${per("longwatch_mqtt_duplicates_dropped_total")}`);
    assert.ok(replayed > 0, "a kill left journaled bodies after the last checkpoint");
    assert.ok(proxy.dropped > 0, "PUBACKs were held back before the kills");
    assert.ok(seen.reduce((n, x) => n + (metric(x, "longwatch_mqtt_duplicates_dropped_total") ?? 0), 0) > 0, "redeliveries of messages journaled before a kill were dropped");
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));

    const got = await storedAlerts(url);
    assertOnce(got);
    assert.deepEqual(core(got), core(want));
  });
});
