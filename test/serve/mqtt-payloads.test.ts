/**
 * A payload that holds text but gives no record is rejected and counted: one line that is not JSON reads as a CSV
 * header with no rows — no record and no reject, the message was silently gone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import mqtt from "mqtt";
import { createPipeline, pipelineConfig } from "../../src/serve/pipeline/index.ts";
import { openStore } from "../../src/store/open.ts";
import { SHARED_BROKER } from "../helpers/mosquitto.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { until } from "./support/serve-child.ts";

describe("MQTT payloads", () => {
  it("rejects and counts a payload that gives no record, next to JSON, arrays, NDJSON and CSV rows that are taken", async () => {
    const tmp = tmpDir();
    const run = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const base = `lwtest/payloads/${run}`;
    const store = await openStore(`sqlite:${join(tmp.dir, "lw.db")}`);
    after(() => store.close());
    const config = pipelineConfig({
      mqtt: { url: SHARED_BROKER, topics: [`${base}/{device_id}/m`], client_id: `lw-payloads-${run}` },
      checkpoint: { interval_s: 3600 },
      audit: { every_minutes: 0, on_inventory_change: false },
    });
    const p = createPipeline({ store, config });
    await p.start();
    after(() => p.stop(2000));
    const pub = await mqtt.connectAsync(SHARED_BROKER, { protocolVersion: 5, clientId: `lw-payloads-pub-${run}` });
    after(() => pub.endAsync());
    await until(async () => {
      await pub.publishAsync(`${base}/probe/m`, "[]", { qos: 1 });
      return (p.metrics().sources?.mqtt?.messages ?? 0) > 0;
    }, 20_000, "the pipeline subscribed");
    await until(() => p.metrics().sources!.mqtt!.in_flight === 0, 10_000, "probes acknowledged");
    const acked0 = p.metrics().sources!.mqtt!.acked;
    const records0 = p.metrics().detection_records;
    const rejected = () => Object.values(p.metrics().records_rejected).reduce((a, b) => a + b, 0);
    const rec = (i: number) => JSON.stringify({ ts: new Date(Date.now() - 60_000 + i).toISOString(), kind: "metric", metric: "temp", value: i });

    const payloads = [
      "garbage", // one word: sniffed as CSV it was a header with no rows
      "ts,kind,metric,value", // a CSV header alone
      "[]", // an empty array holds no record and is not an error
      `ts,kind,metric,value\n${new Date(Date.now() - 60_000).toISOString()},metric,temp,1`, // CSV with a row is taken
      rec(1), // one record
      `[${rec(2)},${rec(3)}]`, // an array
      `${rec(4)}\n${rec(5)}\n`, // NDJSON
    ];
    for (const body of payloads) await pub.publishAsync(`${base}/d1/m`, body, { qos: 1 });
    await until(() => p.metrics().sources!.mqtt!.acked - acked0 >= payloads.length, 10_000, "every payload acknowledged");

    assert.equal(p.metrics().detection_records - records0, 6, "the CSV row and the five JSON records are taken");
    assert.equal(rejected(), 2, `the word and the header alone are rejected: ${JSON.stringify(p.metrics().records_rejected)}`);
  });
});
