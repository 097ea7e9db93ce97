/**
 * bench:serve — the running service, measured as an operator runs it: a real `longwatch serve` process (the built
 * dist/, on a fresh SQLite store) fed by the real Mosquitto on 127.0.0.1:1883 and over HTTP, with a webhook sink to a
 * local receiver in this process.
 *
 *   (a) MQTT ingest through detection vs a bare mqtt.js subscriber (its own process, parse only) on the same
 *       messages from the same broker in the same run: ratio of messages/s (target ≥ 0.9). Twice: paced (a
 *       publisher at most BENCH_MQTT_LEAD ahead of what the consumer took — latency and feedback bound both), then
 *       backlog (BENCH_MQTT_BACKLOG, 200,000, queued for each consumer's persistent session on a Mosquitto of the
 *       bench's own, drained at the consumer's own pace — its capacity; 0 skips these rounds; the service's count
 *       is read every BENCH_MQTT_BACKLOG_POLL_MS, 20).
 *   (b) HTTP NDJSON ingest (POST /api/v1/records, batch bodies): records/s (target ≥ 200,000).
 *   (c) alert latency, MQTT publish → webhook receipt, while records stream in at BENCH_RATE (20,000 records/s):
 *       p50/p99 (target p99 ≤ 100 ms). A probe device's SIM shows up with a new IMEI ten times a second (sim-swap
 *       raises at once); the latency is from the probe's publish to the signed webhook's arrival.
 *   (d) a soak at that rate for --soak-minutes N (default 10; --soak-seconds N for a short one, e.g. 90), the
 *       service's resident memory sampled every 5 s (target: flat within 10 % after the first tenth), alert latency
 *       kept throughout.
 *
 * Beside each paced run: the CPU the service used per second of it (how much of a core 20,000 records/s needs —
 * on a shared machine, a service given less than that falls behind and its latency grows with the backlog), and
 * the event loop's delay from /metrics (longwatch_event_loop_delay_seconds, over the last complete minute).
 *
 * Env: LONGWATCH_BENCH_MQTT (mqtt://127.0.0.1:1883), BENCH_MQTT_MESSAGES (50,000), BENCH_MQTT_ROUNDS (3), BENCH_HTTP_RECORDS (1,000,000),
 * BENCH_DEVICES (the fleet, 10,000; its detection state is what a checkpoint writes), BENCH_DIST (the build to run, default dist/: another commit's build gives a same-run baseline), BENCH_HTTP_BATCH (10,000 lines per body), BENCH_RATE (20,000), BENCH_PER_MESSAGE (records per MQTT message in the
 * latency run and soak, 20), BENCH_LATENCY_S (20), BENCH_HOLD_MS (the reorder buffer, 0; see bench/RESULTS.md).
 *   (e) with --only …,e: the event loop during a scan job over BENCH_SCAN_DEVICES (100,000) devices imported before
 *       the service starts — /healthz answer times while the job runs vs as long before it, without and then with
 *       the paced MQTT stream of (c) (target: nothing blocks the loop for more than 50 ms); with the stream, the alert
 *       latency of the probes published while the job ran apart from those published in the window before it.
 *
 * Flags: --soak-minutes N (0 skips the soak), --soak-seconds N (instead of minutes), --only a,b,c,d[,e].
 *
 * No wait is unbounded (serve-wait.ts): one whose progress stands still for BENCH_STALL_S (60) seconds fails naming
 * what it waited for — published, acknowledged by the broker, taken by the consumer. BENCH_MQTT_LEAD (800): how far
 * (a)'s publisher may run ahead of what the consumer took; above ~2,000 Mosquitto drops messages and the round stops.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { freePort, mosquittoMissing } from "../test/helpers/mosquitto.ts";
import { readProgress } from "./serve-progress.ts";
import { waitFor } from "./serve-wait.ts";

const root = join(import.meta.dirname, "..");
const BROKER = process.env.LONGWATCH_BENCH_MQTT ?? "mqtt://127.0.0.1:1883";
const MQTT_N = Number(process.env.BENCH_MQTT_MESSAGES ?? 50_000);
/** (a)'s rounds, each a bare run then a service run (3): on a shared machine more rounds give a steadier median. */
const MQTT_ROUNDS = Number(process.env.BENCH_MQTT_ROUNDS ?? 3);
const HTTP_N = Number(process.env.BENCH_HTTP_RECORDS ?? 1_000_000);
const HTTP_BATCH = Number(process.env.BENCH_HTTP_BATCH ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 20_000);
const PER_MESSAGE = Number(process.env.BENCH_PER_MESSAGE ?? 20);
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 20);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 0);
const STALL_MS = Number(process.env.BENCH_STALL_S ?? 60) * 1000;
/** Messages published ahead of what the subscriber took, at most (below the receive maximum of 1,000: startPublishing). */
const MQTT_LEAD = Number(process.env.BENCH_MQTT_LEAD ?? 800);
/**
 * The pause between (a)'s reads of the service's progress (longwatch_mqtt_acked_total on /metrics, read on a thread of
 * its own: serve-progress.ts). The bare subscriber reports every 100 messages, about every 2 ms; reading back to back
 * would spend a third of the service's CPU on renders (which are counted in its CPU).
 */
const MQTT_POLL_MS = Number(process.env.BENCH_MQTT_POLL_MS ?? 2);
const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SOAK_MIN = flag("--soak-seconds") !== undefined ? Number(flag("--soak-seconds")) / 60 : Number(flag("--soak-minutes") ?? 10);
if (!(SOAK_MIN >= 0)) throw new Error("--soak-minutes / --soak-seconds: give a number ≥ 0");
const ONLY = new Set((flag("--only") ?? "a,b,c,d").split(","));
const SECRET = "bench-webhook-secret-0123456789";
const run = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const base = `lwbench/serve/${run}`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// Records: a fleet of DEVICES devices sending metrics, flows and connectivity events, all dated now (a live fleet).

const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
let seq = 0;
function record(ts: number): string {
  const i = seq++;
  const d = i % DEVICES;
  const t = new Date(ts).toISOString();
  switch (i % 4) {
    case 0:
      return `{"ts":"${t}","kind":"metric","device_id":"dev-${d}","metric":"bytes_out","value":${(i % 977) + 100}}`;
    case 1:
      return `{"ts":"${t}","kind":"flow","device_id":"dev-${d}","src_ip":"10.${(d >> 8) & 255}.${d & 255}.2","src_port":${40000 + (i % 1000)},"dst_ip":"52.28.${d % 4}.10","dst_port":443,"proto":"tcp","bytes_out":${600 + (i % 300)},"bytes_in":1800}`;
    case 2:
      return `{"ts":"${t}","kind":"metric","device_id":"dev-${d}","metric":"messages","value":${i % 7}}`;
    default:
      return `{"ts":"${t}","kind":"connectivity","device_id":"dev-${d}","event":"session_start","iccid":"894900${String(1e12 + d)}","imei":"3569${String(1e10 + d)}","bytes_up":${i % 5000},"bytes_down":${i % 9000}}`;
  }
}
const PROBE_BOUND = "35000000000000";
const probeImei = (k: number) => `35${String(1e12 + k)}`;
const probeRecord = (ts: number, imei: string) => `{"ts":"${new Date(ts).toISOString()}","kind":"connectivity","device_id":"probe-${run}","event":"session_start","imei":"${imei}"}`;

// ---------------------------------------------------------------------------------------------------------------
// The webhook receiver: checks the signature header is there, notes when each probe's alert arrived.

interface Receiver {
  url: string;
  server: Server;
  arrived: Map<string, number>;
  bodies: number;
}
async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: "", server: undefined as unknown as Server, arrived: new Map(), bodies: 0 };
  r.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = performance.now();
      r.bodies++;
      if (!String(req.headers["x-longwatch-signature"] ?? "").startsWith("sha256=")) throw new Error("webhook body without a signature");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { alert: { detector: string; evidence: { seen_imei?: string } } } | { alerts: { alert: { detector: string; evidence: { seen_imei?: string } } }[] };
      const alerts = "alerts" in body ? body.alerts.map((x) => x.alert) : [body.alert];
      for (const a of alerts) if (a.detector === "sim-swap" && a.evidence.seen_imei) r.arrived.set(a.evidence.seen_imei, at);
      res.end("ok");
    });
  });
  r.server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => r.server.listen(0, "127.0.0.1", ok));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// The service: dist/cli/bin.js as bin/longwatch.js runs it (with its V8 flag), so its pid is the one holding the state.

interface Service {
  child: ChildProcess;
  url: string;
  token: string;
  dir: string;
  out: () => string;
  metrics(): Promise<string>;
  stop(): Promise<number | null>;
}
async function startService(hook: string, topics: string[], prepare?: (data: string) => void, at?: { broker: string; dir?: string }): Promise<Service> {
  const dir = at?.dir ?? mkdtempSync(join(tmpdir(), "lw-bench-serve-"));
  if (!at?.dir) prepare?.(join(dir, "data"));
  const config = join(dir, "longwatch.yaml");
  writeFileSync(
    config,
    [
      "metrics_public: true",
      "log: { level: warn }",
      `detection: { hold_ms: ${HOLD_MS} }`,
      "checkpoint: { interval_s: 10 }",
      "audit: { every_minutes: 0, on_inventory_change: false }",
      "sinks:",
      "  - type: webhook",
      "    name: bench",
      `    url: ${hook}`,
      `    secret: ${SECRET}`,
      "    queue_size: 100000",
      "",
    ].join("\n"),
  );
  const args = [...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), "--max-semi-space-size=64", join(process.env.BENCH_DIST ?? join(root, "dist"), "cli/bin.js"), "--data", join(dir, "data"), "--store", `sqlite:${join(dir, "data", "longwatch.db")}`, "serve", "--listen", "127.0.0.1:0", "--config", config, "--mqtt", at?.broker ?? BROKER, "--mqtt-client-id", `lw-bench-${run}`];
  for (const t of topics) args.push("--mqtt-topic", t);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((ok) => child.once("exit", ok));
  const deadline = Date.now() + 120_000;
  while (!/serving on (\S+) /.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`serve did not start:\n${out}\n${err}`);
    }
    await sleep(50);
  }
  const url = /serving on (\S+) /.exec(out)![1]!;
  const token = /\n {2}(lw_[A-Za-z0-9_-]{43})\n/.exec(out)?.[1];
  // A store with accounts prints none: a restart on the same directory (the backlog rounds, which read only /metrics).
  if (!token && !at?.dir) throw new Error(`no admin token printed:\n${out}`);
  return {
    child,
    url,
    token: token ?? "",
    dir,
    out: () => `${out}\n${err}`,
    async metrics() {
      const r = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(STALL_MS) });
      return r.text();
    },
    async stop() {
      child.kill("SIGTERM");
      // The bound's timer is cleared once the service exits: left running, it kept the bench alive a minute after its last line.
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<"timeout">((ok) => (timer = setTimeout(() => ok("timeout"), 60_000)))]);
      clearTimeout(timer);
      if (code === "timeout") {
        child.kill("SIGKILL");
        return null;
      }
      return code;
    },
  };
}

/** Sum of a metric's samples whose labels contain `match` (all samples without it). */
function metricSum(text: string, name: string, match = ""): number {
  let s = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, "gm"))) if ((m[1] ?? "").includes(match)) s += Number(m[2]);
  return s;
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s). */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").slice(readFileSync(`/proc/${pid}/stat`, "utf8").lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------------------------
// Publishing: QoS 1, at most `window` unacknowledged.

/** A publisher that never reconnects on its own: a lost connection fails the run (its publishes' callbacks error). */
async function publisher(broker = BROKER): Promise<MqttClient> {
  return mqtt.connectAsync(broker, { protocolVersion: 5, reconnectPeriod: 0, clientId: `lw-bench-pub-${run}-${Math.random().toString(36).slice(2, 6)}` }, false);
}

/** Ends a client; mqtt.js's endAsync sometimes never resolves after a burst of QoS 1 publishes, so bounded. */
async function closeClient(c: MqttClient): Promise<void> {
  await Promise.race([new Promise<void>((ok) => c.end(false, {}, () => ok())), sleep(2000)]);
  c.end(true);
}

interface Publishing {
  /** Publishes issued, and acknowledged by the broker. */
  readonly sent: () => number;
  readonly acked: () => number;
  readonly finished: () => boolean;
  readonly error: () => string | undefined;
  stop(): void;
}

/**
 * QoS 1 publishes, at most `window` unacknowledged by the broker and at most `lead` ahead of what the subscriber has
 * taken (`consumed`). Mosquitto sends a subscriber at most its receive maximum (1,000 here, as the service and the
 * bare subscriber advertise) unacknowledged and queues at most max_queued_messages (1,000 by default) beyond that,
 * dropping the rest: a dropped message never arrives and the round would wait for it. `lead` stays below the
 * receive maximum, so nothing even waits in the broker's queue.
 */
function startPublishing(pub: MqttClient, topicOf: (i: number) => string, payloads: readonly string[], consumed: () => number, lead = MQTT_LEAD, window = 1000): Publishing {
  let next = 0;
  let inFlight = 0;
  let acked = 0;
  let error: string | undefined;
  const pump = () => {
    while (error === undefined && inFlight < window && next < payloads.length && next - consumed() < lead) {
      const i = next++;
      inFlight++;
      pub.publish(topicOf(i), payloads[i]!, { qos: 1 }, (e) => {
        if (e) error ??= `publish ${i + 1} failed: ${e.message}`;
        inFlight--;
        if (++acked === payloads.length) clearInterval(timer);
        else pump();
      });
    }
  };
  const timer = setInterval(pump, 2);
  pump();
  return { sent: () => next, acked: () => acked, finished: () => acked === payloads.length && error === undefined, error: () => error, stop: () => clearInterval(timer) };
}

// ---------------------------------------------------------------------------------------------------------------
// (a) MQTT: bare subscriber vs the service, the same messages, one record each.

interface Rate {
  rate: number;
  /** CPU seconds the consuming process used per 1,000 messages (or records). */
  cpuPerK: number;
}

const DROP_HINT = "a QoS 1 message that never arrives was dropped by the broker (Mosquitto logs 'Outgoing messages are being dropped for client …' when a subscriber's queue, max_queued_messages, is full) or lost with a connection";

/** The bare subscriber's lines on stdout: `ready`, `n <taken>`, `done <ms> cpu <s>`, `fail <why>`. */
function watchBare(child: ChildProcess) {
  const s = { ready: false, taken: 0, doneAt: 0, ms: NaN, cpu: NaN, fail: undefined as string | undefined };
  let partial = "";
  child.stdout!.on("data", (c: Buffer) => {
    const lines = (partial + c.toString()).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      if (line === "ready") s.ready = true;
      else if (line.startsWith("n ")) s.taken = Math.max(s.taken, Number(line.slice(2)));
      else if (line.startsWith("done ")) {
        s.doneAt ||= performance.now();
        s.ms = Number(line.split(" ")[1]);
        s.cpu = Number(/ cpu (\S+)/.exec(line)?.[1]);
      }
      else if (line.startsWith("fail ")) s.fail = line.slice(5);
    }
  });
  // "close", not "exit": its last lines may still be in the pipe when it exits.
  child.once("close", (code, signal) => {
    if (!s.doneAt) s.fail ??= `it exited (${signal ?? `code ${code}`})`;
  });
  return s;
}

async function bareRate(round: number, topicBase: string, payloads: readonly string[]): Promise<Rate> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "bench/serve-bare-subscriber.ts"), BROKER, `${topicBase}/+/records`, String(payloads.length)], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const s = watchBare(child);
  try {
    await waitFor(`the bare subscriber of round ${round} to subscribe`, { done: () => s.ready, progress: () => 0, status: () => `${topicBase}/+/records on ${BROKER}`, failed: () => s.fail, stallMs: STALL_MS });
    const pub = await publisher();
    const t0 = performance.now();
    const p = startPublishing(pub, (i) => `${topicBase}/dev-${i % 1000}/records`, payloads, () => s.taken);
    try {
      await waitFor(`round ${round}'s ${fmt(payloads.length)} messages through the bare subscriber`, {
        done: () => p.finished() && s.doneAt > 0,
        progress: () => p.acked() + s.taken,
        status: () => `published ${fmt(p.sent())}, acknowledged by the broker ${fmt(p.acked())}, taken by the subscriber ${fmt(s.taken)} (it reports every 100) — ${DROP_HINT}`,
        failed: () => p.error() ?? (s.fail && `the bare subscriber: ${s.fail}`),
        stallMs: STALL_MS,
      });
    } finally {
      p.stop();
      await closeClient(pub);
    }
    return { rate: payloads.length / ((s.doneAt - t0) / 1000), cpuPerK: (s.cpu / payloads.length) * 1000 };
  } finally {
    child.kill();
  }
}

async function serviceRate(what: string, svc: Service, topicBase: string, payloads: readonly string[]): Promise<Rate> {
  const before = metricSum(await svc.metrics(), "longwatch_mqtt_acked_total");
  const reader = readProgress(svc.url, "longwatch_mqtt_acked_total", MQTT_POLL_MS);
  const pub = await publisher();
  const c0 = cpuOf(svc.child.pid!);
  const t0 = performance.now();
  let doneAt = 0;
  const taken = () => Math.max(0, reader.value() - before);
  const p = startPublishing(pub, (i) => `${topicBase}/dev-${i % 1000}/records`, payloads, taken);
  try {
    await waitFor(`${what}: ${fmt(payloads.length)} messages acknowledged by the service`, {
      poll: async () => {
        if (taken() >= payloads.length) doneAt ||= performance.now();
      },
      done: () => p.finished() && doneAt > 0,
      progress: () => p.acked() + taken(),
      status: () => `published ${fmt(p.sent())}, acknowledged by the broker ${fmt(p.acked())}, by the service ${fmt(taken())} (longwatch_mqtt_acked_total) — ${DROP_HINT}`,
      failed: () => p.error() ?? reader.error() ?? serviceGone(svc),
      stallMs: STALL_MS,
      pollMs: 1,
    });
  } finally {
    p.stop();
    await reader.stop();
    await closeClient(pub);
  }
  return { rate: payloads.length / ((doneAt - t0) / 1000), cpuPerK: ((cpuOf(svc.child.pid!) - c0) / payloads.length) * 1000 };
}

// ---------------------------------------------------------------------------------------------------------------
// (a) backlog: each consumer drains the same messages queued for it while it was away — its own pace, no feedback.
//
// The paced rounds above bound both consumers by a window and how soon the publisher learns of their progress, so
// they compare latency more than capacity. Here the broker holds BENCH_MQTT_BACKLOG messages for a persistent
// session whose consumer is gone; the consumer then connects and takes them as fast as it can (the broker keeps its
// receive maximum of 1,000 in flight). Stock Mosquitto queues 1,000 per client and drops the rest, so these rounds
// run on a Mosquitto of the bench's own on a free port, with max_queued_messages 0 (no bound).

const MQTT_BACKLOG = Number(process.env.BENCH_MQTT_BACKLOG ?? 200_000);
const BACKLOG_POLL_MS = Number(process.env.BENCH_MQTT_BACKLOG_POLL_MS ?? 20);

/**
 * A Mosquitto of the bench's own that queues without bound (or why there is none). Not the tests' ownMosquitto: that
 * one persists its queues to disk every second, which would weigh on the broker while it holds 200,000 messages.
 */
async function startQueueingBroker(): Promise<{ url: string; stop(): void } | string> {
  if (mosquittoMissing) return `${mosquittoMissing} (apt-get install mosquitto)`;
  const dir = mkdtempSync(join(tmpdir(), "lw-bench-broker-"));
  const port = await freePort();
  writeFileSync(join(dir, "mosquitto.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\npersistence false\n`);
  const child = spawn("mosquitto", ["-c", join(dir, "mosquitto.conf")], { stdio: "ignore" });
  const url = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 500 }, false).catch(() => undefined);
    if (c) {
      await closeClient(c);
      return { url, stop: () => (child.kill(), rmSync(dir, { recursive: true, force: true })) };
    }
    await sleep(50);
  }
  child.kill();
  return `mosquitto did not answer on port ${port}`;
}

/** Publishes every payload (QoS 1) and waits until the broker acknowledged them all (no consumer paces it: the broker queues). */
async function publishAll(broker: string, topicOf: (i: number) => string, payloads: readonly string[], what: string): Promise<void> {
  const pub = await publisher(broker);
  const p = startPublishing(pub, topicOf, payloads, () => Number.POSITIVE_INFINITY);
  try {
    await waitFor(what, { done: () => p.finished(), progress: () => p.acked(), status: () => `published ${fmt(p.sent())}, acknowledged by the broker ${fmt(p.acked())}`, failed: () => p.error(), stallMs: STALL_MS });
  } finally {
    p.stop();
    await closeClient(pub);
  }
}

async function bareBacklog(round: number, broker: string, payloads: readonly string[]): Promise<Rate> {
  const topics = `${base}/bq${round}`;
  const session = `lw-bench-bare-${run}-${round}`;
  const bare = (mode: string) => spawn(process.execPath, ["--import", "tsx", join(root, "bench/serve-bare-subscriber.ts"), broker, `${topics}/+/records`, String(payloads.length), session, mode], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const first = bare("subscribe");
  const s0 = watchBare(first);
  await waitFor(`backlog round ${round}: the bare subscriber's session`, { done: () => s0.doneAt > 0, progress: () => 0, status: () => `${topics}/+/records on ${broker}`, failed: () => s0.fail, stallMs: STALL_MS });
  await publishAll(broker, (i) => `${topics}/dev-${i % 1000}/records`, payloads, `backlog round ${round}: ${fmt(payloads.length)} messages queued for the bare subscriber`);
  const child = bare("drain");
  const s = watchBare(child);
  try {
    await waitFor(`backlog round ${round}: the bare subscriber draining ${fmt(payloads.length)} messages`, { done: () => s.doneAt > 0, progress: () => s.taken, status: () => `taken ${fmt(s.taken)}`, failed: () => s.fail, stallMs: STALL_MS });
  } finally {
    child.kill();
  }
  return { rate: payloads.length / (s.ms / 1000), cpuPerK: (s.cpu / payloads.length) * 1000 };
}

async function serviceBacklog(round: number, broker: string, hook: string, payloads: readonly string[]): Promise<Rate> {
  const topics = `${base}/sq${round}`;
  let svc = await startService(hook, [`${topics}/{device_id}/records`], undefined, { broker });
  const dir = svc.dir;
  try {
    await waitSubscribed(svc, broker, `${topics}/warm/records`);
    if ((await svc.stop()) !== 0) throw new Error(`backlog round ${round}: the service did not stop cleanly:\n${svc.out().slice(-2000)}`);
    await publishAll(broker, (i) => `${topics}/dev-${i % 1000}/records`, payloads, `backlog round ${round}: ${fmt(payloads.length)} messages queued for the service`);
    svc = await startService(hook, [`${topics}/{device_id}/records`], undefined, { broker, dir });
    const want = payloads.length; // the counter starts again with the process
    // From the first acknowledgement seen to the last, what was taken before the first look left out of the count.
    // Polled every BACKLOG_POLL_MS: a /metrics answer costs the service 0.3–0.5 ms, so every 5 ms was 6–10 % of its
    // CPU (the bare subscriber's count on stdout costs it next to nothing); 20 ms errs by under 1 % on a 2 s drain.
    let n = 0;
    let t1 = 0;
    let n1 = 0;
    let c1 = 0;
    let tEnd = 0;
    await waitFor(`backlog round ${round}: the service draining ${fmt(payloads.length)} messages`, {
      poll: async () => {
        n = metricSum(await svc.metrics(), "longwatch_mqtt_acked_total");
        if (n > 0 && !t1) [t1, n1, c1] = [performance.now(), n, cpuOf(svc.child.pid!)];
        if (n >= want) tEnd ||= performance.now();
      },
      done: () => tEnd > 0,
      progress: () => n,
      status: () => `acknowledged ${fmt(n)} of ${fmt(want)} (longwatch_mqtt_acked_total)`,
      failed: () => serviceGone(svc),
      stallMs: STALL_MS,
      pollMs: BACKLOG_POLL_MS,
    });
    const taken = want - n1;
    return { rate: taken / ((tEnd - t1) / 1000), cpuPerK: ((cpuOf(svc.child.pid!) - c1) / taken) * 1000 };
  } finally {
    await svc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Publishes a warm-up message until the service acknowledges one: its subscription is then in place. */
async function waitSubscribed(svc: Service, broker: string, topic: string): Promise<void> {
  const pub = await publisher(broker);
  let acked = 0;
  try {
    await waitFor("the service's MQTT subscription (a warm-up message acknowledged)", {
      poll: async () => {
        await pub.publishAsync(topic, "[]", { qos: 1 });
        acked = metricSum(await svc.metrics(), "longwatch_mqtt_acked_total");
      },
      done: () => acked > 0,
      progress: () => acked,
      status: () => `longwatch_mqtt_acked_total ${acked}; the service said:\n${svc.out().slice(-2000)}`,
      failed: () => serviceGone(svc),
      stallMs: STALL_MS,
      pollMs: 100,
    });
  } finally {
    await closeClient(pub);
  }
}

const serviceGone = (svc: Service) => (svc.child.exitCode !== null || svc.child.signalCode !== null ? `the service exited (${svc.child.signalCode ?? `code ${svc.child.exitCode}`}):\n${svc.out().slice(-2000)}` : undefined);

// ---------------------------------------------------------------------------------------------------------------
// (b) HTTP NDJSON

async function httpRate(svc: Service): Promise<Rate & { mbps: number }> {
  const bodies: string[] = [];
  const now = Date.now();
  for (let i = 0; i < HTTP_N; i += HTTP_BATCH) {
    const lines: string[] = [];
    for (let j = 0; j < Math.min(HTTP_BATCH, HTTP_N - i); j++) lines.push(record(now + Math.floor((i + j) / 1000)));
    bodies.push(`${lines.join("\n")}\n`);
  }
  const bytes = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);
  let next = 0;
  let accepted = 0;
  const c0 = cpuOf(svc.child.pid!);
  const t0 = performance.now();
  // Two bodies at a time: one is being journaled while the next is read.
  await Promise.all(
    [0, 1].map(async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const r = await fetch(`${svc.url}/api/v1/records`, { method: "POST", headers: { authorization: `Bearer ${svc.token}`, "content-type": "application/x-ndjson" }, body, signal: AbortSignal.timeout(STALL_MS) });
        const a = (await r.json()) as { accepted: number; rejected: number; rejects: unknown[] };
        if (r.status !== 200 || a.rejected) throw new Error(`POST /api/v1/records: ${r.status} ${JSON.stringify(a).slice(0, 400)}`);
        accepted += a.accepted;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  if (accepted !== HTTP_N) throw new Error(`HTTP: ${accepted} of ${HTTP_N} accepted`);
  return { rate: HTTP_N / s, mbps: bytes / 2 ** 20 / s, cpuPerK: ((cpuOf(svc.child.pid!) - c0) / HTTP_N) * 1000 };
}

// ---------------------------------------------------------------------------------------------------------------
// (c, d) Paced stream with probes

interface StreamResult {
  seconds: number;
  records: number;
  latencies: number[];
  lost: number;
  /** When each arrived probe was published (performance.now()), in the order of `latencies`. */
  sentAt: number[];
  rss: { t: number; rss: number }[];
  lagMax: number;
  /** CPU seconds the service used per second of the stream. */
  cpuPerSecond: number;
  /** /healthz answer times during the stream (the service's event-loop stalls show here, whatever its build). */
  health: Probe;
}

async function pacedStream(svc: Service, rx: Receiver, seconds: number, sampleRss: boolean): Promise<StreamResult> {
  const pub = await publisher();
  // It does not reconnect (publisher()): a lost connection would only show as probes not arrived, so it fails the run.
  let closed = false;
  pub.once("close", () => (closed = true));
  // Bind the probe's first IMEI.
  await pub.publishAsync(`${base}/s/probe/records`, probeRecord(Date.now(), PROBE_BOUND), { qos: 1 });
  await sleep(500);
  const sent = new Map<string, number>();
  const tickMs = 10;
  const perTick = (RATE * tickMs) / 1000;
  const rss: { t: number; rss: number }[] = [];
  let records = 0;
  let inFlight = 0;
  let probes = 0;
  let lagMax = 0;
  let carry = 0;
  const c0 = cpuOf(svc.child.pid!);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const health = probeHealth(svc.url, () => performance.now() >= end);
  let nextRss = t0;
  let tick = 0;
  while (performance.now() < end) {
    const due = t0 + tick * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else lagMax = Math.max(lagMax, -wait);
    tick++;
    carry += perTick;
    const now = Date.now();
    while (carry >= PER_MESSAGE) {
      carry -= PER_MESSAGE;
      const lines: string[] = [];
      for (let j = 0; j < PER_MESSAGE; j++) lines.push(record(now));
      records += PER_MESSAGE;
      if (inFlight > 5000) continue; // the broker or the service is not keeping up: count it as sent, measure the rest
      inFlight++;
      pub.publish(`${base}/s/dev-${records % 1000}/records`, lines.join("\n"), { qos: 1 }, () => void inFlight--);
    }
    // Ten probes a second, each a new IMEI in the probe's SIM: one sim-swap alert each.
    if (tick % 10 === 0) {
      const imei = probeImei(++probes);
      sent.set(imei, performance.now());
      pub.publish(`${base}/s/probe/records`, probeRecord(Date.now(), imei), { qos: 1 });
    }
    if (sampleRss && performance.now() >= nextRss) {
      rss.push({ t: (performance.now() - t0) / 1000, rss: rssOf(svc.child.pid!) });
      nextRss += 5000;
    }
  }
  const took = (performance.now() - t0) / 1000;
  const cpuPerSecond = (cpuOf(svc.child.pid!) - c0) / took;
  await sleep(3000);
  if (closed) throw new Error(`the paced stream's MQTT connection to ${BROKER} closed during the stream: its figures would count the records it could not send as lost`);
  await closeClient(pub);
  const latencies: number[] = [];
  const sentAt: number[] = [];
  let lost = 0;
  for (const [imei, at] of sent) {
    const got = rx.arrived.get(imei);
    if (got === undefined) lost++;
    else {
      latencies.push(got - at);
      sentAt.push(at);
    }
  }
  return { seconds: took, records, latencies, sentAt, lost, rss, lagMax, cpuPerSecond, health: await health };
}

// ---------------------------------------------------------------------------------------------------------------
// (e) the event loop during a scan job: the fleet imported by `longwatch scan` before the service starts, then a
// scan job through the API while /healthz is asked every 20 ms (its answer time carries the loop's delay), against
// the same probing for as long before the job.

const SCAN_DEVICES = Number(process.env.BENCH_SCAN_DEVICES ?? 100_000);

function importFleet(data: string): void {
  const fleetDir = join(data, "..", "fleet");
  progress(`(e) generating and importing ${fmt(SCAN_DEVICES)} devices`);
  execFileSync(process.execPath, ["--import", "tsx", "-e", `import(${JSON.stringify(join(root, "bench/scan-fleet.ts"))}).then((m) => m.generateBenchFleet({ dir: ${JSON.stringify(fleetDir)}, devices: ${SCAN_DEVICES}, certs: ${Math.floor(SCAN_DEVICES / 10)}, seed: 1 }))`], { cwd: root, stdio: "inherit" });
  const r = spawnSync(process.execPath, [join(process.env.BENCH_DIST ?? join(root, "dist"), "cli/bin.js"), "--data", data, "--store", `sqlite:${join(data, "longwatch.db")}`, "scan", join(fleetDir, "devices.csv"), "--models", join(fleetDir, "models.yaml"), "--format", "json"], { cwd: root, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 2 ** 28 });
  if (r.status !== 0 && r.status !== 3 && r.status !== 4) throw new Error(`longwatch scan exited ${r.status}: ${r.stderr?.toString().slice(-2000)}`);
}

interface Probe {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

async function probeHealth(url: string, until: () => boolean): Promise<Probe> {
  const times: number[] = [];
  while (!until()) {
    const t0 = performance.now();
    await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(STALL_MS) })).arrayBuffer();
    times.push(performance.now() - t0);
    await sleep(20);
  }
  return { n: times.length, p50: pct(times, 50), p99: pct(times, 99), max: Math.max(...times) };
}

async function scanJobLoop(svc: Service, rx: Receiver, withIngest: boolean) {
  const auth = { authorization: `Bearer ${svc.token}` };
  const job = async (id?: string) => {
    const r = await fetch(id ? `${svc.url}/api/v1/scan-jobs/${id}` : `${svc.url}/api/v1/scans`, { ...(id ? { headers: auth } : { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{}" }), signal: AbortSignal.timeout(STALL_MS) });
    const j = (await r.json()) as { id: string; state: string; phase?: string; done?: number; error?: unknown };
    if (!id && r.status !== 202) throw new Error(`POST /api/v1/scans: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const runJob = async () => {
    let j = await job();
    await waitFor(`scan job ${j.id}`, {
      poll: async () => void (j.state === "running" && (j = await job(j.id))),
      done: () => j.state !== "running",
      progress: () => JSON.stringify([j.phase, j.done]),
      status: () => JSON.stringify(j),
      failed: () => serviceGone(svc),
      stallMs: STALL_MS,
      pollMs: 200,
    });
    if (j.state !== "succeeded") throw new Error(`scan job: ${JSON.stringify(j)}`);
  };
  // The job's length first (unprobed), so the baseline can take as long.
  const t0 = performance.now();
  await runJob();
  const seconds = (performance.now() - t0) / 1000;
  const streaming = withIngest ? pacedStream(svc, rx, seconds * 2 + 5, false) : undefined;
  const b0 = performance.now();
  const before = await probeHealth(svc.url, () => performance.now() - b0 > seconds * 1000);
  let running = true;
  const during = probeHealth(svc.url, () => !running);
  const j0 = performance.now();
  await runJob();
  const j1 = performance.now();
  running = false;
  const stream = await streaming;
  // The alerts published while the job ran, and those published in the baseline window before it.
  const split = stream && { job: stream.latencies.filter((_, i) => stream.sentAt[i]! >= j0 && stream.sentAt[i]! < j1), before: stream.latencies.filter((_, i) => stream.sentAt[i]! >= b0 && stream.sentAt[i]! < j0) };
  return { seconds, before, during: await during, metrics: await svc.metrics(), stream, split };
}

/** The event loop's delay quantiles from /metrics, in ms. */
function loopDelay(text: string): string {
  const q = (x: string) => (metricSum(text, "longwatch_event_loop_delay_seconds", `quantile="${x}"`) * 1000).toFixed(1);
  return `event-loop delay p50 ${q("0.5")} ms, p99 ${q("0.99")} ms, max ${q("1")} ms (last minute)`;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

// ---------------------------------------------------------------------------------------------------------------

const lines: string[] = [];
const say = (s: string) => {
  lines.push(s);
  console.log(s);
};
say(`bench:serve  ${new Date().toISOString()}  ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}; load at start ${load()}`);

const progress = (s: string) => process.stderr.write(`  … ${s}\n`);
const rx = await startReceiver();
progress("starting longwatch serve");
const svc = await startService(rx.url, [`${base}/a/{device_id}/records`, `${base}/s/{device_id}/records`], ONLY.has("e") ? importFleet : undefined);
try {
  progress(`serving on ${svc.url}; waiting for its MQTT subscription`);
  await waitSubscribed(svc, BROKER, `${base}/s/warm/records`);
  if (ONLY.has("a")) {
    const now = Date.now();
    const payloads = Array.from({ length: MQTT_N }, (_, i) => record(now + Math.floor(i / 100)));
    // Warm-up (JIT, the store's first pages), not reported.
    await serviceRate("(a) warm-up", svc, `${base}/a`, payloads.slice(0, 2000));
    const ratios: number[] = [];
    for (let round = 1; round <= MQTT_ROUNDS; round++) {
      const l0 = load();
      progress(`(a) round ${round}: bare subscriber`);
      const b = await bareRate(round, `${base}/bare${round}`, payloads);
      progress(`(a) round ${round}: the service`);
      const s = await serviceRate(`(a) round ${round}`, svc, `${base}/a`, payloads);
      ratios.push(s.rate / b.rate);
      say(`(a) round ${round}: ${fmt(MQTT_N)} QoS 1 messages of one record: bare mqtt.js subscriber ${fmt(b.rate)} msg/s (${b.cpuPerK.toFixed(3)} CPU-s per 1,000), longwatch serve (journal + detection + PUBACK) ${fmt(s.rate)} msg/s (${s.cpuPerK.toFixed(3)} CPU-s per 1,000) — ratio ${(s.rate / b.rate).toFixed(2)} (target ≥ 0.9); load ${l0}`);
    }
    say(`(a) median ratio of the ${ratios.length} rounds: ${pct(ratios, 50).toFixed(2)} (target ≥ 0.9)`);
    if (MQTT_BACKLOG > 0) {
      const broker = await startQueueingBroker();
      if (typeof broker === "string") say(`(a) backlog rounds skipped: ${broker}`);
      else {
        try {
          const queued = Array.from({ length: MQTT_BACKLOG }, (_, i) => record(now + Math.floor(i / 100)));
          const drained: number[] = [];
          for (let round = 1; round <= MQTT_ROUNDS; round++) {
            const l0 = load();
            progress(`(a) backlog round ${round}: bare subscriber`);
            const b = await bareBacklog(round, broker.url, queued);
            progress(`(a) backlog round ${round}: the service`);
            const q = await serviceBacklog(round, broker.url, rx.url, queued);
            drained.push(q.rate / b.rate);
            say(`(a) backlog round ${round}: ${fmt(MQTT_BACKLOG)} queued QoS 1 messages of one record drained: bare mqtt.js subscriber ${fmt(b.rate)} msg/s (${b.cpuPerK.toFixed(4)} CPU-s per 1,000), longwatch serve ${fmt(q.rate)} msg/s (${q.cpuPerK.toFixed(4)} CPU-s per 1,000) — ratio ${(q.rate / b.rate).toFixed(2)} (target ≥ 0.9); load ${l0}`);
          }
          say(`(a) backlog median ratio of the ${drained.length} rounds: ${pct(drained, 50).toFixed(2)} (target ≥ 0.9)`);
        } finally {
          broker.stop();
        }
      }
    }
  }
  if (ONLY.has("b")) {
    for (let round = 1; round <= 2; round++) {
      const l0 = load();
      const h = await httpRate(svc);
      say(`(b) round ${round}: HTTP NDJSON ${fmt(HTTP_N)} records in bodies of ${fmt(HTTP_BATCH)}, 2 requests at a time: ${fmt(h.rate)} records/s (${h.mbps.toFixed(1)} MiB/s; the service used ${h.cpuPerK.toFixed(3)} CPU-s per 1,000 records, i.e. ${fmt(1000 / h.cpuPerK)} records per CPU-second; target ≥ 200,000/s); load ${l0}`);
    }
  }
  if (ONLY.has("c")) {
    const l0 = load();
    const r = await pacedStream(svc, rx, LATENCY_S, false);
    say(`(c) alert latency, publish → webhook receipt, ${fmt(r.records / r.seconds)} records/s for ${r.seconds.toFixed(0)} s (${PER_MESSAGE} records per message, hold_ms ${HOLD_MS}): ${r.latencies.length} alerts, p50 ${pct(r.latencies, 50).toFixed(1)} ms, p99 ${pct(r.latencies, 99).toFixed(1)} ms, max ${Math.max(...r.latencies).toFixed(1)} ms, not arrived ${r.lost} (target p99 ≤ 100 ms); the service used ${r.cpuPerSecond.toFixed(2)} CPU-s per second; /healthz every 20 ms answered in p99 ${r.health.p99.toFixed(1)} ms, max ${r.health.max.toFixed(1)} ms; ${loopDelay(await svc.metrics())}; publisher behind schedule by up to ${r.lagMax.toFixed(0)} ms; load ${l0}`);
  }
  if (ONLY.has("e")) {
    for (const withIngest of [false, true]) {
      const l0 = load();
      progress(`(e) scan job over ${fmt(SCAN_DEVICES)} devices${withIngest ? ` while ${fmt(RATE)} records/s stream in` : ""}`);
      const r = await scanJobLoop(svc, rx, withIngest);
      say(`(e) scan job (POST /api/v1/scans, ${fmt(SCAN_DEVICES)} devices, ${r.seconds.toFixed(1)} s)${withIngest ? ` with ${fmt(RATE)} records/s of MQTT ingest` : ""}: /healthz answered in p50 ${r.during.p50.toFixed(1)} ms, p99 ${r.during.p99.toFixed(1)} ms, max ${r.during.max.toFixed(1)} ms (${r.during.n} probes) vs p50 ${r.before.p50.toFixed(1)}, p99 ${r.before.p99.toFixed(1)}, max ${r.before.max.toFixed(1)} ms in the same time before the job — p99 ratio ${(r.during.p99 / r.before.p99).toFixed(2)}; service ${loopDelay(r.metrics)}${r.stream ? `; alerts p50 ${pct(r.stream.latencies, 50).toFixed(1)} ms, p99 ${pct(r.stream.latencies, 99).toFixed(1)} ms, not arrived ${r.stream.lost}` : ""}${r.split ? `; of them published during the job (${r.split.job.length}) p50 ${pct(r.split.job, 50).toFixed(1)} ms, p99 ${pct(r.split.job, 99).toFixed(1)} ms, max ${Math.max(...r.split.job).toFixed(1)} ms, in the window before it (${r.split.before.length}) p50 ${pct(r.split.before, 50).toFixed(1)} ms, p99 ${pct(r.split.before, 99).toFixed(1)} ms` : ""}; load ${l0}`);
    }
  }
  if (ONLY.has("d") && SOAK_MIN > 0) {
    const l0 = load();
    const r = await pacedStream(svc, rx, SOAK_MIN * 60, true);
    const after = r.rss.filter((x) => x.t >= (SOAK_MIN * 60) / 10);
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    const vals = after.map((x) => x.rss);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const q = Math.max(1, Math.floor(vals.length / 4));
    const first = vals.slice(0, q).reduce((a, b) => a + b, 0) / q;
    const last = vals.slice(-q).reduce((a, b) => a + b, 0) / q;
    say(`(d) soak ${+SOAK_MIN.toFixed(2)} min at ${fmt(r.records / r.seconds)} records/s: RSS after the first tenth ${mib(lo)}–${mib(hi)} MiB (spread ${(((hi - lo) / lo) * 100).toFixed(1)} %; first-quarter mean ${mib(first)} → last-quarter mean ${mib(last)} MiB, ${(((last - first) / first) * 100).toFixed(1)} %; target flat within 10 %); alerts ${r.latencies.length}, p50 ${pct(r.latencies, 50).toFixed(1)} ms, p99 ${pct(r.latencies, 99).toFixed(1)} ms, not arrived ${r.lost}; the service used ${r.cpuPerSecond.toFixed(2)} CPU-s per second; ${loopDelay(await svc.metrics())}; load at start ${l0}, at end ${load()}`);
    say(`    RSS samples (s: MiB): ${r.rss.map((x) => `${x.t.toFixed(0)}:${mib(x.rss)}`).join(" ")}`);
  }
  const m = await svc.metrics();
  say(`service: records in ${fmt(metricSum(m, "longwatch_records_in_total"))}, rejected ${fmt(metricSum(m, "longwatch_records_rejected_total"))}, alerts opened ${fmt(metricSum(m, "longwatch_alerts_total", 'change="open"'))}, checkpoint ${(metricSum(m, "longwatch_checkpoint_bytes") / 2 ** 20).toFixed(1)} MiB (the last: ${(metricSum(m, "longwatch_checkpoint_snapshot_seconds") * 1000).toFixed(0)} ms holding the event loop, ${(metricSum(m, "longwatch_checkpoint_duration_seconds") * 1000).toFixed(0)} ms of store writes between journal commits), webhook sent ${fmt(metricSum(m, "longwatch_sink_sent_total"))} (${rx.bodies} requests), dropped ${fmt(metricSum(m, "longwatch_sink_dropped_total"))}, failures ${fmt(metricSum(m, "longwatch_sink_failures_total"))}; load at end ${load()}`);
} finally {
  const code = await svc.stop();
  if (code !== 0) console.error(`serve exited ${code}:\n${svc.out().slice(-4000)}`);
  rx.server.close();
  rx.server.closeAllConnections();
  rmSync(svc.dir, { recursive: true, force: true });
}
