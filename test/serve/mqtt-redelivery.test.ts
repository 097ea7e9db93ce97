/**
 * MQTT redeliveries are taken once. The ingest pipeline reads the shared Mosquitto through a TCP relay that, on cue,
 * swallows everything the pipeline sends (its PUBACKs): the broker's messages are journaled and pushed into
 * detection, but the broker never hears of it. The relay then cuts the connection; on reconnect the broker sends the
 * same QoS 1 messages again, marked DUP, and the pipeline must drop every one of them (by digest) while still taking
 * the new messages that follow — and a message without DUP, even with the same payload, is never dropped.
 */
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import mqtt from "mqtt";
import { createPipeline, pipelineConfig } from "../../src/serve/pipeline/index.ts";
import { openStore } from "../../src/store/open.ts";
import { SHARED_BROKER } from "../helpers/mosquitto.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { until } from "./support/serve-child.ts";

/** A loopback relay to the broker whose client-to-broker direction can be swallowed and whose connections can be cut. */
async function relay(target: URL): Promise<{ url: string; swallow: boolean; cut(): void; close(): Promise<void>; connections: number }> {
  const pairs = new Set<[Socket, Socket]>();
  const state = {
    url: "",
    swallow: false,
    connections: 0,
    cut() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    close: () => new Promise<void>((r) => (state.cut(), server.close(() => r()))),
  };
  const server: Server = createServer((down) => {
    state.connections++;
    const up = connect(Number(target.port || 1883), target.hostname);
    const pair: [Socket, Socket] = [down, up];
    pairs.add(pair);
    down.on("data", (b) => void (state.swallow ? undefined : up.write(b)));
    up.on("data", (b) => void down.write(b));
    const end = () => (down.destroy(), up.destroy(), pairs.delete(pair));
    down.on("close", end).on("error", end);
    up.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

describe("MQTT redelivery", () => {
  it("messages journaled but never acknowledged come back marked DUP after a reconnect and are dropped, not taken twice", async () => {
    const tmp = tmpDir();
    const r = await relay(new URL(SHARED_BROKER));
    after(() => r.close());
    const run = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const base = `lwtest/redeliver/${run}`;
    const store = await openStore(`sqlite:${join(tmp.dir, "lw.db")}`);
    after(() => store.close());
    const config = pipelineConfig({
      mqtt: { url: r.url, topics: [`${base}/{device_id}/m`], client_id: `lw-redeliver-${run}` },
      checkpoint: { interval_s: 3600 },
      audit: { every_minutes: 0, on_inventory_change: false },
    });
    const p = createPipeline({ store, config });
    await p.start();
    after(() => p.stop(2000));
    const pub = await mqtt.connectAsync(SHARED_BROKER, { protocolVersion: 5, clientId: `lw-redeliver-pub-${run}` });
    after(() => pub.endAsync());
    const taken = () => p.metrics().detection_records;
    const msg = (i: number, device = `d${i % 3}`) => [`${base}/${device}/m`, JSON.stringify({ ts: new Date(Date.now() - 60_000 + i).toISOString(), kind: "metric", metric: "temp", value: i })] as const;

    await until(async () => {
      await pub.publishAsync(`${base}/probe/m`, "[]", { qos: 1 });
      return (p.metrics().sources?.mqtt?.messages ?? 0) > 0;
    }, 20_000, "the pipeline subscribed");
    await new Promise((res) => setTimeout(res, 300));
    await until(() => p.metrics().sources!.mqtt!.in_flight === 0, 10_000, "probes acknowledged");
    const probes = p.metrics().sources!.mqtt!.acked;

    // 10 messages (under Mosquitto's 20 in flight per client): journaled and taken, their PUBACKs swallowed.
    r.swallow = true;
    const first = Array.from({ length: 10 }, (_, i) => msg(i));
    for (const [topic, payload] of first) await pub.publishAsync(topic, payload, { qos: 1 });
    await until(() => taken() === 10, 20_000, `10 records taken (${taken()})`);
    await until(() => p.metrics().sources!.mqtt!.acked - probes === 10, 10_000, "PUBACKs sent");
    assert.equal(p.metrics().sources!.mqtt!.acked - probes, 10, "the pipeline sent its PUBACKs (the relay swallowed them)");
    assert.equal(p.metrics().mqtt_duplicates_dropped, 0);

    // The connection drops; the broker, never acknowledged, sends all ten again on the resumed session.
    r.cut();
    r.swallow = false;
    await until(() => (p.metrics().sources?.mqtt?.redelivered ?? 0) >= 10, 30_000, `the broker redelivered (${p.metrics().sources?.mqtt?.redelivered})`);
    await until(() => p.metrics().mqtt_duplicates_dropped === 10, 10_000, `10 duplicates dropped (${p.metrics().mqtt_duplicates_dropped})`);
    assert.equal(taken(), 10, "a redelivery was taken twice");
    assert.ok(r.connections >= 2);

    // New messages go on being taken; the same payload published again (no DUP) is a new message, not a duplicate.
    for (let i = 10; i < 15; i++) await pub.publishAsync(...msg(i), { qos: 1 });
    await pub.publishAsync(first[0]![0], first[0]![1], { qos: 1 });
    await until(() => taken() === 16, 20_000, `16 records taken (${taken()})`);
    await until(() => p.metrics().sources!.mqtt!.in_flight === 0, 10_000, "everything acknowledged");
    assert.equal(p.metrics().mqtt_duplicates_dropped, 10);
    assert.equal(p.metrics().records_in.mqtt, 16);
  });
});
