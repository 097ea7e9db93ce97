import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cefHeaderEscape, cefValueEscape, formatCef, parseCef } from "../../src/transport/sinks/cef.ts";
import { MemoryDeadLetters } from "../../src/transport/sinks/dead-letter.ts";
import { createQueuedSink } from "../../src/transport/sinks/queued-sink.ts";
import { RetrySchema } from "../../src/transport/sinks/retry.ts";
import { syslogDeliverer, SyslogTargetSchema } from "../../src/transport/sinks/syslog.ts";
import { PRODUCT } from "../../src/transport/product.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { rng } from "../helpers/random.ts";
import { parse5424, streamReceiver, udpReceiver } from "../helpers/syslog-receiver.ts";
import { tmpDir } from "../helpers/tmp.ts";

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const nasty = sampleAlert({ device_id: 'gw "7"]\\ x|y=z', summary: "line one\nline two | a=b \\ c", model_id: "m|1" });

function sinkFor(target: Record<string, unknown>, retry = RetrySchema.parse({ max_attempts: 50, backoff: { initial_ms: 20, max_ms: 100 } })) {
  return createQueuedSink({ name: "siem", deliverer: syslogDeliverer(SyslogTargetSchema.parse(target)), deadLetters: new MemoryDeadLetters(), retry, queueSize: 100, timeoutMs: 2000 });
}

describe("syslog sink", () => {
  it("UDP: one RFC 5424 message per datagram, priority from facility and severity, alert fields as escaped structured data", async () => {
    const rx = await udpReceiver();
    after(() => rx.close());
    const s = sinkFor({ host: "127.0.0.1", port: rx.port, protocol: "udp", hostname: "lw host" });
    s.offer({ alert: nasty, change: "open" });
    s.offer({ alert: sampleAlert({ id: "al-2", severity: "critical" }), change: "open" });
    await until(() => rx.messages.length === 2);
    const m = parse5424(rx.messages[0]!);
    assert.equal(m.version, 1);
    assert.equal(m.facility, 16, "local0");
    assert.equal(m.severity, 3, "high → err");
    assert.equal(parse5424(rx.messages[1]!).severity, 2, "critical → crit");
    assert.equal(m.hostname, "lw_host", "spaces are not allowed in HOSTNAME");
    assert.equal(m.appName, "longwatch");
    assert.equal(m.msgId, "alert.open");
    assert.ok(!Number.isNaN(Date.parse(m.timestamp)));
    const sd = m.sd["longwatch@32473"]!;
    assert.equal(sd.device_id, nasty.device_id, "quote, bracket and backslash survive the SD escapes");
    assert.equal(sd.id, nasty.id);
    assert.equal(sd.detector, "volume-anomaly");
    assert.ok(m.bom);
    assert.match(m.msg, /^HIGH volume-anomaly on .*: line one line two .* What to do: Check/);
    await s.shutdown();
  });

  it("TCP with octet counting and a CEF payload that a SIEM can split back into the alert's fields", async () => {
    const rx = await streamReceiver();
    after(() => rx.close());
    const s = sinkFor({ host: "127.0.0.1", port: rx.port, protocol: "tcp", format: "cef" });
    for (let i = 0; i < 50; i++) s.offer({ alert: { ...nasty, id: `al-${i}` }, change: "open" });
    await until(() => rx.messages.length === 50);
    const m = parse5424(rx.messages[7]!);
    assert.ok(!m.bom, "CEF is plain ASCII-compatible text");
    const cef = parseCef(m.msg)!;
    assert.deepEqual(cef.header.slice(0, 7), ["CEF:0", "Longwatch", "Longwatch", PRODUCT.version, "volume-anomaly", `volume-anomaly on ${nasty.device_id}`, "8"]);
    assert.equal(cef.ext.msg, nasty.summary, "line breaks, pipes, equals signs and backslashes round-trip");
    assert.equal(cef.ext.cs1, nasty.device_id);
    assert.equal(cef.ext.cs2, "m|1");
    assert.equal(cef.ext.externalId, "al-7");
    assert.equal(cef.ext.cnt, "1");
    assert.equal(cef.ext.rt, String(Date.parse(nasty.last_seen)));
    await s.shutdown();
  });

  it("TCP: a receiver that goes away and comes back gets the alerts after a reconnect", async () => {
    const rx = await streamReceiver();
    const port = rx.port;
    const s = sinkFor({ host: "127.0.0.1", port, protocol: "tcp" });
    s.offer({ alert: sampleAlert({ id: "before" }), change: "open" });
    await until(() => rx.messages.length === 1);
    await rx.close();
    await new Promise((r) => setTimeout(r, 50));
    s.offer({ alert: sampleAlert({ id: "during" }), change: "open" });
    await until(() => s.stats().retried > 0 || s.stats().sent === 2);
    const rx2 = await streamReceiver({ port });
    after(() => rx2.close());
    await until(() => rx2.messages.some((m) => m.includes('id="during"')));
    assert.equal(s.stats().failed, 0);
    await s.shutdown();
  });

  it("TLS (RFC 5425) to a receiver whose CA is configured", async () => {
    const tmp = tmpDir();
    const key = join(tmp.dir, "key.pem");
    const cert = join(tmp.dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const rx = await streamReceiver({ tls: { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") } });
    after(() => rx.close());
    const s = sinkFor({ host: "127.0.0.1", port: rx.port, protocol: "tls", ca_file: cert });
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => rx.messages.length === 1);
    assert.equal(parse5424(rx.messages[0]!).sd["longwatch@32473"]!.id, "al-0001");
    await s.shutdown();
    // Without the CA the receiver's certificate is not trusted: nothing is sent in clear instead.
    const dl = new MemoryDeadLetters();
    const untrusted = createQueuedSink({ name: "x", deliverer: syslogDeliverer(SyslogTargetSchema.parse({ host: "127.0.0.1", port: rx.port, protocol: "tls" })), deadLetters: dl, retry: RetrySchema.parse({ max_attempts: 1 }), queueSize: 10, timeoutMs: 2000 });
    untrusted.offer({ alert: sampleAlert(), change: "open" });
    await until(() => dl.letters.length === 1);
    assert.match(dl.letters[0]!.error!, /self[- ]signed|certificate/i);
    await untrusted.shutdown();
  });

  it("long messages are cut at max_message_bytes without splitting a character", async () => {
    const rx = await udpReceiver();
    after(() => rx.close());
    const s = sinkFor({ host: "127.0.0.1", port: rx.port, max_message_bytes: 600 });
    s.offer({ alert: sampleAlert({ summary: "é".repeat(2000) }), change: "open" });
    await until(() => rx.messages.length === 1);
    assert.ok(Buffer.byteLength(rx.messages[0]!) <= 600);
    assert.ok(!rx.messages[0]!.includes("\uFFFD"));
    await s.shutdown();
  });
});

describe("CEF escaping", () => {
  it("escapes per the CEF spec", () => {
    assert.equal(cefHeaderEscape("a|b\\c\nd"), "a\\|b\\\\c d");
    assert.equal(cefValueEscape("a=b\\c\nd\re|f"), "a\\=b\\\\c\\nd\\re|f");
  });

  it("fuzz: random text in every field round-trips through format and parse", () => {
    const r = rng(5424);
    const alphabet = ["a", "Z", "0", " ", "=", "|", "\\", "\n", "\r", "é", "]", '"', "n", "x="];
    const text = () => Array.from({ length: Math.floor(r() * 20) }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
    for (let i = 0; i < 500; i++) {
      const a = sampleAlert({ device_id: text() || "d", summary: text(), action: text(), key: text() || "k", model_id: text() || "m" });
      const p = parseCef(formatCef({ alert: a, change: "open" }, PRODUCT))!;
      assert.ok(p, "parses");
      assert.equal(p.ext.msg ?? "", a.summary.replace(/\r\n/g, "\n"));
      assert.equal(p.ext.cs3 ?? "", a.action.replace(/\r\n/g, "\n"));
      assert.equal(p.ext.cs1, a.device_id.replace(/\r\n/g, "\n"));
      assert.equal(p.header[5], `volume-anomaly on ${a.device_id.replace(/\r\n|[\r\n]/g, " ")}`);
    }
  });
});
