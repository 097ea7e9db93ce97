/** The webhook and command actions: signed bodies a receiver can check, and programs run without a shell. */
import assert from "node:assert/strict";
import { chmodSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { describe, it } from "node:test";
import { verifySignature } from "../../src/formats/signature.ts";
import type { ActionCall } from "../../src/respond/action.ts";
import { command } from "../../src/respond/actions/command.ts";
import { commandReversible } from "../../src/respond/actions/command-reversible.ts";
import { webhook } from "../../src/respond/actions/webhook.ts";
import { actionContext } from "../helpers/respond-context.ts";
import { tmpDir } from "../helpers/tmp.ts";

describe("webhook", () => {
  it("POSTs a body signed with the receiver's secret, with the idempotency key, and verifies by the 2xx", async () => {
    const got: { body: string; sig?: string; key?: string }[] = [];
    let status = 204;
    const srv = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        got.push({ body, sig: req.headers["x-longwatch-signature"] as string, key: req.headers["x-longwatch-idempotency-key"] as string });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`;
      const ctx = actionContext({ settings: { connectors: { webhooks: { soc: { url, secret: { env: "HOOK_SECRET" } } } } }, env: { HOOK_SECRET: "s3cr3t" }, devices: [{ device_id: "d-1", iccid: "8988228066600000001" }] });
      const c: ActionCall<unknown> = { ctx, target: { kind: "device", id: "d-1" }, params: webhook.params.parse({ webhook: "soc" }) };
      const applied = await webhook.apply(c, "idem-1");
      assert.equal((await webhook.verify(c, applied)).ok, true);
      assert.equal(got.length, 1);
      assert.ok(verifySignature(got[0]!.body, "s3cr3t", got[0]!.sig), "the receiver can check the signature");
      assert.ok(!verifySignature(got[0]!.body, "other", got[0]!.sig));
      assert.equal(got[0]!.key, "idem-1");
      assert.equal((JSON.parse(got[0]!.body) as { device: { iccid: string } }).device.iccid, "8988228066600000001");
      assert.ok(!got[0]!.body.includes("s3cr3t"));
      status = 500;
      const failed = await webhook.apply(c, "idem-2");
      const v = await webhook.verify(c, failed);
      assert.equal(v.ok, false);
      assert.match(v.reason ?? "", /HTTP 500/);
    } finally {
      srv.close();
    }
  });
});

describe("command", () => {
  const t = tmpDir();
  const log = `${t.dir}/calls.log`;
  const script = t.write("block.sh", `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a" >> ${log}; done\necho >> ${log}\n[ "$1" = "fail" ] && exit 3\n[ "$1" = "slow" ] && sleep 5\nexit 0\n`);
  chmodSync(script, 0o755);
  const settings = (extra: Record<string, unknown> = {}) => ({ connectors: { commands: { block: { path: script, args: ["block", "{device_id}", "{iccid}", "{key}"], reverse_args: ["unblock", "{device_id}"], verify_args: ["check", "{device_id}"], ...extra } } } });
  const dev = (id: string) => [{ device_id: id, iccid: "8988228066600000001" }];

  it("runs the program with templated arguments, verifies and reverses with its own arguments", async () => {
    const ctx = actionContext({ settings: settings(), devices: dev("d-1") });
    const c: ActionCall<unknown> = { ctx, target: { kind: "device", id: "d-1" }, params: { command: "block" } };
    const applied = await commandReversible.apply(c, "k-1");
    assert.equal((await commandReversible.verify(c, applied)).ok, true);
    await commandReversible.reverse!(c, applied);
    assert.deepEqual(readFileSync(log, "utf8").trim().split("\n"), ["[block][d-1][8988228066600000001][k-1]", "[check][d-1]", "[unblock][d-1]"]);
  });

  it("refuses a value outside the allowed pattern instead of passing it to the program", async () => {
    const ctx = actionContext({ settings: settings(), devices: dev("d-1;rm -rf /") });
    await assert.rejects(command.plan({ ctx, target: { kind: "device", id: "d-1;rm -rf /" }, params: { command: "block" } }), (e: { code?: string }) => e.code === "invalid_input");
  });

  it("passes a value with spaces as one argument when the pattern allows it: no shell splits it", async () => {
    const ctx = actionContext({ settings: settings({ allowed: "^[A-Za-z0-9 $()-]+$", args: ["x", "{device_id}"] }), devices: dev("a b $(id)") });
    await command.apply({ ctx, target: { kind: "device", id: "a b $(id)" }, params: { command: "block" } }, "k");
    assert.match(readFileSync(log, "utf8"), /\[x\]\[a b \$\(id\)\]\n$/);
  });

  it("reports a failing exit, a failing verify, a timeout, an unknown placeholder and a command without reverse_args", async () => {
    const mk = (extra: Record<string, unknown>) => ({ ctx: actionContext({ settings: settings(extra), devices: dev("d-1") }), target: { kind: "device" as const, id: "d-1" }, params: { command: "block" } });
    await assert.rejects(command.apply(mk({ args: ["fail"] }), "k"), (e: { code?: string; message: string }) => e.code === "upstream_failed" && /code 3/.test(e.message));
    const c = mk({ verify_args: ["fail"] });
    assert.equal((await command.verify(c, await command.apply(c, "k"))).ok, false);
    await assert.rejects(command.apply(mk({ args: ["slow"], timeout: "1s" }), "k"), (e: { code?: string; message: string }) => e.code === "upstream_failed" && /did not finish/.test(e.message));
    await assert.rejects(command.plan(mk({ args: ["{password}"] })), (e: { code?: string }) => e.code === "invalid_config");
    await assert.rejects(commandReversible.plan(mk({ reverse_args: undefined })), (e: { code?: string }) => e.code === "invalid_config");
  });
});
