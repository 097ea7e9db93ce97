/**
 * Worker-thread entry for large device imports: produces DeviceBatches (read, validate, load certificates, serialise)
 * and posts them to the importing thread, which writes them to the store. At most two batches are in flight, so a
 * slow store bounds memory instead of letting batches pile up.
 */
import { parentPort, workerData } from "node:worker_threads";
import { parseCertificateFile } from "../formats/x509.ts";
import { certificateLoader } from "./certificate-loader.ts";
import { deviceBatches } from "./device-batches.ts";
import type { WorkerImportRequest, WorkerMessage } from "./import-worker-client.ts";
import { loadMapping } from "./mapping.ts";

const req = workerData as WorkerImportRequest;
const port = parentPort!;
let credits = 2;
let wake: (() => void) | undefined;
port.on("message", () => {
  credits++;
  wake?.();
});

async function run(): Promise<void> {
  const batches = deviceBatches({
    file: req.file,
    ...(req.mapping ? { mapping: loadMapping(req.mapping.file, req.mapping.targets) } : {}),
    ...(req.certificates ? { certificates: certificateLoader(parseCertificateFile, req.certificates) } : {}),
    ...(req.strict ? { strict: true } : {}),
    ...(req.encoding ? { encoding: req.encoding } : {}),
  });
  for await (const batch of batches) {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    port.postMessage({ type: "batch", batch } satisfies WorkerMessage);
  }
  port.postMessage({ type: "done" } satisfies WorkerMessage);
}

run().catch((e: unknown) => port.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies WorkerMessage));
