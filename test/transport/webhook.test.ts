import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { MemoryDeadLetters } from "../../src/transport/sinks/dead-letter.ts";
import { compileFilter, SinkFilterSchema } from "../../src/transport/sinks/filter.ts";
import { createQueuedSink } from "../../src/transport/sinks/queued-sink.ts";
import { RetrySchema } from "../../src/transport/sinks/retry.ts";
import { webhookDeliverer, type WebhookBody } from "../../src/transport/sinks/webhook.ts";
import { signBody, verifySignature } from "../../src/formats/signature.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { hang, httpPeer, status } from "../helpers/http-peer.ts";

const SECRET = "s3cret-for-tests";
const fast = RetrySchema.parse({ max_attempts: 3, backoff: { initial_ms: 20, max_ms: 100 } });

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function sink(url: string, dl = new MemoryDeadLetters(), over: Partial<Parameters<typeof createQueuedSink>[0]> = {}) {
  return createQueuedSink({ name: "ops", deliverer: webhookDeliverer({ url }, SECRET), deadLetters: dl, retry: fast, queueSize: 100, timeoutMs: 2000, ...over });
}

describe("webhook sink", () => {
  it("POSTs the alert as JSON signed with HMAC-SHA256 of the exact body", async () => {
    const peer = await httpPeer();
    after(() => peer.close());
    const s = sink(peer.url);
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => s.stats().sent === 1);
    const [r] = peer.received;
    assert.ok(r);
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.headers["x-longwatch-event"], "alert.open");
    assert.ok(verifySignature(r.body, SECRET, r.headers["x-longwatch-signature"] as string));
    assert.equal(r.headers["x-longwatch-signature"], signBody(r.body, SECRET));
    assert.ok(!verifySignature(r.body, "other-secret", r.headers["x-longwatch-signature"] as string));
    assert.ok(!verifySignature(`${r.body} `, SECRET, r.headers["x-longwatch-signature"] as string));
    const body = JSON.parse(r.body) as WebhookBody;
    assert.equal(body.alert.id, "al-0001");
    assert.equal(body.change, "open");
    assert.equal(body.delivery, r.headers["x-longwatch-delivery"]);
    await s.shutdown();
  });

  it("retries 5xx with backoff, keeping the delivery id, then succeeds", async () => {
    let n = 0;
    const peer = await httpPeer((_r, res) => {
      res.writeHead(++n <= 2 ? 503 : 204);
      res.end();
    });
    after(() => peer.close());
    const s = sink(peer.url);
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => s.stats().sent === 1);
    assert.equal(peer.received.length, 3);
    assert.equal(new Set(peer.received.map((r) => r.headers["x-longwatch-delivery"])).size, 1);
    const st = s.stats();
    assert.equal(st.retried, 2);
    assert.equal(st.failed, 0);
    await s.shutdown();
  });

  it("honours Retry-After on 429", async () => {
    let n = 0;
    const peer = await httpPeer((r, res) => (++n === 1 ? status(429, { "retry-after": "1" })(r, res) : status(200)(r, res)));
    after(() => peer.close());
    const s = sink(peer.url, new MemoryDeadLetters(), { retry: RetrySchema.parse({ max_attempts: 3, backoff: { initial_ms: 10, max_ms: 5000 } }) });
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => s.stats().sent === 1);
    assert.ok(peer.received[1]!.at - peer.received[0]!.at >= 900, "waited for Retry-After");
    await s.shutdown();
  });

  it("does not retry a 4xx: the alert is dead-lettered as failed after one attempt", async () => {
    const peer = await httpPeer(status(401));
    after(() => peer.close());
    const dl = new MemoryDeadLetters();
    const s = sink(peer.url, dl);
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => dl.letters.length === 1);
    assert.equal(peer.received.length, 1);
    assert.equal(dl.letters[0]!.reason, "failed");
    assert.equal(dl.letters[0]!.attempts, 1);
    assert.match(dl.letters[0]!.error!, /HTTP 401/);
    assert.equal(s.stats().failed, 1);
    assert.equal(s.stats().dead_lettered, 1);
    await s.shutdown();
  });

  it("a hanging receiver: attempts time out, retries run out, the alert is dead-lettered; offer never waits and the queue is bounded", async () => {
    const peer = await httpPeer(hang);
    after(() => peer.close());
    const dl = new MemoryDeadLetters();
    const s = sink(peer.url, dl, { timeoutMs: 150, queueSize: 10, retry: RetrySchema.parse({ max_attempts: 2, backoff: { initial_ms: 10, max_ms: 20 } }) });
    const t0 = performance.now();
    let queued = 0;
    for (let i = 0; i < 1000; i++) if (s.offer({ alert: sampleAlert({ id: `al-${i}` }), change: "open" })) queued++;
    assert.ok(performance.now() - t0 < 1000, "1000 offers took under a second against a hanging peer");
    // One is taken by the worker at once, ten wait in the queue; the rest are dropped and dead-lettered.
    assert.equal(queued, 11);
    assert.equal(s.stats().dropped, 989);
    assert.ok(s.stats().queue_depth <= 10);
    await until(() => s.stats().failed >= 1);
    const first = dl.letters.find((l) => l.reason === "retries_exhausted");
    assert.ok(first, "a timed-out alert is dead-lettered");
    assert.equal(first.attempts, 2);
    assert.match(first.error!, /no answer within 150 ms/);
    const t1 = performance.now();
    const report = await s.shutdown(300);
    assert.ok(performance.now() - t1 < 5000, "shutdown keeps to its deadline");
    assert.ok(report.abandoned > 0);
    const st = s.stats();
    assert.equal(st.sent, 0);
    // Every alert offered is accounted for: delivered, or in the dead-letter list.
    assert.equal(dl.letters.length, 1000);
    assert.equal(st.dead_lettered, 1000);
    assert.deepEqual(new Set(dl.letters.map((l) => l.reason)), new Set(["queue_full", "retries_exhausted", "shutdown"]));
  });

  it("shutdown is idempotent, drains what is queued, and later offers are dead-lettered", async () => {
    const peer = await httpPeer();
    after(() => peer.close());
    const dl = new MemoryDeadLetters();
    const s = sink(peer.url, dl);
    for (let i = 0; i < 20; i++) s.offer({ alert: sampleAlert({ id: `al-${i}` }), change: "open" });
    const a = s.shutdown(5000);
    const b = s.shutdown(5000);
    assert.equal(a, b);
    const r = await a;
    assert.equal(r.delivered, 20);
    assert.equal(r.abandoned, 0);
    assert.equal(peer.received.length, 20);
    assert.equal(s.offer({ alert: sampleAlert({ id: "late" }), change: "open" }), false);
    await until(() => dl.letters.length === 1);
    assert.equal(dl.letters[0]!.reason, "shutdown");
  });

  it("a refused connection is retryable and ends in the dead-letter list", async () => {
    const peer = await httpPeer();
    const url = peer.url;
    await peer.close();
    const dl = new MemoryDeadLetters();
    const s = sink(url, dl);
    s.offer({ alert: sampleAlert(), change: "open" });
    await until(() => dl.letters.length === 1);
    assert.equal(dl.letters[0]!.reason, "retries_exhausted");
    assert.equal(dl.letters[0]!.attempts, 3);
    assert.match(dl.letters[0]!.error!, /ECONNREFUSED/);
    await s.shutdown();
  });
});

describe("sink filters", () => {
  const groups = (d: string) => (d === "meter-42" ? ["berlin", "meters"] : []);
  it("severity at least, detector, device group and change", () => {
    const f = compileFilter(SinkFilterSchema.parse({ min_severity: "high", detectors: ["volume-anomaly", "sim-swap"], groups: ["berlin"] }), groups);
    assert.equal(f({ alert: sampleAlert(), change: "open" }), true);
    assert.equal(f({ alert: sampleAlert({ severity: "critical" }), change: "open" }), true);
    assert.equal(f({ alert: sampleAlert({ severity: "medium" }), change: "open" }), false);
    assert.equal(f({ alert: sampleAlert({ detector: "beaconing" }), change: "open" }), false);
    assert.equal(f({ alert: sampleAlert({ device_id: "other" }), change: "open" }), false);
    assert.equal(f({ alert: sampleAlert(), change: "update" }), false, "only new alerts by default");
    const all = compileFilter(SinkFilterSchema.parse({ changes: ["open", "update", "resolve"] }));
    assert.equal(all({ alert: sampleAlert({ severity: "info" }), change: "resolve" }), true);
  });

  it("filtered alerts are counted, not queued", async () => {
    const peer = await httpPeer();
    after(() => peer.close());
    const s = sink(peer.url, new MemoryDeadLetters(), { filter: compileFilter(SinkFilterSchema.parse({ min_severity: "critical" })) });
    assert.equal(s.offer({ alert: sampleAlert(), change: "open" }), false);
    assert.equal(s.stats().filtered, 1);
    await s.shutdown();
    assert.equal(peer.received.length, 0);
  });
});
