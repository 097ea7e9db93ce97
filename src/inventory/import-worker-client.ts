/** Runs device-batch production in a worker thread (import-worker.ts) and yields its batches in order. */
import type { TextEncodingName } from "../formats/text-decode.ts";
import { Worker } from "node:worker_threads";
import type { DeviceBatch } from "./device-batches.ts";

export interface WorkerImportRequest {
  file: string;
  mapping?: { file: string; targets: string[] };
  certificates?: { allowOutside: boolean };
  strict?: boolean;
  encoding?: TextEncodingName;
}

export type WorkerMessage = { type: "batch"; batch: DeviceBatch } | { type: "done" } | { type: "error"; message: string };

// The build runs the compiled .js worker. Sources run under tsx (tests, `tsx src/…`): the worker then first registers
// tsx through its API (an --import in the worker's execArgv does not apply to its entry on Node 20).
const fromSource = import.meta.url.endsWith(".ts");
const entry = new URL(fromSource ? "./import-worker.ts" : "./import-worker.js", import.meta.url);

function startWorker(req: WorkerImportRequest): Worker {
  if (!fromSource) return new Worker(entry, { workerData: req });
  const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: req });
}

export async function* workerDeviceBatches(req: WorkerImportRequest): AsyncGenerator<DeviceBatch> {
  const worker = startWorker(req);
  const queue: WorkerMessage[] = [];
  let notify: (() => void) | undefined;
  let failure: Error | undefined;
  worker.on("message", (m: WorkerMessage) => {
    queue.push(m);
    notify?.();
  });
  worker.on("error", (e) => {
    failure = e;
    notify?.();
  });
  worker.on("exit", (code) => {
    if (code !== 0 && !failure) failure = new Error(`import worker exited with code ${code}`);
    notify?.();
  });
  try {
    for (;;) {
      const m = queue.shift();
      if (!m) {
        if (failure) throw failure;
        await new Promise<void>((r) => (notify = r));
        continue;
      }
      if (m.type === "error") throw new Error(m.message);
      if (m.type === "done") return;
      yield m.batch;
      worker.postMessage("next");
    }
  } finally {
    await worker.terminate();
  }
}
