/**
 * bench:transport — the MQTT ingest source against a bare mqtt.js subscriber that only parses the same messages from
 * the same broker in the same run (the source must cost little: serve's target is ≥ 0.9× with detection included),
 * and webhook sink throughput against a local HTTP server. BENCH_MESSAGES (default 50,000), BENCH_ALERTS (20,000).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import mqtt from "mqtt";
import { MemoryDeadLetters } from "../src/transport/sinks/dead-letter.ts";
import { createQueuedSink } from "../src/transport/sinks/queued-sink.ts";
import { RetrySchema } from "../src/transport/sinks/retry.ts";
import { webhookDeliverer } from "../src/transport/sinks/webhook.ts";
import { startMqttSource } from "../src/transport/sources/mqtt-source.ts";
import type { Alert } from "../src/core/record.ts";

const BROKER = process.env.LONGWATCH_BENCH_MQTT ?? "mqtt://127.0.0.1:1883";
const N = Number(process.env.BENCH_MESSAGES ?? 50_000);
const A = Number(process.env.BENCH_ALERTS ?? 20_000);
const payload = (i: number) => JSON.stringify({ ts: 1_770_000_000 + i, kind: "metric", metric: "bytes_out", value: i % 977 });

async function publishAll(topic: string) {
  const pub = await mqtt.connectAsync(BROKER, { protocolVersion: 5 });
  const window = 500;
  for (let i = 0; i < N; i += window) await Promise.all(Array.from({ length: Math.min(window, N - i) }, (_, j) => pub.publishAsync(`${topic}/dev-${(i + j) % 1000}/records`, payload(i + j), { qos: 1 })));
  await pub.endAsync();
}

async function bare(topic: string): Promise<number> {
  const sub = await mqtt.connectAsync(BROKER, { protocolVersion: 5, clean: true, properties: { receiveMaximum: 1000 } });
  let n = 0;
  let sum = 0;
  const done = new Promise<void>((r) =>
    sub.on("message", (_t, p) => {
      sum += (JSON.parse(p.toString("utf8")) as { value: number }).value;
      if (++n === N) r();
    }),
  );
  await sub.subscribeAsync(`${topic}/+/records`, { qos: 1 });
  const t0 = performance.now();
  await Promise.all([publishAll(topic), done]);
  const s = (performance.now() - t0) / 1000;
  await sub.endAsync();
  void sum;
  return N / s;
}

async function source(topic: string): Promise<number> {
  let n = 0;
  let sum = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const src = startMqttSource({
    url: BROKER,
    topics: [`${topic}/{device_id}/records`],
    clientId: `lw-bench-${process.pid}`,
    sessionExpirySec: 0,
    checkBroker: false,
    async handler(batch) {
      for (const m of batch) sum += (JSON.parse(m.payload.toString("utf8")) as { value: number }).value;
      n += batch.length;
      if (n >= N) resolve();
      return { accepted: batch.length };
    },
  });
  await src.ready;
  const t0 = performance.now();
  await Promise.all([publishAll(topic), done]);
  const s = (performance.now() - t0) / 1000;
  await src.stop();
  void sum;
  return N / s;
}

async function webhook(concurrency: number): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const sink = createQueuedSink({ name: "bench", deliverer: webhookDeliverer({ url }, "bench-secret-0123456789"), deadLetters: new MemoryDeadLetters(), retry: RetrySchema.parse({}), queueSize: A, timeoutMs: 10_000, concurrency });
  const alert: Alert = { id: "x", detector: "volume-anomaly", device_id: "d", key: "k", severity: "high", confidence: 0.9, first_seen: "2026-03-01T00:00:00Z", last_seen: "2026-03-01T00:00:00Z", count: 1, summary: "s", action: "a", evidence: {}, state: "open", verification: "unknown" };
  const t0 = performance.now();
  for (let i = 0; i < A; i++) sink.offer({ alert: { ...alert, id: `al-${i}` }, change: "open" });
  await sink.shutdown(600_000);
  const s = (performance.now() - t0) / 1000;
  server.close();
  const st = sink.stats();
  if (st.sent !== A) throw new Error(`webhook bench: ${st.sent} of ${A} sent`);
  return A / s;
}

const base = `lwbench/${process.pid}`;
const rows: string[] = [];
for (let round = 1; round <= 2; round++) {
  const b = await bare(`${base}/bare${round}`);
  const s = await source(`${base}/src${round}`);
  rows.push(`round ${round}: bare mqtt.js ${Math.round(b).toLocaleString("en-US")} msg/s, MqttSource ${Math.round(s).toLocaleString("en-US")} msg/s, ratio ${(s / b).toFixed(2)}`);
}
for (const c of [1, 8]) rows.push(`webhook sink, concurrency ${c}: ${Math.round(await webhook(c)).toLocaleString("en-US")} alerts/s (${A.toLocaleString("en-US")} alerts, signed, to a local HTTP server)`);
console.log(`bench:transport  ${N.toLocaleString("en-US")} QoS 1 messages, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
for (const r of rows) console.log(`  ${r}`);
