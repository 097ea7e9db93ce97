/**
 * MQTT ingest: subscribes to topic templates and hands the messages, in batches, to an async handler; a QoS 1
 * message is acknowledged (PUBACK) only after the handler's promise for its batch resolves, i.e. after the records
 * are durably taken. mqtt.js acknowledges as soon as `handleMessage` calls back, and processes one packet at a time,
 * so `handleMessage` is taken over: it lets the client go on reading at once but passes it an error so mqtt.js sends
 * no PUBACK, and the source writes the PUBACK itself, in arrival order (MQTT 4.6), on the connection the message
 * came on. After a reconnect, an old message is never acknowledged on the new connection (its packet id may name
 * another message now); the broker redelivers it instead.
 *
 * The client advertises `receiveMaximum` = the in-flight bound, so the broker itself never sends more unacknowledged
 * QoS 1 messages than that (MQTT 5; Mosquitto's default is 20), and QoS 0 beyond it waits in the socket (the client
 * stops reading). Subscriptions are made again on every connect, resumed session or not: Mosquitto 2.0.11 silently
 * stops delivering shared subscriptions to resumed sessions otherwise. Reconnects back off exponentially with jitter.
 */
import { hostname } from "node:os";
import { readFile } from "node:fs/promises";
import { connect, type IConnackPacket, type IPublishPacket, type MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import type { IdentifierField } from "../../core/record.ts";
import { backoffDelay, DEFAULT_BACKOFF, sleep, type Backoff } from "../backoff.ts";
import { errorText } from "../result.ts";
import { configWarnings, probeBroker, versionWarnings } from "./broker-check.ts";
import { filtersOverlap, matchTopic, parseTopicTemplate, type TopicTemplate } from "./mqtt-topics.ts";
import type { BatchHandler, SourceLog } from "./source.ts";

/** One received message, as handed to the handler. The payload is passed on unchanged; decoding is the caller's. */
export interface MqttMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** From the template's named level: attach to records that lack it. */
  readonly identifier?: { readonly field: IdentifierField; readonly value: string };
  /** The template the topic matched. */
  readonly template: string;
  readonly qos: 0 | 1;
  /** The broker marked it as a redelivery (DUP): it may have been handed over before. */
  readonly redelivered: boolean;
  readonly receivedAt: number;
  /** Where it came from, for reject reports: `mqtt://host:port/<topic>`. */
  readonly origin: string;
}

export interface MqttSourceOptions {
  readonly url: string;
  readonly topics: readonly string[];
  readonly handler: BatchHandler<MqttMessage>;
  /** Subscribe every template as `$share/<group>/…` so instances with the same group split the messages. */
  readonly shareGroup?: string;
  /** Keep it the same across restarts: the broker keeps the session (and unacknowledged messages) under it. */
  readonly clientId?: string;
  readonly username?: string;
  readonly password?: string;
  /** How long the broker keeps the session while we are away. Default one day. */
  readonly sessionExpirySec?: number;
  /** Messages received and not yet acknowledged, at most. Default 1000. */
  readonly maxInFlight?: number;
  /** Messages per handler call, at most. Default 500. */
  readonly maxBatch?: number;
  /** Handler calls running at once. Default 4 (a handler that resolves at its next commit still keeps data flowing). */
  readonly maxConcurrentBatches?: number;
  /** Wait this long for more messages before handing over a partial batch. Default 0 (what arrived together). */
  readonly lingerMs?: number;
  /** Retained messages are old state, not events: skipped (and acknowledged) by default. */
  readonly retained?: "skip" | "ingest";
  readonly backoff?: Backoff;
  /** Read the broker's version at start and warn about known-bad versions. Default true. */
  readonly checkBroker?: boolean;
  /** A mosquitto.conf readable here, checked for settings that lose records. */
  readonly brokerConfigFile?: string;
  readonly onWarning?: SourceLog;
  readonly onError?: SourceLog;
  readonly now?: () => number;
}

export interface MqttSourceStats {
  messages: number;
  bytes: number;
  acked: number;
  redelivered: number;
  errors: number;
  retained_skipped: number;
  /** Unmatched topics (a broker delivering what no template names). */
  unmatched: number;
  /** PUBACKs not sent because the connection they belonged to had gone: the broker redelivers those. */
  acks_abandoned: number;
  batches: number;
  records_accepted: number;
  records_rejected: number;
  in_flight: number;
  connects: number;
  connected: boolean;
}

export interface MqttSource {
  readonly templates: readonly TopicTemplate[];
  /** Resolves after the first connect and subscribe. */
  readonly ready: Promise<void>;
  readonly warnings: string[];
  stats(): MqttSourceStats;
  /** Stops taking messages, lets running batches finish and acknowledges them (until the deadline), disconnects. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
}

interface Entry {
  readonly msg: MqttMessage;
  readonly messageId: number | undefined;
  readonly stream: unknown;
  done: boolean;
}

/** A PUBACK (MQTT 5, success) as mqtt-packet encodes it, with its packet id at PUBACK_ID_AT: copied and patched per message. */
const PUBACK = mqttPacket.generate({ cmd: "puback", messageId: 0 }, { protocolVersion: 5 });
const PUBACK_ID_AT = 2;

const noLog = () => {};

/** Passed to mqtt.js's handleMessage callback: it then sends no PUBACK and goes on reading (see the file comment). */
const ACK_LATER = Object.assign(new Error("acknowledged by the Longwatch source after the handler"), { longwatchDeferred: true });

export function startMqttSource(o: MqttSourceOptions): MqttSource {
  const templates = o.topics.map((t) => parseTopicTemplate(t, o.shareGroup));
  const warnings: string[] = [];
  const warn = (m: string, d?: Record<string, unknown>) => {
    warnings.push(m);
    o.onWarning?.(m, d);
  };
  templates.forEach((a, i) =>
    templates.slice(i + 1).forEach((b) => {
      if (filtersOverlap(a.levels, b.levels)) warn(`MQTT topics ${a.template} and ${b.template} overlap: a message matching both may arrive twice`);
    }),
  );
  const now = o.now ?? Date.now;
  const maxInFlight = Math.max(1, Math.min(65_535, o.maxInFlight ?? 1000));
  const maxBatch = Math.max(1, o.maxBatch ?? 500);
  const maxConcurrent = Math.max(1, o.maxConcurrentBatches ?? 4);
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const skipRetained = (o.retained ?? "skip") === "skip";
  const clientId = o.clientId ?? `longwatch-${hostname()}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  const base = new URL(o.url);
  const originPrefix = `${base.protocol}//${base.host}/`;
  const stats: MqttSourceStats = { messages: 0, bytes: 0, acked: 0, redelivered: 0, errors: 0, retained_skipped: 0, unmatched: 0, acks_abandoned: 0, batches: 0, records_accepted: 0, records_rejected: 0, in_flight: 0, connects: 0, connected: false };

  const stopping = new AbortController();
  let buffer: Entry[] = [];
  const ackOrder: Entry[] = [];
  let running = 0;
  let resumeReading: (() => void) | undefined;
  let flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let reconnectAttempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let hadSession = false;
  let idle: (() => void) | undefined;

  const client: MqttClient = connect(o.url, {
    protocolVersion: 5,
    clientId,
    clean: false,
    reconnectPeriod: 0,
    resubscribe: false,
    connectTimeout: 10_000,
    keepalive: 30,
    properties: { sessionExpiryInterval: o.sessionExpirySec ?? 86_400, receiveMaximum: maxInFlight },
    // Without DEBUG its `debug` logger logs nothing, yet mqtt.js calls it several times per message (and it checks
    // whether it is enabled each time): a no-op instead, unless DEBUG could enable it.
    ...(process.env.DEBUG ? {} : { log: noLog }),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
  });

  client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
    const qos = packet.qos === 1 ? 1 : 0;
    // QoS 2 never arrives (we subscribe with QoS 1); a QoS 0 or skipped message is mqtt.js's to finish.
    const finish = () => (packet.qos === 1 ? callback(ACK_LATER) : callback());
    const topic = typeof packet.topic === "string" ? packet.topic : String(packet.topic);
    if (stopping.signal.aborted) return finish();
    if (packet.retain && skipRetained) {
      stats.retained_skipped++;
      return callback();
    }
    let t: TopicTemplate | undefined;
    let id: string | null | undefined;
    for (const cand of templates) {
      id = matchTopic(cand, topic);
      if (id !== undefined) {
        t = cand;
        break;
      }
    }
    if (!t) {
      stats.unmatched++;
      return callback();
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    // Built without a spread (a temporary object per message): the identifier is set only when the topic named one.
    const msg: { -readonly [K in keyof MqttMessage]: MqttMessage[K] } = { topic, payload, template: t.template, qos, redelivered: packet.dup === true, receivedAt: now(), origin: originPrefix + topic };
    if (t.idField !== undefined && id) msg.identifier = { field: t.idField, value: id };
    const e: Entry = { msg, messageId: qos === 1 ? packet.messageId : undefined, stream: client.stream, done: false };
    stats.messages++;
    stats.bytes += payload.length;
    if (msg.redelivered) stats.redelivered++;
    stats.in_flight++;
    buffer.push(e);
    if (qos === 1) ackOrder.push(e);
    schedule();
    // Back-pressure: at the bound, mqtt.js is not called back, so it stops reading the socket until batches finish.
    if (stats.in_flight >= maxInFlight) resumeReading = finish;
    else finish();
  };

  function schedule() {
    if (buffer.length === 0 || running >= maxConcurrent) return;
    if (buffer.length >= maxBatch) return dispatch();
    if (flushTimer) return;
    const flush = () => {
      flushTimer = undefined;
      dispatch();
    };
    // No linger: what this turn of the event loop read goes at its end (a 0 ms timer waits a whole millisecond).
    flushTimer = o.lingerMs ? setTimeout(flush, o.lingerMs) : setImmediate(flush);
  }

  function cancelFlush() {
    if (!flushTimer) return;
    if (o.lingerMs) clearTimeout(flushTimer as NodeJS.Timeout);
    else clearImmediate(flushTimer as NodeJS.Immediate);
    flushTimer = undefined;
  }

  function dispatch() {
    cancelFlush();
    while (buffer.length > 0 && running < maxConcurrent) {
      const batch = buffer.length <= maxBatch ? buffer : buffer.slice(0, maxBatch);
      buffer = buffer.length <= maxBatch ? [] : buffer.slice(maxBatch);
      running++;
      void run(batch);
    }
  }

  async function run(batch: Entry[]) {
    const items = batch.map((e) => e.msg);
    let settled = false;
    let succeeded = false;
    // The handler's word that the batch is durable: PUBACKs go out now, not after its detection (see BatchHandler).
    const taken = () => {
      if (settled) return;
      settled = succeeded = true;
      settle(batch, true);
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await o.handler(items, taken);
        stats.batches++;
        if (r && typeof r.accepted === "number") stats.records_accepted += r.accepted;
        if (r && typeof r.rejected === "number") stats.records_rejected += r.rejected;
        succeeded = true;
        break;
      } catch (err) {
        stats.errors++;
        if (succeeded) {
          o.onError?.(`MQTT handler failed for a batch of ${items.length} messages after it was durably taken; it was acknowledged and is not tried again`, { error: errorText(err) });
          break;
        }
        o.onError?.(`MQTT handler failed for a batch of ${items.length} messages (attempt ${attempt}); it is tried again and nothing of it is acknowledged`, { error: errorText(err) });
        if (stopping.signal.aborted) break;
        await sleep(backoffDelay(attempt, backoff), stopping.signal);
        if (stopping.signal.aborted) break;
      }
    }
    running--;
    if (!settled) {
      settled = true;
      settle(batch, succeeded);
    }
    schedule();
    if (running === 0 && buffer.length === 0) idle?.();
  }

  /** A batch leaves the in-flight count: acknowledged when `done` (a batch given up at stop is redelivered instead). */
  function settle(batch: Entry[], done: boolean) {
    if (done) for (const e of batch) e.done = true;
    stats.in_flight -= batch.length;
    sendAcks();
    if (resumeReading && stats.in_flight < maxInFlight) {
      const r = resumeReading;
      resumeReading = undefined;
      r();
    }
  }

  /**
   * Writes the PUBACKs of the done messages at the head of the arrival order, all in one socket write: a write per
   * message (a write request and a syscall each) was 6 % of the service's CPU on one-record messages (bench:serve).
   */
  function sendAcks() {
    let k = 0;
    while (k < ackOrder.length && ackOrder[k]!.done) k++;
    if (k === 0) return;
    const stream = client.stream as unknown as { destroyed?: boolean; write(b: Buffer): boolean } | undefined;
    const open = stream !== undefined && !stream.destroyed && client.connected;
    const out = Buffer.allocUnsafe(k * PUBACK.length);
    let n = 0;
    for (let i = 0; i < k; i++) {
      const e = ackOrder[i]!;
      // An entry from a connection that is gone will never be acknowledged: it only leaves the order.
      if (!open || e.stream !== stream) {
        stats.acks_abandoned++;
        continue;
      }
      PUBACK.copy(out, n);
      out.writeUInt16BE(e.messageId!, n + PUBACK_ID_AT);
      n += PUBACK.length;
      stats.acked++;
    }
    ackOrder.splice(0, k);
    if (n > 0) stream!.write(n === out.length ? out : out.subarray(0, n));
  }

  const subscribe = () =>
    new Promise<void>((resolve) => {
      const subs = Object.fromEntries(templates.map((t) => [t.subscription, { qos: 1 as const, rh: skipRetained ? 2 : 0 }]));
      client.subscribe(subs, (err, granted) => {
        if (err) {
          stats.errors++;
          o.onError?.(`MQTT subscribe failed: ${errorText(err)}`, { topics: templates.map((t) => t.subscription) });
        }
        for (const g of granted ?? []) {
          if (g.qos !== 1) {
            stats.errors++;
            o.onError?.(`MQTT subscription ${g.topic} was ${g.qos >= 128 ? `refused (reason ${g.qos}): check the broker's ACL for this client` : `granted at QoS ${g.qos} only: messages may be lost`}`, { topic: g.topic, granted: g.qos });
          }
        }
        resolve();
      });
    });

  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));

  client.on("connect", (ack: IConnackPacket) => {
    stats.connects++;
    stats.connected = true;
    reconnectAttempt = 0;
    if (hadSession && !ack.sessionPresent) warn("the MQTT broker no longer had Longwatch's session: QoS 1 messages queued for it while it was away are lost (broker restarted without persistence, or the session expired)");
    hadSession = true;
    void subscribe().then(markReady);
  });
  client.on("close", () => {
    stats.connected = false;
    if (stopping.signal.aborted) return;
    const delay = backoffDelay(++reconnectAttempt, backoff);
    reconnectTimer = setTimeout(() => {
      if (!stopping.signal.aborted) client.reconnect();
    }, delay);
  });
  client.on("error", (err) => {
    stats.errors++;
    o.onError?.(`MQTT connection: ${errorText(err)}`, { url: `${originPrefix}`, client_id: clientId });
  });
  client.on("disconnect", (packet) => {
    if (packet.reasonCode === 142) warn(`another client connected with the same client id ${clientId}: give each instance its own`);
  });

  if (o.checkBroker ?? true) void checkBroker();
  async function checkBroker() {
    const facts = await probeBroker(o.url, { ...(o.username !== undefined ? { username: o.username } : {}), ...(o.password !== undefined ? { password: o.password } : {}) });
    const shared = templates.some((t) => t.shareGroup !== undefined);
    for (const w of versionWarnings(facts.version, shared)) warn(w);
    if (shared && facts.sharedSubscriptionAvailable === false) warn("the broker says it does not support shared subscriptions ($share): every instance will get every message");
    if (facts.maximumQoS === 0) warn("the broker supports QoS 0 only: messages are not acknowledged and can be lost");
    if (o.brokerConfigFile) {
      const conf = await readFile(o.brokerConfigFile, "utf8").catch((e: unknown) => (warn(`cannot read the broker configuration ${o.brokerConfigFile}: ${errorText(e)}`), undefined));
      if (conf !== undefined) for (const w of configWarnings(conf)) warn(w);
    }
  }

  let stopped: Promise<void> | undefined;
  async function stop(deadlineMs: number) {
    const drained = new Promise<void>((r) => (idle = r));
    dispatch();
    if (running === 0 && buffer.length === 0) idle?.();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (t = setTimeout(r, deadlineMs)))]);
    clearTimeout(t);
    stopping.abort();
    clearTimeout(reconnectTimer);
    cancelFlush();
    sendAcks();
    resumeReading?.();
    await client.endAsync(false).catch(() => client.end(true));
  }

  return {
    templates,
    ready,
    warnings,
    stats: () => ({ ...stats }),
    stop(deadlineMs = 10_000) {
      stopped ??= stop(deadlineMs);
      return stopped;
    },
  };
}
