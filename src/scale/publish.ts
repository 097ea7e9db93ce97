/**
 * `longwatch publish`: loads record files into the JetStream stream (a backfill, or a feed from another system),
 * each record on its device's partition subject, many records to a message. Every message has a Nats-Msg-Id fixed by
 * the inputs (which files, how big, when changed), the partition and the message's number there, so publishing the
 * same files again — after a crash half-way, or by mistake — within the stream's duplicate window adds nothing.
 *
 * Files are merged on event time as `detect` merges them (each file is taken in its own order: a file that is not in
 * time order is not sorted — workers hold records for a while to put stragglers back in order, but a file far out of
 * order should be sorted first). All partitions' batches are flushed together every `window` records, so records in the stream are
 * never further out of time order than one window; the fleet stage relies on that (docs/scale.md).
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { jetstream, type JetStreamClient, type PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Device, DeviceModel } from "../core/fleet.ts";
import { LongwatchError } from "../core/errors.ts";
import type { ColumnMapping } from "../detect/read/mapping.ts";
import { type InputFormat, openSource } from "../detect/read/open.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import { Rec } from "../detect/read/rec.ts";
import { BatchWriter } from "./batch.ts";
import type { StreamLayout } from "./nats.ts";
import { partitionSubject } from "./partition.ts";
import { PartitionRouter } from "./router.ts";

export interface PublishOptions {
  files: readonly string[];
  nc: NatsConnection;
  layout: StreamLayout;
  /** Records per message at most (default 1000); a message also ends at `maxBytes` (default 512 KiB). */
  batch?: number;
  maxBytes?: number;
  /** Prefix of the message ids (default: a digest of the files' paths, sizes and times). */
  id?: string;
  /** Messages awaiting the broker's acknowledgement at once (default 64). */
  inFlight?: number;
  inventory?: { devices: Iterable<Device>; models: readonly DeviceModel[] };
  localNets?: readonly string[];
  clock?: () => number;
  maxFutureMs?: number;
  maxPastMs?: number;
  format?: InputFormat;
  mapping?: ColumnMapping;
  kind?: number;
  /** The files' text encoding (default: UTF-8, UTF-16 by its byte order mark, Windows-1252 with a warning). */
  encoding?: TextEncodingName;
  /** Told of a byte a reader did not read as written (with its file, line and byte). */
  onWarning?(message: string): void;
  onReject(file: string, line: number, reason: string, text: string): void;
}

export interface PublishStats {
  read: number;
  published: number;
  rejected: number;
  messages: number;
  /** Messages the stream already had (same Nats-Msg-Id within its duplicate window): not stored again. */
  duplicates: number;
  /** Records per partition. */
  partitions: number[];
  /** Publishes tried again after a broker error (a restart, a timeout). */
  retries: number;
  seconds: number;
  id: string;
}

/** The default message-id prefix: the same files unchanged give the same ids. */
export function inputsId(files: readonly string[], layout: StreamLayout): string {
  const h = createHash("sha256").update(JSON.stringify([layout.stream, layout.prefix, layout.partitions]));
  for (const f of files) {
    const s = statSync(f);
    h.update(JSON.stringify([resolve(f), s.size, s.mtimeMs]));
  }
  return h.digest("hex").slice(0, 16);
}

export async function publishFiles(o: PublishOptions): Promise<PublishStats> {
  const started = performance.now();
  const { partitions: P, window } = o.layout;
  const maxRecords = o.batch ?? 1000;
  const maxBytes = o.maxBytes ?? 512 << 10;
  const id = o.id ?? inputsId(o.files, o.layout);
  const js = jetstream(o.nc);
  const router = new PartitionRouter({
    partitions: P,
    ...(o.inventory ? { inventory: o.inventory } : {}),
    ...(o.localNets ? { localNets: o.localNets } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.maxFutureMs !== undefined ? { maxFutureMs: o.maxFutureMs } : {}),
    ...(o.maxPastMs !== undefined ? { maxPastMs: o.maxPastMs } : {}),
  });
  const stats: PublishStats = { read: 0, published: 0, rejected: 0, messages: 0, duplicates: 0, partitions: new Array<number>(P).fill(0), retries: 0, seconds: 0, id };
  const writers = Array.from({ length: P }, () => new BatchWriter());
  const numbers = new Array<number>(P).fill(0);
  const sender = new Sender(js, o.inFlight ?? 64, stats);
  let sinceFlush = 0;

  const flush = async (p: number) => {
    const w = writers[p]!;
    if (w.count === 0) return;
    const n = w.count;
    const body = w.take();
    await sender.send(partitionSubject(o.layout.prefix, p), body, `${id}:${p}:${numbers[p]!++}`);
    stats.partitions[p]! += n;
    stats.published += n;
  };

  const sources = o.files.map((file) => {
    const { source } = openSource(file, {
      onReject: (line, reason, text) => {
        stats.rejected++;
        o.onReject(file, line, reason, text);
      },
      ...(o.format ? { format: o.format } : {}),
      ...(o.mapping ? { mapping: o.mapping } : {}),
      ...(o.kind !== undefined ? { kind: o.kind } : {}),
      ...(o.encoding ? { encoding: o.encoding } : {}),
      ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    });
    return source;
  });
  const recs = o.files.map((_, i) => {
    const r = new Rec();
    r.source = i;
    return r;
  });
  try {
    // Merged on (time, input), one record of look-ahead per input, as `detect` merges its inputs.
    const live = sources.map((s, i) => s.next(recs[i]!));
    for (;;) {
      let i = -1;
      for (let k = 0; k < recs.length; k++) if (live[k] && (i < 0 || recs[k]!.ts < recs[i]!.ts)) i = k;
      if (i < 0) break;
      const rec = recs[i]!;
      stats.read++;
      const p = router.route(rec);
      if (typeof p === "string") {
        stats.rejected++;
        o.onReject(o.files[i]!, rec.line, p, JSON.stringify(rec.fields()));
      } else {
        const w = writers[p]!;
        w.add(rec);
        if (w.count >= maxRecords || w.bytes >= maxBytes) await flush(p);
        if (++sinceFlush >= window) {
          for (let q = 0; q < P; q++) await flush(q);
          sinceFlush = 0;
        }
      }
      live[i] = sources[i]!.next(rec);
    }
  } finally {
    for (const s of sources) s.close();
  }
  for (let q = 0; q < P; q++) await flush(q);
  await sender.drain();
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

/**
 * Publishes with a bounded number of acknowledgements outstanding. A publish that fails (broker restarting, a
 * timeout) is tried again with the same message id, so the stream keeps it once whatever happened to the first try.
 */
class Sender {
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly js: JetStreamClient,
    private readonly limit: number,
    private readonly stats: PublishStats,
  ) {}

  async send(subject: string, body: Uint8Array, msgID: string): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.pending.size >= this.limit) await Promise.race(this.pending);
    if (this.failure) throw this.failure;
    const p: Promise<void> = this.attempt(subject, body, msgID).then(
      () => void this.pending.delete(p),
      (e: unknown) => {
        this.pending.delete(p);
        this.failure ??= e;
      },
    );
    this.pending.add(p);
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending);
    if (this.failure) throw this.failure;
  }

  private attempt(subject: string, body: Uint8Array, msgID: string): Promise<void> {
    return publishOnce(this.js, subject, body, msgID, 120_000, () => this.stats.retries++).then((ack) => {
      this.stats.messages++;
      if (ack.duplicate) this.stats.duplicates++;
    });
  }
}

/**
 * Publishes one message, trying again with the same message id after a broker error (a restart, a timeout) until
 * `retryMs` has passed, so the stream keeps it once whatever happened to the earlier tries.
 */
export async function publishOnce(js: JetStreamClient, subject: string, body: Uint8Array, msgID: string, retryMs: number, onRetry: () => void): Promise<PubAck> {
  const deadline = Date.now() + retryMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      return await js.publish(subject, body, { msgID, timeout: 10_000 });
    } catch (e) {
      if (Date.now() > deadline) throw new LongwatchError("upstream_failed", `publishing to ${subject}: ${(e as Error).message} (gave up after ${Math.round(retryMs / 1000)} s of retries)`, undefined, { cause: e });
      onRetry();
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
