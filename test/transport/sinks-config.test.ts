import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { isLongwatchError } from "../../src/core/errors.ts";
import { createSinks, fanOut, SinksConfigSchema } from "../../src/transport/sinks/config.ts";
import { MemoryDeadLetters } from "../../src/transport/sinks/dead-letter.ts";
import { verifySignature } from "../../src/formats/signature.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { httpPeer } from "../helpers/http-peer.ts";

const yaml = (url: string) => `
- type: webhook
  name: soc
  url: ${url}
  secret_env: LW_TEST_HOOK_SECRET
  filter: { min_severity: high, groups: [berlin] }
  retry: { max_attempts: 2 }
- type: syslog
  name: siem
  host: 127.0.0.1
  port: 5514
  protocol: tcp
  format: cef
- type: smtp
  name: oncall
  host: smtp.example.test
  username: longwatch
  password_env: LW_TEST_SMTP_PW
  from: "Longwatch <lw@example.test>"
  to: [oncall@example.test]
  filter: { min_severity: critical }
- type: mqtt
  name: bus
  url: mqtt://127.0.0.1:1883
`;

describe("sink configuration", () => {
  it("parses every sink type with defaults, and the factory wires secrets from the environment and filters", async () => {
    const peer = await httpPeer();
    after(() => peer.close());
    const list = SinksConfigSchema.parse(parse(yaml(peer.url)));
    assert.deepEqual(list.map((s) => s.type), ["webhook", "syslog", "smtp", "mqtt"]);
    assert.equal(list[1]!.type === "syslog" && list[1]!.facility, "local0");
    assert.equal(list[0]!.queue_size, 10_000);
    assert.deepEqual(list[0]!.filter.changes, ["open"]);
    const env = { LW_TEST_HOOK_SECRET: "0123456789abcdef-secret", LW_TEST_SMTP_PW: "pw" };
    const sinks = fanOut(createSinks([list[0]!], { deadLetters: new MemoryDeadLetters(), env, groupsOf: (d) => (d === "meter-42" ? ["berlin"] : []) }));
    sinks.offer({ alert: sampleAlert(), change: "open" });
    sinks.offer({ alert: sampleAlert({ id: "other", device_id: "elsewhere" }), change: "open" });
    await sinks.shutdown(5000);
    assert.equal(peer.received.length, 1);
    assert.ok(verifySignature(peer.received[0]!.body, env.LW_TEST_HOOK_SECRET, peer.received[0]!.headers["x-longwatch-signature"] as string));
    assert.deepEqual(sinks.stats().map((s) => [s.name, s.sent, s.filtered]), [["soc", 1, 1]]);
  });

  it("a secret variable that is not set is an invalid_config error naming the key", () => {
    const list = SinksConfigSchema.parse(parse(yaml("http://127.0.0.1:9/x")));
    assert.throws(
      () => createSinks(list, { deadLetters: new MemoryDeadLetters(), env: {} }),
      (e) => isLongwatchError(e, "invalid_config") && e.detail?.key === "sinks[0].secret_env" && !e.message.includes("secret-"),
    );
  });

  it("names the key of a bad setting", () => {
    const bad = [
      [{ type: "webhook", name: "a", url: "ftp://x" }, "url"],
      [{ type: "webhook", name: "a", url: "http://x", retries: 3 }, ""],
      [{ type: "syslog", name: "a", host: "h", protocol: "sctp" }, "protocol"],
      [{ type: "syslog", name: "a", host: "h", filter: { min_severity: "urgent" } }, "filter.min_severity"],
      [{ type: "pager", name: "a" }, "type"],
    ] as const;
    for (const [cfg, key] of bad) {
      const r = SinksConfigSchema.safeParse([cfg]);
      assert.equal(r.success, false, JSON.stringify(cfg));
      const paths = r.error!.issues.map((i) => i.path.slice(1).join("."));
      assert.ok(paths.includes(key), `${JSON.stringify(cfg)} → ${JSON.stringify(r.error!.issues)}`);
    }
    const dup = SinksConfigSchema.safeParse([{ type: "syslog", name: "a", host: "h" }, { type: "syslog", name: "a", host: "h" }]);
    assert.match(dup.error!.issues[0]!.message, /used twice/);
  });
});
