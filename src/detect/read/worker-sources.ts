/**
 * Record sources fed by a read worker (read-worker.ts): the worker reads, splits and decodes the inputs on the second
 * core while this thread merges them, resolves devices and runs the detectors. Batches arrive on one port per input;
 * this thread takes them synchronously (receiveMessageOnPort) and sleeps on a shared counter until the next one is
 * posted, so the replay stays a plain synchronous loop and sees exactly the records and rejects an in-thread reader
 * would produce, in the same order.
 */
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { OpenOptions } from "./open.ts";
import type { Rec } from "./rec.ts";
import { batchBuffers, isReject, loadRec, type RecBatch } from "./rec-batch.ts";
import type { RecordSource, RejectSink } from "./source.ts";
import { CONSUMED, consumed, controlBytes, produced, type ReadWorkerData, type ReadWorkerMessage, STOP } from "./worker-protocol.ts";

// The build runs the compiled .js worker; sources run under tsx (tests, benchmarks), and the worker then registers
// tsx through its API first (an --import in the worker's execArgv does not apply to its entry on Node 20). If the
// entry cannot even load, every input gets the error, so the replay fails instead of waiting forever.
const fromSource = import.meta.url.endsWith(".ts");
const entry = new URL(fromSource ? "./read-worker.ts" : "./read-worker.js", import.meta.url);
function startWorker(data: ReadWorkerData): Worker {
  const register = fromSource ? `(await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})).register();` : "";
  const bootstrap = `
const { workerData: d } = require("node:worker_threads");
(async () => { ${register} await import(${JSON.stringify(entry.href)}); })().catch((e) => {
  const c = new Int32Array(d.control);
  d.ports.forEach((p, i) => { p.postMessage({ error: String(e && e.stack || e) }); const k = ${produced(0)} + ${produced(1) - produced(0)} * d.inputs[i]; Atomics.add(c, k, 1); Atomics.notify(c, k); });
});`;
  return new Worker(bootstrap, { eval: true, workerData: data, transferList: data.ports });
}

/**
 * One source per file, read by as many worker threads as there are cores (but not more than files): the replay
 * thread then shares its core with a reader, which sleeps whenever it is enough batches ahead. Files go to workers
 * largest first, each to the worker with the fewest bytes so far. `onReject(i)` gets input i's rejects.
 */
export function workerSources(files: readonly string[], options: Omit<OpenOptions, "onReject">, onReject: (input: number) => RejectSink): RecordSource[] {
  const control = new SharedArrayBuffer(controlBytes(files.length));
  const ctrl = new Int32Array(control);
  const channels = files.map(() => new MessageChannel());
  const groups = balance(files, Math.min(files.length, Number(process.env.READ_WORKERS ?? availableParallelism())));
  const workers = groups.map((inputs) => {
    const ports = inputs.map((i) => channels[i]!.port2);
    return startWorker({ files: inputs.map((i) => files[i]!), inputs, options, ports, control });
  });
  for (const w of workers) w.unref();
  let open = files.length;
  const closed = () => {
    if (--open > 0) return;
    // Stopping early (an error, or a replay cut short) must wake workers that sleep on a full queue.
    Atomics.store(ctrl, STOP, 1);
    Atomics.add(ctrl, CONSUMED, 1);
    Atomics.notify(ctrl, CONSUMED);
    for (const w of workers) void w.terminate();
  };
  return files.map((name, i) => new WorkerSource(name, i, channels[i]!.port1, ctrl, onReject(i), closed));
}

function balance(files: readonly string[], workers: number): number[][] {
  const groups: number[][] = Array.from({ length: workers }, () => []);
  const load = new Array<number>(workers).fill(0);
  const size = files.map((f) => statSync(f, { throwIfNoEntry: false })?.size ?? 0);
  for (const i of files.map((_, i) => i).sort((a, b) => size[b]! - size[a]! || a - b)) {
    const w = load.indexOf(Math.min(...load));
    groups[w]!.push(i);
    load[w]! += size[i]!;
  }
  return groups;
}

class WorkerSource implements RecordSource {
  private batch: RecBatch | undefined;
  /** Next entry of the batch, and next reject string pair. */
  private k = 0;
  private r = 0;
  private taken = 0;
  private ended = false;
  private isClosed = false;

  constructor(
    readonly name: string,
    private readonly input: number,
    private readonly port: MessagePort,
    private readonly ctrl: Int32Array,
    private readonly onReject: RejectSink,
    private readonly closed: () => void,
  ) {}

  next(rec: Rec): boolean {
    for (;;) {
      const b = this.batch;
      if (b !== undefined && this.k < b.count) {
        const k = this.k++;
        if (isReject(b, k)) {
          this.r += 2;
          this.onReject(b.line[k]!, b.rejects[this.r - 2]!, b.rejects[this.r - 1]!);
          continue;
        }
        loadRec(b, k, rec);
        return true;
      }
      if (this.ended) return false;
      this.receive();
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.port.close();
    this.ended = true;
    this.batch = undefined;
    this.closed();
  }

  private receive(): void {
    const slot = produced(this.input);
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (got !== undefined) {
        if (this.batch !== undefined) this.port.postMessage(this.batch, batchBuffers(this.batch));
        this.taken++;
        Atomics.store(this.ctrl, consumed(this.input), this.taken);
        Atomics.add(this.ctrl, CONSUMED, 1);
        Atomics.notify(this.ctrl, CONSUMED);
        const m = got.message as ReadWorkerMessage;
        if ("error" in m) {
          this.ended = true;
          throw new Error(m.error);
        }
        this.batch = m.batch;
        this.k = 0;
        this.r = 0;
        this.ended = m.done;
        return;
      }
      // Posted before counted, so a count ahead of what was taken means the message is about to be there.
      const p = Atomics.load(this.ctrl, slot);
      Atomics.wait(this.ctrl, slot, p, p === this.taken ? undefined : 1);
    }
  }
}
