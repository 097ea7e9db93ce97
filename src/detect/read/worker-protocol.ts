/**
 * What the read worker (read-worker.ts) and the replay thread (worker-sources.ts) share: the start-up data, the
 * messages on each input's port, and the layout of the shared counters they wake each other with.
 */
import type { MessagePort } from "node:worker_threads";
import type { OpenOptions } from "./open.ts";
import type { RecBatch } from "./rec-batch.ts";

export interface ReadWorkerData {
  /** The inputs this worker reads, by path and by their number in the replay (which picks their counters). */
  files: string[];
  inputs: number[];
  options: Omit<OpenOptions, "onReject">;
  /** One port per input of this worker, in the order of `files`. */
  ports: MessagePort[];
  /** Int32 counters, laid out as below. */
  control: SharedArrayBuffer;
}

/** A batch of one input (`done` on its last one), or why the input could not be read. */
export type ReadWorkerMessage = { batch: RecBatch; done: boolean } | { error: string };

/** Batches the worker may be ahead of the consumer, per input. */
export const AHEAD = 3;
/** Batches consumed over all inputs: the worker sleeps on it when every input is full. */
export const CONSUMED = 0;
/** Set by the consumer when it stops early. */
export const STOP = 1;
export const produced = (i: number): number => 2 + 2 * i;
export const consumed = (i: number): number => 3 + 2 * i;
export const controlBytes = (inputs: number): number => 4 * (2 + 2 * inputs);
