import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { AddressInfo } from "node:net";
import mqtt from "mqtt";
import { SMTPServer } from "smtp-server";
import { MemoryDeadLetters } from "../../src/transport/sinks/dead-letter.ts";
import { alertTopic, mqttPublishDeliverer, MqttPublishTargetSchema } from "../../src/transport/sinks/mqtt-publish.ts";
import { createQueuedSink } from "../../src/transport/sinks/queued-sink.ts";
import { RetrySchema } from "../../src/transport/sinks/retry.ts";
import { smtpDeliverer, SmtpTargetSchema } from "../../src/transport/sinks/smtp.ts";
import type { WebhookBody } from "../../src/transport/sinks/webhook.ts";
import { verifySignature } from "../../src/formats/signature.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { tmpDir } from "../helpers/tmp.ts";

const BROKER = process.env.LONGWATCH_TEST_MQTT ?? "mqtt://127.0.0.1:1883";
const retry = RetrySchema.parse({ max_attempts: 3, backoff: { initial_ms: 20, max_ms: 100 } });

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function selfSigned() {
  const tmp = tmpDir();
  const key = join(tmp.dir, "key.pem");
  const cert = join(tmp.dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
  return { key: readFileSync(key), cert: readFileSync(cert), certPath: cert };
}

/** Quoted-printable soft line breaks and escapes undone, so the test reads the text that was written. */
function unQp(s: string) {
  const bytes = s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

describe("smtp sink", () => {
  it("upgrades with STARTTLS when offered, logs in, and sends the alert as the CLI renders it", async () => {
    const tls = selfSigned();
    const mails: { secure: boolean; user: string | undefined; from: string; to: string[]; raw: string }[] = [];
    let rejectNext = 0;
    const server = new SMTPServer({
      key: tls.key,
      cert: tls.cert,
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.username === "lw" && auth.password === "pw-from-env") cb(null, { user: auth.username });
        else cb(new Error("Invalid username or password"));
      },
      onData(stream, session, cb) {
        const parts: Buffer[] = [];
        stream.on("data", (c: Buffer) => parts.push(c));
        stream.on("end", () => {
          if (rejectNext > 0) {
            rejectNext--;
            const err = new Error("try later") as Error & { responseCode: number };
            err.responseCode = 451;
            return cb(err);
          }
          mails.push({ secure: session.secure, user: session.user as string | undefined, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(parts).toString("utf8") });
          cb();
        });
      },
    });
    server.on("error", () => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.server.address() as AddressInfo).port;
    const target = SmtpTargetSchema.parse({ host: "localhost", port, tls: "require-starttls", ca_file: tls.certPath, username: "lw", password_env: "LW_SMTP_PW", from: "Longwatch <lw@example.test>", to: ["soc@example.test", "oncall@example.test"] });
    const s = createQueuedSink({ name: "mail", deliverer: smtpDeliverer(target, "pw-from-env"), deadLetters: new MemoryDeadLetters(), retry, queueSize: 10, timeoutMs: 10_000 });
    rejectNext = 1;
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => mails.length === 1);
    const m = mails[0]!;
    assert.equal(m.secure, true, "the session was upgraded with STARTTLS");
    assert.equal(m.user, "lw");
    assert.equal(m.from, "lw@example.test");
    assert.deepEqual(m.to, ["soc@example.test", "oncall@example.test"]);
    assert.match(m.raw, /^Subject: \[Longwatch\] HIGH volume-anomaly on meter-42\r?$/m);
    const body = unQp(m.raw);
    assert.ok(body.includes(sampleAlert().summary), "the summary as the CLI prints it");
    assert.ok(body.includes(`What to do: ${sampleAlert().action}`));
    assert.equal(s.stats().retried, 1, "a 451 is retried");
    await s.shutdown();

    // A wrong password is a 535: a failure, not retried.
    const dl = new MemoryDeadLetters();
    const bad = createQueuedSink({ name: "mail2", deliverer: smtpDeliverer(target, "wrong"), deadLetters: dl, retry, queueSize: 10, timeoutMs: 10_000 });
    bad.offer({ alert: sampleAlert(), change: "open" });
    await until(() => dl.letters.length === 1);
    assert.equal(dl.letters[0]!.reason, "failed");
    assert.equal(dl.letters[0]!.attempts, 1);
    await bad.shutdown();
  });
});

describe("mqtt publish sink", () => {
  it("publishes signed alert JSON to a topic built from the alert, with wildcards in device ids neutralised", async () => {
    const prefix = `lwtest/${process.pid}/${Date.now()}`;
    const sub = await mqtt.connectAsync(BROKER, { protocolVersion: 5 });
    after(() => sub.endAsync());
    const got: { topic: string; payload: string; sig: unknown }[] = [];
    sub.on("message", (topic, payload, packet) => got.push({ topic, payload: payload.toString(), sig: packet.properties?.userProperties?.["X-Longwatch-Signature"] }));
    await sub.subscribeAsync(`${prefix}/#`, { qos: 1 });
    const target = MqttPublishTargetSchema.parse({ url: BROKER, topic: `${prefix}/{severity}/{detector}/{device_id}` });
    const s = createQueuedSink({ name: "bus", deliverer: mqttPublishDeliverer(target, undefined, "k3y"), deadLetters: new MemoryDeadLetters(), retry, queueSize: 10, timeoutMs: 5000 });
    s.offer({ alert: sampleAlert({ device_id: "a/b+#" }), change: "open" });
    await until(() => got.length === 1);
    assert.equal(got[0]!.topic, `${prefix}/high/volume-anomaly/a_b__`);
    assert.ok(verifySignature(got[0]!.payload, "k3y", got[0]!.sig as string));
    assert.equal((JSON.parse(got[0]!.payload) as WebhookBody).alert.device_id, "a/b+#");
    assert.equal(s.stats().sent, 1);
    await s.shutdown();
  });

  it("an unreachable broker gives retryable attempts and a dead letter, never a pile-up in the client", async () => {
    const dl = new MemoryDeadLetters();
    const target = MqttPublishTargetSchema.parse({ url: "mqtt://127.0.0.1:1" });
    const s = createQueuedSink({ name: "bus", deliverer: mqttPublishDeliverer(target, undefined, undefined), deadLetters: dl, retry: RetrySchema.parse({ max_attempts: 2, backoff: { initial_ms: 10, max_ms: 10 } }), queueSize: 10, timeoutMs: 5000 });
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => dl.letters.length === 1);
    assert.match(dl.letters[0]!.error!, /not connected/);
    await s.shutdown();
  });

  it("topic templates refuse wildcards and unknown placeholders", () => {
    assert.throws(() => MqttPublishTargetSchema.parse({ url: BROKER, topic: "a/+/b" }));
    assert.throws(() => MqttPublishTargetSchema.parse({ url: BROKER, topic: "a/{nope}" }));
    assert.equal(alertTopic("x/{change}/{model_id}", { alert: sampleAlert({ model_id: undefined }), change: "resolve" }), "x/resolve/-");
  });
});
