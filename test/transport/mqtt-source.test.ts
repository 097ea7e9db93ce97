import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import mqtt from "mqtt";
import { isLongwatchError } from "../../src/core/errors.ts";
import { configWarnings, versionWarnings } from "../../src/transport/sources/broker-check.ts";
import { startMqttSource, type MqttMessage } from "../../src/transport/sources/mqtt-source.ts";
import { filtersOverlap, matchTopic, parseTopicTemplate } from "../../src/transport/sources/mqtt-topics.ts";
import { mosquittoMissing, ownMosquitto, SHARED_BROKER } from "../helpers/mosquitto.ts";
import { tmpDir } from "../helpers/tmp.ts";

const uniq = () => `lwtest/${process.pid}/${Math.random().toString(36).slice(2, 10)}`;

async function until(cond: () => boolean, ms = 20_000, what = "condition") {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not reached in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function publisher(url = SHARED_BROKER) {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5 });
  after(() => c.endAsync());
  return c;
}

describe("MQTT topic templates", () => {
  it("turn a named level into + and give its value per message", () => {
    const t = parseTopicTemplate("fleet/{device_id}/records");
    assert.equal(t.subscription, "fleet/+/records");
    assert.equal(matchTopic(t, "fleet/meter-1/records"), "meter-1");
    assert.equal(matchTopic(t, "fleet/meter-1/other"), undefined);
    assert.equal(matchTopic(t, "fleet/meter-1/records/x"), undefined);
    const s = parseTopicTemplate("sims/{iccid}/#", "ingest");
    assert.equal(s.subscription, "$share/ingest/sims/+/#");
    assert.equal(s.idField, "iccid");
    assert.equal(matchTopic(s, "sims/8944/cdr/2026"), "8944");
    assert.equal(matchTopic(s, "sims/8944"), "8944");
    const own = parseTopicTemplate("$share/g1/a/+/b");
    assert.equal(own.shareGroup, "g1");
    assert.equal(own.subscription, "$share/g1/a/+/b");
    assert.equal(matchTopic(own, "a/x/b"), null);
    assert.equal(matchTopic(parseTopicTemplate("#"), "$SYS/broker/version"), undefined);
  });

  it("match every topic as splitting it into levels matched them (the matcher walks the levels in place)", () => {
    const bySplit = (t: ReturnType<typeof parseTopicTemplate>, topic: string) => {
      const parts = topic.split("/");
      if (topic.startsWith("$") && (t.levels[0] === "+" || t.levels[0] === "#")) return undefined;
      for (let i = 0; i < t.levels.length; i++) {
        const l = t.levels[i]!;
        if (l === "#") return t.idLevel !== undefined && t.idLevel < i ? parts[t.idLevel]! : null;
        if (i >= parts.length) return undefined;
        if (l !== "+" && l !== parts[i]) return undefined;
      }
      if (parts.length !== t.levels.length) return undefined;
      return t.idLevel !== undefined ? parts[t.idLevel]! : null;
    };
    const templates = ["fleet/{device_id}/records", "sims/{iccid}/#", "#", "+", "+/+", "a/+/b", "{device_id}", "{device_id}/#", "a//b", "a/{imei}", "$SYS/+", "a/#", "+/{device_id}/x/#"].map((t) => parseTopicTemplate(t));
    const words = ["fleet", "records", "sims", "a", "b", "x", "", "$SYS", "meter-1", "fleetx", "recordsx", "#", "+", "é"];
    let s = 3;
    const rnd = (n: number) => ((s = (Math.imul(s ^ (s >>> 16), 0x45d9f3b) + 0x3c6ef372) >>> 0), s % n);
    let matched = 0;
    for (let k = 0; k < 20_000; k++) {
      const n = 1 + rnd(5);
      const topic = Array.from({ length: n }, () => words[rnd(words.length)]).join("/");
      for (const t of templates) {
        const want = bySplit(t, topic);
        assert.equal(matchTopic(t, topic), want, `${t.template} ~ ${JSON.stringify(topic)}`);
        if (want !== undefined) matched++;
      }
    }
    assert.ok(matched > 10_000, `only ${matched} matches tried`);
  });

  it("reject bad templates with a usage error that says why", () => {
    for (const [t, why] of [
      ["fleet/{serial}/x", /not an identifier field/],
      ["fleet/dev-{device_id}", /whole level/],
      ["a/{device_id}/{iccid}", /only one level/],
      ["a/#/b", /last level/],
      ["a/b+/c", /whole levels/],
      ["$share/x", /\$share\/<group>/],
    ] as const) {
      assert.throws(() => parseTopicTemplate(t), (e) => isLongwatchError(e, "usage") && why.test(e.message), t);
    }
  });

  it("overlap", () => {
    const lv = (s: string) => s.split("/");
    assert.equal(filtersOverlap(lv("a/+/c"), lv("a/b/#")), true);
    assert.equal(filtersOverlap(lv("a/+/c"), lv("a/b/d")), false);
    assert.equal(filtersOverlap(lv("a/b"), lv("a/b/c")), false);
  });
});

describe("broker checks", () => {
  it("warn about Mosquitto before 2.0.12 / 2.0.13 and about settings that lose records", () => {
    assert.equal(versionWarnings("mosquitto version 2.0.11", true).length, 2);
    assert.equal(versionWarnings("mosquitto version 2.0.12", true).length, 1);
    assert.equal(versionWarnings("mosquitto version 2.0.18", true).length, 0);
    assert.equal(versionWarnings("mosquitto version 1.6.9", false).length, 1);
    assert.equal(versionWarnings(undefined, true).length, 0);
    assert.deepEqual(configWarnings("persistence true\nautosave_interval 30\nmax_queued_messages 100000\n"), []);
    const w = configWarnings("listener 1883\npersistence true\n");
    assert.equal(w.length, 2);
    assert.match(w[0]!, /1800 s/);
    assert.match(configWarnings("")[0]!, /without persistence/);
  });
});

describe("MQTT source", () => {
  it("hands batches with the template's identifier, acknowledges after the handler, and counts", async () => {
    const base = uniq();
    const got: MqttMessage[] = [];
    const src = startMqttSource({
      url: SHARED_BROKER,
      topics: [`${base}/fleet/{device_id}/records`],
      clientId: `lw-${base.replace(/\//g, "-")}`,
      sessionExpirySec: 60,
      async handler(batch) {
        got.push(...batch);
        return { accepted: batch.length, rejected: 0 };
      },
    });
    after(() => src.stop());
    await src.ready;
    const pub = await publisher();
    for (let i = 0; i < 100; i++) await pub.publishAsync(`${base}/fleet/dev-${i % 7}/records`, JSON.stringify({ ts: i, kind: "metric", metric: "x", value: i }), { qos: i % 2 ? 1 : 0 });
    await until(() => src.stats().acked === 50 && got.length === 100);
    const m = got.find((g) => g.topic === `${base}/fleet/dev-3/records`)!;
    assert.deepEqual(m.identifier, { field: "device_id", value: "dev-3" });
    assert.equal(m.origin, `mqtt://127.0.0.1:1883/${m.topic}`);
    assert.equal(m.template, `${base}/fleet/{device_id}/records`);
    const st = src.stats();
    assert.equal(st.messages, 100);
    assert.equal(st.records_accepted, 100);
    assert.equal(st.in_flight, 0);
    assert.ok(st.bytes > 100 * 30);
    assert.ok(src.warnings.some((w) => /2\.0\.1[23]/.test(w)) || !/2\.0\.11/.test(src.warnings.join()), "version warnings when the broker is 2.0.11");
  });

  it("does not acknowledge before the handler resolves: a message taken by a handler that never finished comes back to the next instance", async () => {
    const base = uniq();
    const clientId = `lw-${base.replace(/\//g, "-")}`;
    const first: MqttMessage[] = [];
    const a = startMqttSource({ url: SHARED_BROKER, topics: [`${base}/+`], clientId, checkBroker: false, handler: (b) => (first.push(...b), new Promise(() => {})) });
    await a.ready;
    const pub = await publisher();
    for (let i = 0; i < 5; i++) await pub.publishAsync(`${base}/x`, `m${i}`, { qos: 1 });
    await until(() => first.length === 5);
    await a.stop(0);
    assert.equal(a.stats().acked, 0);
    const second: MqttMessage[] = [];
    const b = startMqttSource({ url: SHARED_BROKER, topics: [`${base}/+`], clientId, checkBroker: false, handler: async (batch) => void second.push(...batch) });
    after(() => b.stop());
    await until(() => second.length === 5);
    assert.deepEqual(second.map((m) => m.payload.toString()).sort(), ["m0", "m1", "m2", "m3", "m4"]);
    assert.ok(second.every((m) => m.redelivered));
    await until(() => b.stats().acked === 5);
  });

  it("acknowledges a batch once the handler says it is taken, before its promise settles, and does not retry it after that", async () => {
    const base = uniq();
    const clientId = `lw-${base.replace(/\//g, "-")}`;
    const calls: string[][] = [];
    let finish!: (e?: Error) => void;
    const errors: string[] = [];
    const a = startMqttSource({
      url: SHARED_BROKER,
      topics: [`${base}/+`],
      clientId,
      checkBroker: false,
      onError: (m) => errors.push(m),
      // Durable at once, the rest of its work (detection, in the service) still running: PUBACKs must not wait for it.
      handler: (b, taken) => {
        calls.push(b.map((m) => m.payload.toString()));
        taken!();
        return new Promise((ok, fail) => (finish = (e) => (e ? fail(e) : ok())));
      },
    });
    await a.ready;
    const pub = await publisher();
    for (let i = 0; i < 5; i++) await pub.publishAsync(`${base}/x`, `m${i}`, { qos: 1 });
    await until(() => a.stats().acked === 5, 20_000, "5 PUBACKs while the handlers still run");
    assert.equal(a.stats().in_flight, 0);
    // A failure after `taken` is the handler's own (the batch was taken): retrying would take the messages twice.
    finish(new Error("detection failed"));
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(calls.flat().sort(), ["m0", "m1", "m2", "m3", "m4"]);
    assert.ok(errors.some((m) => /after it was durably taken/.test(m)), errors.join("; "));
    await a.stop(0);
    // Acknowledged, so the broker keeps nothing for the session: the next instance gets none of them.
    const second: MqttMessage[] = [];
    const b = startMqttSource({ url: SHARED_BROKER, topics: [`${base}/+`], clientId, checkBroker: false, handler: async (batch) => void second.push(...batch) });
    after(() => b.stop());
    await b.ready;
    await pub.publishAsync(`${base}/x`, "after", { qos: 1 });
    await until(() => second.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(second.map((m) => m.payload.toString()), ["after"]);
  });

  it("bounds what is in flight when the handler is slow, and retries a failing batch without losing it", async () => {
    const base = uniq();
    let calls = 0;
    let maxSeen = 0;
    const got = new Set<string>();
    const src = startMqttSource({
      url: SHARED_BROKER,
      topics: [`${base}/+`],
      clientId: `lw-${base.replace(/\//g, "-")}`,
      checkBroker: false,
      maxInFlight: 10,
      maxBatch: 4,
      maxConcurrentBatches: 2,
      backoff: { initial_ms: 10, max_ms: 50, multiplier: 2, jitter: 0.5 },
      async handler(batch) {
        maxSeen = Math.max(maxSeen, src.stats().in_flight);
        if (++calls <= 2) throw new Error("store busy");
        await new Promise((r) => setTimeout(r, 5));
        for (const m of batch) got.add(m.payload.toString());
      },
    });
    after(() => src.stop());
    await src.ready;
    const pub = await publisher();
    await Promise.all(Array.from({ length: 200 }, (_, i) => pub.publishAsync(`${base}/x`, `m${i}`, { qos: 1 })));
    await until(() => got.size === 200);
    assert.ok(maxSeen <= 10, `in flight stayed within 10 (max ${maxSeen})`);
    const st = src.stats();
    assert.equal(st.errors, 2);
    await until(() => src.stats().acked === 200);
  });

  it("skips retained messages by default", async () => {
    const base = uniq();
    const pub = await publisher();
    await pub.publishAsync(`${base}/old`, "retained", { qos: 1, retain: true });
    const got: string[] = [];
    const src = startMqttSource({ url: SHARED_BROKER, topics: [`${base}/+`], clientId: `lw-${base.replace(/\//g, "-")}`, checkBroker: false, handler: async (b) => void got.push(...b.map((m) => m.payload.toString())) });
    after(() => src.stop());
    await src.ready;
    await pub.publishAsync(`${base}/new`, "live", { qos: 1 });
    await until(() => got.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(got, ["live"]);
    await pub.publishAsync(`${base}/old`, "", { qos: 1, retain: true });
  });

  it("$share groups split a topic between instances", async () => {
    const base = uniq();
    const a: string[] = [];
    const b: string[] = [];
    const mk = (name: string, into: string[]) => startMqttSource({ url: SHARED_BROKER, topics: [`${base}/{device_id}`], shareGroup: "lw", clientId: `lw-${name}-${base.replace(/\//g, "-")}`, checkBroker: false, handler: async (batch) => void into.push(...batch.map((m) => m.payload.toString())) });
    const sa = mk("a", a);
    const sb = mk("b", b);
    after(() => Promise.all([sa.stop(), sb.stop()]));
    await Promise.all([sa.ready, sb.ready]);
    const pub = await publisher();
    for (let i = 0; i < 100; i++) await pub.publishAsync(`${base}/d${i}`, `m${i}`, { qos: 1 });
    await until(() => a.length + b.length === 100);
    assert.ok(a.length > 0 && b.length > 0, `both members got messages (${a.length}/${b.length})`);
    assert.equal(new Set([...a, ...b]).size, 100);
  });
});

describe("MQTT source against its own broker", { skip: mosquittoMissing }, () => {
  it("re-subscribes on every connect: a shared subscription keeps delivering after the broker restarts (Mosquitto 2.0.11 bug)", async () => {
    const broker = await ownMosquitto();
    after(() => broker.stop());
    const got: string[] = [];
    const src = startMqttSource({ url: broker.url, topics: ["t/{device_id}"], shareGroup: "g", clientId: "lw-resub", checkBroker: false, backoff: { initial_ms: 50, max_ms: 200, multiplier: 2, jitter: 0.2 }, handler: async (b) => void got.push(...b.map((m) => m.payload.toString())) });
    after(() => src.stop(1000));
    await src.ready;
    const pub1 = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    for (let i = 0; i < 10; i++) await pub1.publishAsync(`t/d${i}`, `before${i}`, { qos: 1 });
    await until(() => got.length === 10);
    await pub1.endAsync();
    await broker.restart();
    await until(() => src.stats().connects >= 2 && src.stats().connected, 20_000, "reconnect");
    await new Promise((r) => setTimeout(r, 200));
    const pub2 = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    after(() => pub2.endAsync());
    for (let i = 0; i < 10; i++) await pub2.publishAsync(`t/d${i}`, `after${i}`, { qos: 1 });
    await until(() => got.filter((g) => g.startsWith("after")).length === 10, 10_000, "messages after the restart");
  });

  it("kill -9 of a consuming process, then a restart: every message the broker took reaches the handler's durable log", async () => {
    const broker = await ownMosquitto();
    after(() => broker.stop());
    const tmp = tmpDir();
    const out = join(tmp.dir, "taken.log");
    writeFileSync(out, "");
    const script = join(import.meta.dirname, "support", "mqtt-consumer.ts");
    const startConsumer = async () => {
      const p = spawn(process.execPath, ["--import", "tsx", script, broker.url, "k/{device_id}", "lw-kill9", out], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve, reject) => {
        p.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        p.once("exit", (c) => reject(new Error(`consumer exited ${c}`)));
      });
      return p;
    };
    const kill9 = (p: ReturnType<typeof spawn>) => new Promise<void>((r) => (p.once("exit", () => r()), p.kill("SIGKILL")));
    let consumer = await startConsumer();
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    after(() => pub.endAsync());
    const N = 600;
    for (let i = 0; i < N; i++) {
      await pub.publishAsync(`k/d${i % 13}`, `m${i}`, { qos: 1 });
      if (i === 200 || i === 400) {
        await kill9(consumer);
        consumer = await startConsumer();
      }
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const taken = () => new Set(readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t")[0]));
    await until(() => taken().size === N, 60_000, "all messages taken");
    await kill9(consumer);
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean);
    const missing = Array.from({ length: N }, (_, i) => `m${i}`).filter((m) => !taken().has(m));
    assert.deepEqual(missing, []);
    // Messages taken twice were handed over again after a kill, and were marked as redeliveries.
    const seen = new Set<string>();
    for (const l of lines) {
      const [m, dup] = l.split("\t");
      if (seen.has(m!)) assert.equal(dup, "1", `${m} taken twice but not marked redelivered`);
      seen.add(m!);
    }
  });
});
