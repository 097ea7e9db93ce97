/**
 * Quarantine and disable against a real Mosquitto with the dynamic-security plugin, started by the test on its own
 * port: the client is read back, and the device's own behaviour proves it (telemetry refused, control topic open,
 * reconnect refused when disabled). The broker that cannot save its configuration is reproduced and caught.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectAsync, type MqttClient } from "mqtt";
import { mqttDisable } from "../../src/respond/actions/mqtt-disable.ts";
import { mqttQuarantine } from "../../src/respond/actions/mqtt-quarantine.ts";
import { withDynsec } from "../../src/respond/connectors/dynsec.ts";
import type { ActionCall } from "../../src/respond/action.ts";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/mosquitto-dynsec.ts";
import { actionContext } from "../helpers/respond-context.ts";
import { tmpDir } from "../helpers/tmp.ts";

const skip = mosquittoAvailable();

async function seedDevice(b: TestBroker, username: string): Promise<void> {
  await withDynsec({ url: b.url, ...b.admin, timeoutMs: 5000 }, async (c) => {
    await c.runOk([
      { command: "createRole", rolename: "device", acls: [
        { acltype: "publishClientSend", topic: "tele/#", allow: true },
        { acltype: "publishClientSend", topic: "devices/+/control/#", allow: true },
        { acltype: "subscribePattern", topic: "devices/+/control/#", allow: true },
        { acltype: "publishClientReceive", topic: "devices/+/control/#", allow: true },
      ] },
      { command: "createClient", username, password: "device-pw", roles: [{ rolename: "device", priority: 5 }] },
    ]);
  });
}

async function device(b: TestBroker, username: string): Promise<MqttClient> {
  return connectAsync(b.url, { username, password: "device-pw", protocolVersion: 5, reconnectPeriod: 0, clientId: username, connectTimeout: 5000 });
}

/** The PUBACK reason code of a QoS 1 publish (0 = accepted, 135 = not authorised). */
async function publishCode(c: MqttClient, topic: string): Promise<number> {
  try {
    await c.publishAsync(topic, "x", { qos: 1 });
    return 0;
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
}

function settings(b: TestBroker, configFile?: string) {
  return { connectors: { mqtt: { url: b.url, username: b.admin.username, password: { env: "LW_DYNSEC_PW" }, ...(configFile ? { config_file: configFile } : {}) } } };
}

describe("MQTT dynamic-security actions", { skip }, () => {
  const tmp = tmpDir();
  let broker: TestBroker;
  before(async () => {
    broker = await startMosquitto(tmp.dir, { writable: true });
    await seedDevice(broker, "meter-1");
  });
  after(async () => broker?.stop());

  it("quarantines, verifies by reading back and by the device's behaviour, escalates to disable, and reverses both", async () => {
    const ctx = actionContext({ settings: settings(broker, broker.configFile), env: { LW_DYNSEC_PW: broker.admin.password }, devices: [{ device_id: "dev-1", mqtt_client_id: "meter-1" }] });
    const q: ActionCall<unknown> = { ctx, target: { kind: "device", id: "dev-1" }, params: mqttQuarantine.params.parse({}) };

    let dev = await device(broker, "meter-1");
    assert.equal(await publishCode(dev, "tele/meter-1"), 0, "before quarantine telemetry is accepted");

    const plan = await mqttQuarantine.plan(q);
    assert.deepEqual(plan.before, { username: "meter-1", roles: ["device"], groups: [], disabled: false });
    assert.deepEqual(plan.after.roles, ["longwatch-quarantine-meter-1"]);
    assert.equal(plan.noop, false);

    const kicked = new Promise<number | undefined>((resolve) => dev.once("disconnect", (p) => resolve(p.reasonCode)));
    const applied = await mqttQuarantine.apply(q, "key-1");
    assert.deepEqual(applied.warnings, []);
    assert.equal(applied.receipt.persistence, "saved");
    assert.equal(await kicked, 152, "the broker kicks the client when its roles change");
    await dev.endAsync(true);

    dev = await device(broker, "meter-1");
    assert.equal(await publishCode(dev, "tele/meter-1"), 135, "telemetry is refused in quarantine");
    assert.equal(await publishCode(dev, "devices/meter-1/control/ack"), 0, "the control topic stays open");
    const v = await mqttQuarantine.verify(q, applied);
    assert.equal(v.ok, true, v.reason);
    assert.equal((await mqttQuarantine.plan(q)).noop, true, "planning again sees it is already done");

    // Escalate: disable the client; reconnects are refused.
    const d: ActionCall<unknown> = { ...q, params: mqttDisable.params.parse({}) };
    const dApplied = await mqttDisable.apply(d, "key-2");
    assert.equal((await mqttDisable.verify(d, dApplied)).ok, true);
    await dev.endAsync(true);
    await assert.rejects(device(broker, "meter-1"), (e: { code?: number }) => e.code === 135);

    await mqttDisable.reverse!(d, dApplied);
    await mqttQuarantine.reverse!(q, applied);
    dev = await device(broker, "meter-1");
    assert.equal(await publishCode(dev, "tele/meter-1"), 0, "after reversal telemetry is accepted again");
    await dev.endAsync(true);
    await withDynsec({ url: broker.url, ...broker.admin, timeoutMs: 5000 }, async (c) => {
      assert.deepEqual((await c.getClient("meter-1"))?.roles.map((r) => r.rolename), ["device"]);
      assert.equal(await c.getRole("longwatch-quarantine-meter-1"), undefined, "the quarantine role is deleted");
    });
  });

  it("keeps a client quarantined whose access also comes from a group", async () => {
    await withDynsec({ url: broker.url, ...broker.admin, timeoutMs: 5000 }, (c) =>
      c.runOk([
        { command: "createClient", username: "meter-3", password: "device-pw" },
        { command: "createGroup", groupname: "meters", roles: [{ rolename: "device" }] },
        { command: "addGroupClient", groupname: "meters", username: "meter-3" },
      ]),
    );
    const ctx = actionContext({ settings: settings(broker), env: { LW_DYNSEC_PW: broker.admin.password } });
    const q: ActionCall<unknown> = { ctx, target: { kind: "device", id: "x" }, params: mqttQuarantine.params.parse({ username: "meter-3" }) };
    let dev = await device(broker, "meter-3");
    assert.equal(await publishCode(dev, "tele/meter-3"), 0, "the group's role allows telemetry");
    await dev.endAsync(true);
    const applied = await mqttQuarantine.apply(q, "key-g");
    dev = await device(broker, "meter-3");
    assert.equal(await publishCode(dev, "tele/meter-3"), 135, "the quarantine role's deny-all wins over the group's role");
    assert.equal(await publishCode(dev, "devices/meter-3/control/ack"), 0);
    await dev.endAsync(true);
    await mqttQuarantine.reverse!(q, applied);
  });

  it("fails verify when someone gives the role back behind its back", async () => {
    const ctx = actionContext({ settings: settings(broker), env: { LW_DYNSEC_PW: broker.admin.password } });
    const q: ActionCall<unknown> = { ctx, target: { kind: "device", id: "x" }, params: mqttQuarantine.params.parse({ username: "meter-1" }) };
    const applied = await mqttQuarantine.apply(q, "key-3");
    await withDynsec({ url: broker.url, ...broker.admin, timeoutMs: 5000 }, (c) => c.runOk([{ command: "addClientRole", username: "meter-1", rolename: "device" }]));
    const v = await mqttQuarantine.verify(q, applied);
    assert.equal(v.ok, false);
    assert.match(v.reason ?? "", /read back as/);
    await mqttQuarantine.reverse!(q, applied);
  });

  it("refuses a device the broker does not know, and a missing connector, with clear codes", async () => {
    const ctx = actionContext({ settings: settings(broker), env: { LW_DYNSEC_PW: broker.admin.password } });
    await assert.rejects(mqttQuarantine.plan({ ctx, target: { kind: "device", id: "x" }, params: mqttQuarantine.params.parse({ username: "nobody" }) }), (e: { code?: string }) => e.code === "not_found");
    const bare = actionContext({ settings: {} });
    await assert.rejects(mqttQuarantine.plan({ ctx: bare, target: { kind: "device", id: "x" }, params: mqttQuarantine.params.parse({ username: "meter-1" }) }), (e: { code?: string }) => e.code === "invalid_config");
    const noSecret = actionContext({ settings: settings(broker) });
    await assert.rejects(mqttQuarantine.plan({ ctx: noSecret, target: { kind: "device", id: "x" }, params: mqttQuarantine.params.parse({ username: "meter-1" }) }), (e: { code?: string; message: string }) => e.code === "invalid_config" && !e.message.includes(broker.admin.password));
  });
});

describe("a broker that cannot save its dynamic-security configuration", { skip }, () => {
  const tmp = tmpDir();
  let broker: TestBroker;
  before(async () => {
    broker = await startMosquitto(tmp.dir, { writable: false });
    await seedDevice(broker, "meter-2");
  });
  after(async () => broker?.stop());

  it("is caught: apply warns, verify fails, and a restart proves the quarantine was lost", async () => {
    const ctx = actionContext({ settings: settings(broker), env: { LW_DYNSEC_PW: broker.admin.password } });
    const q: ActionCall<unknown> = { ctx, target: { kind: "device", id: "x" }, params: mqttQuarantine.params.parse({ username: "meter-2" }) };
    const applied = await mqttQuarantine.apply(q, "key-4");
    assert.equal(applied.receipt.persistence, "failed");
    assert.match(applied.warnings.join(" "), /could not save/);
    const v = await mqttQuarantine.verify(q, applied);
    assert.equal(v.ok, false);
    assert.match(v.reason ?? "", /lost at the next restart/);
    await broker.restart();
    await withDynsec({ url: broker.url, ...broker.admin, timeoutMs: 5000 }, async (c) => {
      assert.equal(await c.getClient("meter-2"), undefined, "after the restart the broker has forgotten even the seeded client: nothing it was told was saved");
    });
  });
});
