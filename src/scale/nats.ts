/**
 * The JetStream side: connecting (user and password may be in the URL; they are never printed), and the records
 * stream. The stream keeps its partitioning in its description ("longwatch partitions=16 window=16000"), so a
 * publisher and a worker that disagree on the partition count are refused instead of splitting a device's records.
 */
import { type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { LongwatchError } from "../core/errors.ts";

export interface StreamLayout {
  stream: string;
  /** Subjects are `<prefix>.<partition>`, and `<prefix>.fleet.<partition>` for the partitions' facts (fleetSubject). */
  prefix: string;
  partitions: number;
  /** Records the publisher flushes together at most (see publish.ts): the fleet stage holds twice this many. */
  window: number;
}

/** The subject a partition's facts for the fleet stage go on (facts.ts); `*` for all of them. */
export function fleetSubject(prefix: string, p: string): string {
  return `${prefix}.fleet.${p}`;
}

/**
 * Adds the fleet subjects to a records stream made before the fleet stage took facts (it then had `<prefix>.*`
 * only). `<prefix>.*` matches one token more, so the two never overlap.
 */
export async function ensureFleetSubjects(jsm: JetStreamManager, l: StreamLayout): Promise<void> {
  const info = await jsm.streams.info(l.stream);
  const subjects = info.config.subjects ?? [];
  const want = fleetSubject(l.prefix, "*");
  if (!subjects.includes(want)) await jsm.streams.update(l.stream, { subjects: [...subjects, want] });
}

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(bad URL)";
  }
}

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LongwatchError("usage", `--nats: "${safeUrl(url)}" is not a URL (nats://host:port)`);
  }
  if (u.protocol !== "nats:" && u.protocol !== "tls:") throw new LongwatchError("usage", `--nats: ${safeUrl(url)}: use nats://host:port (or tls://)`);
  try {
    return await connect({
      servers: `${u.hostname}:${u.port || "4222"}`,
      name,
      ...(u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === "tls:" ? { tls: {} } : {}),
      // Keep trying through a broker restart: records wait in the client until it is back.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
  } catch (e) {
    throw new LongwatchError("upstream_failed", `NATS at ${safeUrl(url)}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

function describe(l: StreamLayout): string {
  return `longwatch partitions=${l.partitions} window=${l.window}`;
}

function parseDescription(d: string | undefined): { partitions: number; window: number } | undefined {
  const m = /^longwatch partitions=(\d+) window=(\d+)$/.exec(d ?? "");
  return m ? { partitions: Number(m[1]), window: Number(m[2]) } : undefined;
}

/** Creates the stream when missing; refuses one whose partitioning differs or that is not Longwatch's. */
export async function ensureStream(jsm: JetStreamManager, l: StreamLayout, o: { maxAgeMs?: number; duplicateWindowMs?: number } = {}): Promise<StreamLayout> {
  const found = await readStream(jsm, l.stream, l.prefix);
  if (found) {
    if (found.partitions !== l.partitions) throw new LongwatchError("conflict", `stream ${l.stream} has ${found.partitions} partitions, not ${l.partitions}: a device's records would go to two partitions (use --partitions ${found.partitions}, or a new stream)`);
    return found;
  }
  await jsm.streams.add({
    name: l.stream,
    subjects: [`${l.prefix}.*`, fleetSubject(l.prefix, "*")],
    description: describe(l),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    // Nanoseconds. Dedupe by Nats-Msg-Id holds within this window: a backfill re-run inside it publishes nothing twice.
    duplicate_window: (o.duplicateWindowMs ?? 3_600_000) * 1e6,
    ...(o.maxAgeMs ? { max_age: o.maxAgeMs * 1e6 } : {}),
  });
  return l;
}

/** The layout of an existing stream, undefined when there is none; `conflict` when it is not a Longwatch records stream. */
export async function readStream(jsm: JetStreamManager, stream: string, prefix: string): Promise<StreamLayout | undefined> {
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch (e) {
    if ((e as { code?: number }).code === 404 || /not found/i.test((e as Error).message)) return undefined;
    throw new LongwatchError("upstream_failed", `stream ${stream}: ${(e as Error).message}`, undefined, { cause: e });
  }
  const d = parseDescription(info.config.description);
  const subjects = info.config.subjects ?? [];
  if (!d || !subjects.includes(`${prefix}.*`)) throw new LongwatchError("conflict", `stream ${stream} is not a Longwatch records stream on ${prefix}.* (description "${info.config.description ?? ""}", subjects ${subjects.join(", ")})`);
  return { stream, prefix, ...d };
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (e) {
    throw new LongwatchError("upstream_failed", `JetStream is not enabled on this NATS server (start nats-server with -js): ${(e as Error).message}`, undefined, { cause: e });
  }
}
