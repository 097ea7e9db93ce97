/**
 * A consumer process for the kill -9 test: takes QoS 1 messages through the MQTT source and "durably takes" each
 * batch by appending its payloads to a file and fsyncing it, after a delay that makes the window between receiving
 * and taking wide. Usage: mqtt-consumer.ts URL TOPIC CLIENT_ID OUT_FILE
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { startMqttSource } from "../../../src/transport/sources/mqtt-source.ts";

const [url, topic, clientId, out] = process.argv.slice(2) as [string, string, string, string];
const fd = openSync(out, "a");
const source = startMqttSource({
  url,
  topics: [topic],
  clientId,
  checkBroker: false,
  maxInFlight: 50,
  maxBatch: 10,
  async handler(batch) {
    await new Promise((r) => setTimeout(r, 15));
    writeSync(fd, batch.map((m) => `${m.payload.toString("utf8")}\t${m.redelivered ? 1 : 0}\n`).join(""));
    fsyncSync(fd);
  },
});
await source.ready;
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void source.stop(2000).then(() => {
    closeSync(fd);
    process.exit(0);
  });
});
