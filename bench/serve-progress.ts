/**
 * bench:serve (a)'s reading of the service's progress, on a thread of its own: it reads longwatch_mqtt_acked_total
 * from /metrics over a kept-alive connection as fast as the service answers and stores it where the publisher reads
 * it without waiting. Polled from the publisher's own event loop, each read waited behind the publishing (~4 ms a
 * round trip for a 0.5 ms render), so the publisher learnt of the service's progress every ~6 ms while the bare
 * subscriber pushes its count every ~2 ms — and the 800-message lead then capped the service, not its own speed.
 * The count is still the honest one: messages acknowledged (PUBACK) after the journal commit and detection.
 */
import { Worker } from "node:worker_threads";

export interface ProgressReader {
  /** The last count read (−1 until the first read). */
  value(): number;
  /** The first read's error, if reads fail. */
  error(): string | undefined;
  stop(): Promise<void>;
}

/** Starts reading `metric` (summed over its labels) from `url` on a worker thread, pausing `pauseMs` between reads. */
export function readProgress(url: string, metric: string, pauseMs: number): ProgressReader {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  shared[0] = -1;
  let failure: string | undefined;
  const w = new Worker(READER, { eval: true, workerData: { url, metric, shared, pauseMs } });
  w.on("message", (m: string) => (failure ??= m));
  w.on("error", (e) => (failure ??= e.message));
  return {
    value: () => Atomics.load(shared, 0),
    error: () => failure,
    async stop() {
      Atomics.store(shared, 1, 1);
      await w.terminate();
    },
  };
}

/** The thread's code, plain JavaScript: a worker started from a .ts file does not get the bench's tsx loader on Node 20. */
const READER = `
const { Agent, get } = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
const { url, metric, shared, pauseMs } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const line = new RegExp("^" + metric + "(?:\\\\{[^}]*\\\\})? (\\\\S+)$", "gm");
const once = () => new Promise((ok, fail) => {
  get(url + "/metrics", { agent }, (r) => {
    let body = "";
    r.setEncoding("utf8");
    r.on("data", (c) => (body += c));
    r.on("end", () => ok(body));
    r.on("error", fail);
  }).on("error", fail);
});
(async () => {
  while (Atomics.load(shared, 1) === 0) {
    try {
      let sum = 0;
      for (const m of (await once()).matchAll(line)) sum += Number(m[1]);
      Atomics.store(shared, 0, sum);
      await new Promise((ok) => setTimeout(ok, pauseMs));
    } catch (e) {
      parentPort.postMessage("reading " + url + "/metrics: " + e.message);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
})();
`;
