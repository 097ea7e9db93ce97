/**
 * The SIM actions against local servers that implement the 1NCE, emnify and KORE Super SIM endpoints, their
 * authentication and their asynchronous changes: verify polls until the state lands, and fails when it never does;
 * a revoked token is refreshed once; 429 is waited out when Retry-After allows, refused when it does not.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Action, ActionCall } from "../../src/respond/action.ts";
import { simDataLimit } from "../../src/respond/actions/sim-data-limit.ts";
import { simImeiLock } from "../../src/respond/actions/sim-imei-lock.ts";
import { simSuspend } from "../../src/respond/actions/sim-suspend.ts";
import { emnifyServer } from "../helpers/providers/emnify.ts";
import { koreServer } from "../helpers/providers/kore.ts";
import { onenceServer } from "../helpers/providers/onence.ts";
import { actionContext } from "../helpers/respond-context.ts";
import { tmpDir } from "../helpers/tmp.ts";

const ICCID_1NCE = "8988228066600000001";
const ICCID_EMNIFY = "8988303000000000002";
const ICCID_KORE = "8988307000000000003";
const QUARANTINE_FLEET = `HF${"a".repeat(32)}`;
const HOME_FLEET = `HF${"b".repeat(32)}`;
const SECRETS = { LW_1NCE_ID: "1nce-client", LW_1NCE_SECRET: "1nce-secret-xyz", LW_EMNIFY_TOKEN: "emnify-app-token-xyz", LW_KORE_ID: "kore-client", LW_KORE_SECRET: "kore-secret-xyz" };

const onence = onenceServer({ clientId: SECRETS.LW_1NCE_ID, clientSecret: SECRETS.LW_1NCE_SECRET });
const emnify = emnifyServer({ applicationToken: SECRETS.LW_EMNIFY_TOKEN });
const kore = koreServer({ clientId: SECRETS.LW_KORE_ID, clientSecret: SECRETS.LW_KORE_SECRET });

function settings() {
  return {
    connectors: {
      sim: [
        { provider: "1nce", base_url: onence.server.url, client_id: { env: "LW_1NCE_ID" }, client_secret: { env: "LW_1NCE_SECRET" }, iccid_prefixes: ["8988228"] },
        { provider: "emnify", base_url: emnify.server.url, application_token: { env: "LW_EMNIFY_TOKEN" }, iccid_prefixes: ["89883030"] },
        { provider: "kore", base_url: kore.server.url, auth_url: `${kore.server.url}/api-services/v1/auth/token`, client_id: { env: "LW_KORE_ID" }, client_secret: { env: "LW_KORE_SECRET" }, quarantine_fleet: QUARANTINE_FLEET, iccid_prefixes: ["89883070"] },
      ],
    },
  };
}

const devices = [
  { device_id: "m-1nce", iccid: ICCID_1NCE },
  { device_id: "m-emnify", iccid: ICCID_EMNIFY },
  { device_id: "m-kore", iccid: ICCID_KORE },
];

function call(action: Action, device: string, params: unknown = {}, o: { env?: Record<string, string>; verifyDeadlineMs?: number } = {}): ActionCall<unknown> {
  return { ctx: actionContext({ settings: settings(), devices, env: o.env ?? SECRETS, verifyDeadlineMs: o.verifyDeadlineMs ?? 5000 }), target: { kind: "device", id: device }, params: action.params.parse(params) };
}

async function roundTrip(action: Action, device: string, params: unknown = {}) {
  const c = call(action, device, params);
  const plan = await action.plan(c);
  assert.equal(plan.noop, false);
  const applied = await action.apply(c, `key-${action.id}-${device}`);
  const v = await action.verify(c, applied);
  assert.equal(v.ok, true, v.reason);
  assert.ok((v.observed.polls as number) >= 2, "the change landed only after a delay, so verify had to poll");
  assert.equal((await action.plan(c)).noop, true, "after verify, planning again sees nothing left to do");
  await action.reverse!(c, applied);
  assert.equal((await action.plan(c)).noop, false, "after the reversal the SIM is as it was");
  return { plan, applied, v };
}

before(async () => {
  await Promise.all([onence.server.start(), emnify.server.start(), kore.server.start()]);
  onence.addSim(ICCID_1NCE);
  emnify.addSim(7, ICCID_EMNIFY);
  kore.addSim(`HS${"c".repeat(32)}`, ICCID_KORE, HOME_FLEET);
});
after(() => Promise.all([onence.server.close(), emnify.server.close(), kore.server.close()]));

describe("sim-suspend", () => {
  it("suspends and reactivates at 1NCE", async () => {
    const { plan } = await roundTrip(simSuspend, "m-1nce");
    assert.deepEqual(plan.before, { provider: "1nce", iccid: ICCID_1NCE, status: "active", provider_status: "Enabled" });
    const puts = onence.server.requests.filter((r) => r.method === "PUT");
    assert.deepEqual(puts.map((r) => (r.body as { status: string }).status), ["Disabled", "Enabled"]);
    assert.ok(puts[0]!.headers["idempotency-key"], "the idempotency key travels with the change");
  });
  it("suspends and reactivates at emnify (the SIM, not the endpoint: a disabled endpoint is still billed)", async () => {
    await roundTrip(simSuspend, "m-emnify");
    assert.deepEqual(emnify.server.requests.filter((r) => r.method === "PATCH" && r.path === "/api/v1/sim/7").map((r) => r.body), [{ status: { id: 2 } }, { status: { id: 1 } }]);
  });
  it("suspends and reactivates at KORE, through `scheduled`", async () => {
    const { applied } = await roundTrip(simSuspend, "m-kore");
    assert.equal(applied.receipt.was, "active");
    assert.deepEqual(kore.server.requests.filter((r) => r.method === "POST" && r.path.startsWith("/v1/Sims/")).map((r) => r.body), [{ Status: "inactive" }, { Status: "active" }]);
  });
  it("fails verify when the state never arrives, after polling to the deadline", async () => {
    onence.server.neverArrive = true;
    try {
      const c = call(simSuspend, "m-1nce", {}, { verifyDeadlineMs: 400 });
      const applied = await simSuspend.apply(c, "key-never");
      const v = await simSuspend.verify(c, applied);
      assert.equal(v.ok, false);
      assert.match(v.reason ?? "", /still reads Enabled/);
      assert.ok((v.observed.polls as number) >= 3);
    } finally {
      onence.server.neverArrive = false;
      onence.sims.get(ICCID_1NCE)!.pending = [];
    }
  });
});

describe("sim-imei-lock", () => {
  it("locks and unlocks at 1NCE and at emnify", async () => {
    await roundTrip(simImeiLock, "m-1nce");
    await roundTrip(simImeiLock, "m-emnify");
    assert.deepEqual(emnify.server.requests.filter((r) => r.method === "PATCH" && r.path === "/api/v1/endpoint/1007").map((r) => r.body), [{ imei_lock: true }, { imei_lock: false }]);
  });
  it("is refused for KORE Super SIM, which has no IMEI lock", async () => {
    await assert.rejects(simImeiLock.plan(call(simImeiLock, "m-kore")), (e: { code?: string; message: string }) => e.code === "invalid_input" && /no IMEI lock/.test(e.message));
  });
});

describe("sim-data-limit", () => {
  it("sets an emnify endpoint quota and removes it again", async () => {
    const { applied } = await roundTrip(simDataLimit, "m-emnify", { volume_mb: 2 });
    assert.equal(applied.receipt.previous, null);
    assert.equal(emnify.sims.get(7)!.endpoint.quota, null);
  });
  it("moves a KORE Super SIM into the quarantine fleet and back", async () => {
    await roundTrip(simDataLimit, "m-kore");
    assert.equal(kore.sims.get(`HS${"c".repeat(32)}`)!.fleet_sid, HOME_FLEET);
  });
  it("is refused for 1NCE, which offers no per-SIM limit", async () => {
    await assert.rejects(simDataLimit.plan(call(simDataLimit, "m-1nce")), (e: { code?: string }) => e.code === "invalid_input");
  });
});

describe("provider failures", () => {
  it("fetches a new token once when the provider revokes the old one", async () => {
    const c = call(simSuspend, "m-emnify");
    const auths = () => emnify.server.requests.filter((r) => r.path === "/api/v1/authenticate").length;
    await simSuspend.plan(c);
    const before = auths();
    await simSuspend.plan(c);
    assert.equal(auths(), before, "the token is kept between calls");
    emnify.server.revokeTokens();
    await simSuspend.plan(c);
    assert.equal(auths(), before + 1, "a refused token is replaced once");
  });
  it("waits out 429 when Retry-After allows, and says rate limited when it does not", async () => {
    const c = call(simSuspend, "m-kore");
    await simSuspend.plan(c);
    kore.server.failNext({ status: 429, headers: { "retry-after": "1" } });
    const t0 = Date.now();
    await simSuspend.plan(c);
    assert.ok(Date.now() - t0 >= 900, "it waited as Retry-After said");
    kore.server.failNext({ status: 429, headers: { "retry-after": "3600" } });
    await assert.rejects(simSuspend.plan(c), (e: { code?: string }) => e.code === "rate_limited");
  });
  it("says unauthenticated for wrong credentials, without ever showing a secret", async () => {
    const env = { ...SECRETS, LW_1NCE_SECRET: "wrong-secret-123" };
    await assert.rejects(simSuspend.plan(call(simSuspend, "m-1nce", {}, { env })), (e: { code?: string; message: string }) => e.code === "unauthenticated" && !e.message.includes("wrong-secret-123"));
    for (const s of [onence, emnify, kore]) for (const r of s.server.requests) for (const v of Object.values(SECRETS)) assert.ok(!r.path.includes(v), `a secret appeared in a URL: ${r.path}`);
  });
  it("refuses a missing secret, a device without an ICCID and a secrets file others can read", async () => {
    await assert.rejects(simSuspend.plan(call(simSuspend, "m-1nce", {}, { env: {} })), (e: { code?: string; message: string }) => e.code === "invalid_config" && /LW_1NCE_ID/.test(e.message));
    const ctx = actionContext({ settings: settings(), devices: [{ device_id: "no-sim" }], env: SECRETS });
    await assert.rejects(simSuspend.plan({ ctx, target: { kind: "device", id: "no-sim" }, params: {} }), (e: { code?: string }) => e.code === "invalid_input");
    const t = tmpDir();
    const file = t.write("secrets.yaml", "emnify: emnify-app-token-xyz\n");
    const loose = actionContext({ settings: { secrets_file: file, connectors: { sim: [{ provider: "emnify", base_url: emnify.server.url, application_token: { secret: "emnify" } }] } }, devices });
    const { chmodSync } = await import("node:fs");
    chmodSync(file, 0o644);
    await assert.rejects(simSuspend.plan({ ctx: loose, target: { kind: "device", id: "m-emnify" }, params: {} }), (e: { code?: string; message: string }) => e.code === "invalid_config" && /chmod 600/.test(e.message));
    chmodSync(file, 0o600);
    const ok = actionContext({ settings: { secrets_file: file, connectors: { sim: [{ provider: "emnify", base_url: emnify.server.url, application_token: { secret: "emnify" } }] } }, devices });
    assert.equal((await simSuspend.plan({ ctx: ok, target: { kind: "device", id: "m-emnify" }, params: {} })).noop, false);
  });
});
