/**
 * Every alert sink of a real `longwatch serve` child, configured in its config file, against real receivers started
 * here (an HTTP webhook receiver, syslog over UDP and over TCP with octet counting, an SMTP server) and the shared
 * Mosquitto: each receiver gets each alert the service raised, in the documented shape (a webhook body signed with
 * HMAC-SHA256 of its exact bytes, RFC 5424 with CEF, a mail per alert, signed JSON on a topic built from the alert);
 * a webhook that fails is retried with backoff and then dead-lettered where the API shows it; a hung webhook fills its
 * bounded queue, its drops are counted in /metrics, and ingest goes on; filters by severity, detector and group pass
 * exactly the alerts they name. Killed with kill -9 while a sink still holds alerts, the service delivers them after
 * the restart (the checkpoint that committed them keeps them), and after a clean stop sends nothing again.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import mqtt from "mqtt";
import { SMTPServer } from "smtp-server";
import type { Alert } from "../../src/core/record.ts";
import { verifySignature } from "../../src/formats/signature.ts";
import { openStore } from "../../src/store/open.ts";
import { parseCef } from "../../src/transport/sinks/cef.ts";
import type { WebhookBody } from "../../src/transport/sinks/webhook.ts";
import { hang, httpPeer, type Received } from "../helpers/http-peer.ts";
import { SHARED_BROKER } from "../helpers/mosquitto.ts";
import { parse5424, streamReceiver, udpReceiver } from "../helpers/syslog-receiver.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { startServe, until } from "./support/serve-child.ts";
import { simulatedStore } from "./support/sim-store.ts";

const SECRET = "sinks-live-test-secret-0123456789";
const NORTH = new Set(["dev-0000003", "dev-0000007", "dev-0000011"]);

/** A sample of a labelled Prometheus family for one sink. */
function sinkMetric(text: string, name: string, sink: string): number | undefined {
  const m = new RegExp(`^${name}\\{[^}]*sink="${sink}"[^}]*\\} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

const bodyOf = (r: Received) => JSON.parse(r.body) as WebhookBody;
const sorted = (xs: Iterable<string>) => [...xs].sort();

describe("longwatch serve: alert sinks against real receivers", () => {
  it("webhook, syslog UDP/TCP with CEF, SMTP and MQTT each get every alert; retries, dead letters, a hung sink and filters as documented", async (t) => {
    const tmp = tmpDir();
    const { lines, dataDir, url } = await simulatedStore(tmp.dir, (d) => (NORTH.has(d.device_id) ? { ...d, groups: ["north"] } : d));

    // The receivers. `hook` answers 503 to its first two requests, then 200: the first alert is retried twice.
    let refusals = 2;
    const hook = await httpPeer((_r, res) => {
      res.writeHead(refusals-- > 0 ? 503 : 200);
      res.end();
    });
    const dead = await httpPeer((_r, res) => {
      res.writeHead(500);
      res.end();
    });
    const hung = await httpPeer(hang);
    const crit = await httpPeer();
    const det = await httpPeer();
    const grp = await httpPeer();
    const udp = await udpReceiver();
    const tcp = await streamReceiver();
    const mails: { alert: string; subject: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, _session, cb) {
        const parts: Buffer[] = [];
        stream.on("data", (c: Buffer) => parts.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(parts).toString("utf8");
          mails.push({ alert: /^X-Longwatch-Alert: (\S+)\r?$/m.exec(raw)?.[1] ?? "", subject: /^Subject: (.*?)\r?$/m.exec(raw)?.[1] ?? "" });
          cb();
        });
      },
    });
    smtp.on("error", () => {});
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", r));
    const run = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const sub = await mqtt.connectAsync(SHARED_BROKER, { protocolVersion: 5, clientId: `lw-sinks-sub-${run}` });
    const published: { topic: string; payload: string; signature: unknown }[] = [];
    sub.on("message", (topic, payload, packet) => published.push({ topic, payload: payload.toString("utf8"), signature: packet.properties?.userProperties?.["X-Longwatch-Signature"] }));
    await sub.subscribeAsync(`lwtest/sinks/${run}/#`, { qos: 1 });
    after(async () => {
      await sub.endAsync();
      await Promise.all([hook, dead, hung, crit, det, grp].map((p) => p.close()));
      await udp.close();
      await tcp.close();
      await new Promise<void>((r) => smtp.close(() => r()));
    });

    const fast = { max_attempts: 3, backoff: { initial_ms: 100, max_ms: 1000, multiplier: 2, jitter: 0 } };
    const sinks = [
      { type: "webhook", name: "hook", url: hook.url, secret: SECRET, retry: fast },
      { type: "webhook", name: "dead", url: dead.url, retry: { ...fast, backoff: { ...fast.backoff, initial_ms: 10 } } },
      { type: "webhook", name: "hung", url: hung.url, queue_size: 2, timeout_ms: 600_000, retry: { max_attempts: 1 } },
      { type: "webhook", name: "crit", url: crit.url, filter: { min_severity: "critical" } },
      { type: "webhook", name: "det", url: det.url, filter: { detectors: ["beaconing", "sim-swap"] } },
      { type: "webhook", name: "grp", url: grp.url, filter: { groups: ["north"] } },
      { type: "syslog", name: "siem-udp", host: "127.0.0.1", port: udp.port, protocol: "udp", format: "cef", hostname: "lw-test" },
      { type: "syslog", name: "siem-tcp", host: "127.0.0.1", port: tcp.port, protocol: "tcp", format: "cef", hostname: "lw-test" },
      { type: "smtp", name: "mail", host: "127.0.0.1", port: (smtp.server.address() as AddressInfo).port, tls: "none", from: "Longwatch <lw@example.test>", to: ["soc@example.test"] },
      { type: "mqtt", name: "bus", url: SHARED_BROKER, topic: `lwtest/sinks/${run}/{severity}/{detector}/{device_id}`, secret: SECRET },
    ];
    const config = tmp.write("longwatch.yaml", JSON.stringify({ metrics_public: true, detection: { idle_ms: 1e15 }, checkpoint: { interval_s: 1 }, audit: { every_minutes: 0, on_inventory_change: false }, sinks }));
    const svc = await startServe(dataDir, url, ["--config", config]);
    after(() => svc.kill9());
    const token = svc.adminToken!;
    const api = (path: string) => fetch(`${svc.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

    // Ingest behind a hung sink: every body is answered at once.
    let slowest = 0;
    for (let i = 0; i < lines.length; i += 500) {
      const t0 = performance.now();
      const r = await fetch(`${svc.url}/api/v1/records`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" }, body: `${lines.slice(i, i + 500).join("\n")}\n` });
      assert.equal(r.status, 200, await r.text());
      slowest = Math.max(slowest, performance.now() - t0);
    }
    t.diagnostic(`${lines.length} records; slowest body ${slowest.toFixed(0)} ms`);
    assert.ok(slowest < 5000, `a body took ${slowest} ms behind a hung sink`);

    // While it runs: the hung sink's bounded queue is full and what did not fit is counted as dropped.
    await until(async () => {
      const m = await svc.metrics();
      return (sinkMetric(m, "longwatch_sink_dropped_total", "hung") ?? 0) > 0 && sinkMetric(m, "longwatch_sink_queue_depth", "hung") === 2;
    }, 30_000, "the hung sink's queue full, drops counted");
    // The failing webhook's alerts reach the dead-letter list in the API once their three attempts are spent.
    await until(async () => {
      const m = await svc.metrics();
      const failed = sinkMetric(m, "longwatch_sink_failures_total", "dead") ?? 0;
      // No alert between attempts (the queue empty, and every attempt made belongs to a dead-lettered alert).
      return failed > 0 && failed === sinkMetric(m, "longwatch_sink_dead_lettered_total", "dead") && sinkMetric(m, "longwatch_sink_queue_depth", "dead") === 0 && dead.received.length === 3 * failed;
    }, 60_000, "the failing webhook's alerts dead-lettered");
    const listed = (await (await api("/api/v1/dead-letters?sink=dead&page_size=1000")).json()) as { items: { alert_id: string; reason: string; attempts: number; error?: string; alert: Alert }[]; total: { count: number } };
    assert.equal(listed.total.count, sinkMetric(await svc.metrics(), "longwatch_sink_failures_total", "dead"));
    for (const l of listed.items) {
      assert.equal(l.reason, "retries_exhausted");
      assert.equal(l.attempts, 3);
      assert.match(l.error ?? "", /HTTP 500/);
      assert.equal(l.alert.id, l.alert_id);
    }
    assert.equal(dead.received.length, 3 * listed.items.length, "three attempts per alert");

    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
    const store = await openStore(url);
    const alerts = await store.alerts.list({ limit: 100_000 });
    const ids = sorted(alerts.map((a) => a.id));
    assert.ok(ids.length > 10, `the simulation raised alerts (${ids.length})`);
    const byId = new Map(alerts.map((a) => [a.id, a]));

    // Webhook: JSON body, signed over its exact bytes; retries keep the delivery id and wait longer each time.
    for (const r of hook.received) assert.ok(verifySignature(r.body, SECRET, r.headers["x-longwatch-signature"] as string), "signature of the exact body");
    const first = hook.received.filter((r) => bodyOf(r).delivery === bodyOf(hook.received[0]!).delivery);
    assert.equal(first.length, 3, "the first alert was tried three times (503, 503, 200)");
    const gaps = [first[1]!.at - first[0]!.at, first[2]!.at - first[1]!.at];
    assert.ok(gaps[0]! >= 95 && gaps[1]! >= 195, `backoff between attempts: ${gaps.join(", ")} ms`);
    assert.deepEqual(sorted(new Set(hook.received.map((r) => bodyOf(r).alert.id))), ids, "the webhook got every alert");
    assert.equal(hook.received.length, ids.length + 2);
    for (const r of hook.received) assert.equal(bodyOf(r).change, "open");

    // Dead letters in the store: every alert the failing webhook could not deliver.
    const letters = await store.live.deadLetters({ sink: "dead", limit: 100_000 });
    assert.deepEqual(sorted(letters.map((l) => l.alert_id)), ids);

    // Filters.
    assert.deepEqual(sorted(crit.received.map((r) => bodyOf(r).alert.id)), sorted(alerts.filter((a) => a.severity === "critical").map((a) => a.id)));
    assert.deepEqual(sorted(det.received.map((r) => bodyOf(r).alert.id)), sorted(alerts.filter((a) => a.detector === "beaconing" || a.detector === "sim-swap").map((a) => a.id)));
    const north = sorted(alerts.filter((a) => NORTH.has(a.device_id)).map((a) => a.id));
    assert.ok(north.length > 0 && north.length < ids.length);
    assert.deepEqual(sorted(grp.received.map((r) => bodyOf(r).alert.id)), north);
    assert.ok(crit.received.length > 0 && det.received.length > 0);

    // Syslog: RFC 5424 with a CEF message, one a datagram over UDP, octet-counted over TCP.
    for (const [name, msgs] of [["udp", udp.messages], ["tcp", tcp.messages]] as const) {
      const got = msgs.map((raw) => {
        const m = parse5424(raw);
        assert.equal(m.version, 1);
        assert.equal(m.hostname, "lw-test");
        assert.equal(m.facility, 16, "local0");
        const cef = parseCef(m.msg);
        assert.ok(cef, `${name}: a CEF message: ${m.msg.slice(0, 80)}`);
        assert.equal(cef.header[0], "CEF:0");
        const a = byId.get(cef.ext.externalId!);
        assert.ok(a, `${name}: an alert the service raised`);
        assert.equal(cef.header[4], a.detector);
        assert.equal(cef.ext.cs1, a.device_id);
        return a.id;
      });
      assert.deepEqual(sorted(got), ids, `syslog over ${name}: every alert once`);
    }

    // SMTP: a mail per alert.
    assert.deepEqual(sorted(mails.map((m) => m.alert)), ids);
    for (const m of mails) assert.match(m.subject, /^\[Longwatch\] (CRITICAL|HIGH|MEDIUM|LOW|INFO) /);

    // MQTT: signed alert JSON on the alert's topic.
    await until(() => published.length >= ids.length, 10_000, "every alert published");
    assert.deepEqual(sorted(published.map((p) => (JSON.parse(p.payload) as WebhookBody).alert.id)), ids);
    for (const p of published) {
      const a = (JSON.parse(p.payload) as WebhookBody).alert;
      assert.equal(p.topic, `lwtest/sinks/${run}/${a.severity}/${a.detector}/${a.device_id}`);
      assert.ok(verifySignature(p.payload, SECRET, p.signature as string));
    }

    // The hung sink: nothing delivered; every alert dropped, timed out or abandoned at shutdown is dead-lettered.
    assert.deepEqual(sorted((await store.live.deadLetters({ sink: "hung", limit: 100_000 })).map((l) => l.alert_id)), ids);
    await store.close();
  });
});

describe("longwatch serve: alert sinks across a kill -9", () => {
  it("an alert a sink had not delivered when the service was killed is delivered after the restart", async (t) => {
    const tmp = tmpDir();
    const { lines, dataDir, url } = await simulatedStore(tmp.dir);
    // The receiver is down (503) while the alerts are raised and committed; it is up again after the restart.
    let up = false;
    const hook = await httpPeer((_r, res) => {
      res.writeHead(up ? 200 : 503);
      res.end();
    });
    after(() => hook.close());
    const sinks = [{ type: "webhook", name: "hook", url: hook.url, secret: SECRET, retry: { max_attempts: 100, backoff: { initial_ms: 200, max_ms: 1000 } } }];
    const config = tmp.write("longwatch.yaml", JSON.stringify({ metrics_public: true, detection: { idle_ms: 1e15 }, checkpoint: { interval_s: 0.5 }, audit: { every_minutes: 0, on_inventory_change: false }, sinks }));
    let svc = await startServe(dataDir, url, ["--config", config]);
    after(() => svc.kill9());
    const token = svc.adminToken!;
    for (let i = 0; i < lines.length; i += 500) {
      const r = await fetch(`${svc.url}/api/v1/records`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" }, body: `${lines.slice(i, i + 500).join("\n")}\n` });
      assert.equal(r.status, 200, await r.text());
    }
    const opened = async () => {
      const m = await svc.metrics();
      return Number(/^longwatch_alerts_total\{[^}]*change="open"[^}]*\} (\S+)$/m.exec(m)?.[1] ?? 0);
    };
    // Every alert raised is committed with a checkpoint (the store has it) while the sink still holds it.
    const raised = await opened();
    assert.ok(raised > 10);
    await until(async () => {
      const store = await openStore(url);
      try {
        return (await store.alerts.list({ limit: 100_000 })).length === raised;
      } finally {
        await store.close();
      }
    }, 30_000, "the alerts committed");
    assert.ok((sinkMetric(await svc.metrics(), "longwatch_sink_queue_depth", "hook") ?? 0) > 0, "the sink still holds alerts");
    await svc.kill9();
    up = true;
    t.diagnostic(`${raised} alerts raised and committed; ${hook.received.length} attempts refused before the kill`);

    svc = await startServe(dataDir, url, ["--config", config]);
    const store = await openStore(url);
    const ids = sorted((await store.alerts.list({ limit: 100_000 })).map((a) => a.id));
    await store.close();
    const got = () => new Set(hook.received.filter((r) => verifySignature(r.body, SECRET, r.headers["x-longwatch-signature"] as string)).map((r) => bodyOf(r).alert.id));
    await until(() => ids.every((id) => got().has(id)), 60_000, `every alert delivered after the restart (${got().size} of ${ids.length})`);
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
    // After a clean stop nothing is owed: a start sends nothing again.
    const sent = hook.received.length;
    svc = await startServe(dataDir, url, ["--config", config]);
    await sleep(1500);
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
    assert.equal(hook.received.length, sent, "a start after a clean stop sent alerts again");
  });
});
