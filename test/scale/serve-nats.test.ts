/**
 * `longwatch serve --nats` as the ingest tier, on the real services: a real serve child (PostgreSQL store with the
 * simulated fleet's inventory) takes a simulated attack day over HTTP and MQTT (the shared Mosquitto) and publishes
 * it to a JetStream stream of this test's own on the shared nats-server; a worker on the same PostgreSQL detects.
 *
 * - Every record reaches the stream once (a POST sent again is dropped by its Nats-Msg-Id), and every record of a
 *   device — whichever identifier it carries (device_id, ICCID/IMSI/IMEI, MQTT client id, IP) — is on the
 *   partition of its inventory device_id.
 * - A worker on the stream raises the alerts a worker raises on the same records loaded with `longwatch publish`,
 *   and those are the alerts single-process `detect` raises on the files (fleet stage included).
 * - A followed Zeek log is published once across a restart of serve (its position is saved after JetStream has the
 *   chunk).
 */
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import mqtt from "mqtt";
import type { Alert } from "../../src/core/record.ts";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { type DetectInventory, readInventoryFiles } from "../../src/detect/inventory.ts";
import { Rec } from "../../src/detect/read/rec.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { BatchSource } from "../../src/scale/batch.ts";
import { connectNats, ensureStream, manager, type StreamLayout } from "../../src/scale/nats.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { partitionOf, partitionSubject } from "../../src/scale/partition.ts";
import { ScaleWorker } from "../../src/scale/worker.ts";
import { openStore } from "../../src/store/open.ts";
import { FLEET_UNIT } from "../../src/store/scale.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { SHARED_BROKER } from "../helpers/mosquitto.ts";
import { SHARED_NATS, sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { mergeNdjson, metric, startServe, until } from "../serve/support/serve-child.ts";

const skip = (await sharedNatsMissing()) || (await postgresAvailable());
const P = 4;
const db = skip ? "" : await throwawayDatabase();

/** The records of a stream, per partition, read back message by message. */
async function streamRecords(layout: { stream: string; prefix: string }): Promise<{ perPartition: Record<string, string>[][]; messages: number }> {
  const nc = await connectNats(SHARED_NATS, "test read");
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(layout.stream);
    const perPartition: Record<string, string>[][] = Array.from({ length: P }, () => []);
    const rec = new Rec();
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = (await jsm.streams.getMessage(layout.stream, { seq }))!;
      const p = Number(m.subject.slice(layout.prefix.length + 1));
      assert.equal(partitionSubject(layout.prefix, p), m.subject);
      const src = new BatchSource(m.subject, m.data);
      while (src.next(rec)) perPartition[p]!.push(rec.fields());
    }
    return { perPartition, messages: info.state.messages };
  } finally {
    await nc.close();
  }
}

/** Runs a worker (every unit, fleet stage included) on a stream until it is through; the alerts it stored. */
async function detectWithWorker(url: string, stream: string, prefix: string, records: number, inventory: DetectInventory): Promise<Alert[]> {
  const store = await openStore(url);
  const nc = await connectNats(SHARED_NATS, "test worker");
  const layout: StreamLayout = { stream, prefix, partitions: P, window: P * 1000 };
  const w = new ScaleWorker({ nc, store, layout, name: "sn", inventory, leaseMs: 3000, checkpointMs: 300, quietMs: 500, engine: { detectors: allDetectors, reference: loadReference({}) } });
  try {
    await w.start();
    const last = (await (await jetstreamManager(nc)).streams.info(stream)).state.last_seq;
    await until(async () => {
      const cps = await store.scale.checkpoints(stream);
      return cps.length === P + 1 && cps.find((c) => c.part === FLEET_UNIT)!.seq >= last && cps.filter((c) => c.part !== FLEET_UNIT).reduce((s, c) => s + c.records, 0) === records && cps.every((c) => (JSON.parse(c.meta) as { held?: number }).held === 0);
    }, 120_000, "the worker caught up");
    return await store.alerts.list({ limit: 100_000 });
  } finally {
    await w.stop();
    await nc.close();
    await store.close();
  }
}

/**
 * Alerts as comparable text. device-silent is judged at ticks, and a partition's event time moves at the end of each
 * message it takes (newest record minus the hold): so its first and last sighting move by the gap between message
 * boundaries, which differ between serve's bodies and publish's batches. It is compared without them.
 */
const core = (alerts: Iterable<Alert>) => [...alerts].map((a) => (a.detector === "device-silent" ? `${a.detector} ${a.device_id} ${a.key} ${a.count} ${a.severity}` : `${a.id} ${a.detector} ${a.device_id} ${a.key} ${a.first_seen} ${a.last_seen} ${a.count} ${a.severity}`)).sort();

describe("longwatch serve --nats: the ingest tier publishes to JetStream", { skip }, () => {
  const tmp = skip ? undefined : tmpDir();
  let inventory: DetectInventory;
  let sim: ReturnType<typeof simulate>;
  let lines: string[] = [];
  let workerAlerts: Alert[] | undefined;
  let n = 0;
  const config = () => tmp!.write("longwatch.yaml", ["metrics_public: true", "audit:", "  every_minutes: 0", "  on_inventory_change: false", ""].join("\n"));

  async function freshStore(): Promise<{ dataDir: string; url: string }> {
    const u = new URL(db);
    u.searchParams.set("schema", `sn${++n}`);
    const store = await openStore(u.toString());
    await importRows(store, inventory.devices.map((d) => serializeDevice(d)));
    await store.fleet.upsertModels(inventory.models);
    await store.close();
    return { dataDir: join(tmp!.dir, `data-${n}`), url: u.toString() };
  }

  before(async () => {
    // A day of a 40-device fleet with every attack scenario, ending an hour ago (plausible for a live service).
    sim = simulate({ dir: join(tmp!.dir, "sim"), devices: 40, hours: 26, scenarios: SCENARIO_NAMES, seed: 21, format: "ndjson", start: Date.now() - 27 * 3_600_000 });
    lines = mergeNdjson(sim.files);
    inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
  });

  it("HTTP and MQTT records reach their device's partition once; a worker raises what it raises on the same records loaded by publish", async (t) => {
    const names = testStream();
    const { dataDir, url } = await freshStore();
    const run = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const topic = `lwtest/servenats/${run}/records`;
    const svc = await startServe(dataDir, url, ["--config", config(), "--nats", SHARED_NATS, "--stream", names.stream, "--subject-prefix", names.prefix, "--partitions", String(P), "--mqtt", SHARED_BROKER, "--mqtt-topic", topic, "--mqtt-client-id", `lw-sn-${run}`]);
    after(() => svc.kill9());
    const token = svc.adminToken!;
    assert.ok(token, svc.out());
    const post = async (body: string) => {
      const r = await fetch(`${svc.url}/api/v1/records`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" }, body });
      const text = await r.text();
      assert.equal(r.status, 200, text);
      return JSON.parse(text) as { accepted: number; rejected: number; rejects: unknown[] };
    };
    // The first half over HTTP in bodies of 500 lines, one after another.
    const half = Math.floor(lines.length / 2);
    let accepted = 0;
    for (let i = 0; i < half; i += 500) {
      const a = await post(`${lines.slice(i, Math.min(i + 500, half)).join("\n")}\n`);
      assert.equal(a.rejected, 0, JSON.stringify(a.rejects.slice(0, 3)));
      accepted += a.accepted;
    }
    // A client retrying a body (its answer was lost): the same Nats-Msg-Ids, so the stream keeps it once.
    const again = await post(`${lines.slice(0, 500).join("\n")}\n`);
    assert.equal(again.accepted, 500);
    assert.ok((metric(await svc.metrics(), "longwatch_nats_duplicates_total") ?? 0) > 0, "the retried body was dropped by the stream");

    // The second half over MQTT, QoS 1, 40 records a message.
    const pub = await mqtt.connectAsync(SHARED_BROKER, { protocolVersion: 5, clientId: `lw-sn-pub-${run}` });
    after(() => pub.endAsync());
    await until(async () => {
      await pub.publishAsync(topic, "[]", { qos: 1 });
      return (metric(await svc.metrics(), "longwatch_mqtt_acked_total") ?? 0) > 0;
    }, 30_000, "the service subscribed");
    for (let i = half; i < lines.length; i += 40) await pub.publishAsync(topic, lines.slice(i, Math.min(i + 40, lines.length)).join("\n"), { qos: 1 });
    const inStream = async () => {
      const m = await svc.metrics();
      return [0, 1, 2, 3].reduce((s, p) => s + (Number(new RegExp(`^longwatch_nats_partition_records_total\\{[^}]*partition="${p}"\\} (\\d+)$`, "m").exec(m)?.[1] ?? 0)), 0);
    };
    // The retried body's 500 records are counted as published (they were sent), not stored.
    await until(async () => (await inStream()) >= lines.length + 500, 120_000, "every record published");
    accepted += lines.length - half;
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));

    // Once each, on the partition of its device.
    const { perPartition, messages } = await streamRecords(names);
    const total = perPartition.reduce((s, x) => s + x.length, 0);
    assert.equal(total, lines.length, "every record in the stream once");
    const owner = new Map<string, string>();
    for (const d of inventory.devices) for (const v of [d.device_id, d.imei, d.iccid, d.imsi, d.mqtt_client_id, d.ip]) if (v) owner.set(v, d.device_id);
    let checked = 0;
    const byIdentifier = new Map<string, number>();
    perPartition.forEach((recs, p) => {
      for (const r of recs) {
        const ids = ["device_id", "imei", "iccid", "imsi", "mqtt_client_id", "ip", "src_ip"].filter((k) => r[k] && owner.has(r[k]!));
        for (const k of ids) {
          const dev = owner.get(r[k]!)!;
          assert.equal(p, partitionOf(dev, P), `${k}=${r[k]} (device ${dev}) on partition ${p}`);
          byIdentifier.set(k, (byIdentifier.get(k) ?? 0) + 1);
        }
        if (ids.length > 0) checked++;
      }
    });
    t.diagnostic(`${total} records in ${messages} messages; partition sizes ${perPartition.map((x) => x.length).join("/")}; checked by ${[...byIdentifier].map(([k, v]) => `${k} ${v}`).join(", ")}`);
    assert.ok(checked > total * 0.9, `${checked} of ${total} records name an inventory device`);
    for (const k of ["device_id", "iccid", "mqtt_client_id", "src_ip"]) assert.ok((byIdentifier.get(k) ?? 0) > 0, `records identified by ${k}`);

    // A worker on the same store detects. The reference: the same records published from the files by `longwatch
    // publish`, detected by a worker on a store of its own — serve's ingest must be the same stream, record for record.
    const fromServe = await detectWithWorker(url, names.stream, names.prefix, lines.length, inventory);
    const ref = testStream();
    const refUrl = (await freshStore()).url;
    const nc = await connectNats(SHARED_NATS, "test publish");
    try {
      const layout = await ensureStream(await manager(nc), { ...ref, partitions: P, window: P * 1000 });
      await publishFiles({ files: sim.files, nc, layout, inventory, onReject: (f, l, why) => assert.fail(`${f}:${l}: ${why}`) });
    } finally {
      await nc.close();
    }
    const fromPublish = await detectWithWorker(refUrl, ref.stream, ref.prefix, lines.length, inventory);
    assert.ok(fromPublish.length > 10, `the simulation raises alerts (${fromPublish.length})`);
    const g = new Set(core(fromServe));
    const x = new Set(core(fromPublish));
    const extra = [...g].filter((a) => !x.has(a));
    const missing = [...x].filter((a) => !g.has(a));
    assert.deepEqual({ extra, missing }, { extra: [], missing: [] }, `${fromServe.length} alerts from serve's stream, ${fromPublish.length} from publish's`);
    workerAlerts = fromPublish;
    const detectors = new Set<string>(fromServe.map((a) => a.detector));
    for (const d of ["sim-swap", "connect-storm", "horizontal-scan"]) assert.ok(detectors.has(d), `${d} among ${[...detectors].join(", ")}`);
    assert.equal(accepted, lines.length);
  });

  it("publish + worker raise what single-process detect raises on the same records", () => {
    assert.ok(workerAlerts, "the first test ran");
    const want = runDetection({ files: sim.files, inventory, reference: loadReference(), now: Date.now(), onReject: () => assert.fail("reject") }).alerts;
    const g = new Set(core(workerAlerts));
    const x = new Set(core(want));
    assert.deepEqual({ extra: [...g].filter((a) => !x.has(a)), missing: [...x].filter((a) => !g.has(a)) }, { extra: [], missing: [] });
    // The campaign is found although its devices' records are spread over several partitions.
    const campaign = workerAlerts.find((a) => a.detector === "fleet-campaign");
    assert.ok(campaign, "fleet-campaign raised by the fleet stage");
    const devices = (campaign.evidence as { devices: string[] }).devices;
    const parts = new Set(devices.map((d) => partitionOf(d, P)));
    assert.ok(parts.size > 1, `the campaign's devices ${devices.join(", ")} are on partitions ${[...parts].join(", ")}`);
  });

  it("a followed Zeek log is published once across a restart of serve", async () => {
    const names = testStream();
    const { dataDir, url } = await freshStore();
    const log = join(tmp!.dir, `conn-${n}.log`);
    const header = ["#separator \\x09", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state", "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring"];
    const t0 = Date.now() / 1000 - 600;
    const flow = (i: number) => [(t0 + i).toFixed(6), `C${i}`, inventory.devices[i % inventory.devices.length]!.ip!, String(40000 + i), "52.28.10.2", "443", "tcp", "ssl", "0.5", "900", "300", "SF"].join("\t");
    writeFileSync(log, `${[...header, ...Array.from({ length: 60 }, (_, i) => flow(i))].join("\n")}\n`);
    const args = ["--config", config(), "--nats", SHARED_NATS, "--stream", names.stream, "--subject-prefix", names.prefix, "--partitions", String(P), "--follow", log];
    let svc = await startServe(dataDir, url, args);
    after(() => svc.kill9());
    const published = async () => (metric(await svc.metrics(), "longwatch_records_in_total") ?? 0);
    await until(async () => (await published()) === 60, 60_000, "the first 60 flows published");
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
    appendFileSync(log, `${Array.from({ length: 40 }, (_, i) => flow(60 + i)).join("\n")}\n`);
    svc = await startServe(dataDir, url, args);
    await until(async () => (await published()) === 40, 60_000, "the 40 flows written meanwhile published");
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
    const { perPartition } = await streamRecords(names);
    assert.equal(perPartition.reduce((s, x) => s + x.length, 0), 100, "100 flows in the stream, none twice");
    perPartition.forEach((recs, p) => {
      for (const r of recs) {
        const dev = inventory.devices.find((d) => d.ip === r.src_ip)!;
        assert.equal(p, partitionOf(dev.device_id, P), `flow from ${r.src_ip} on its device's partition`);
      }
    });
  });
});
