/**
 * `longwatch respond` end to end, as a user runs it: a fleet imported from CSV, a config file naming a real Mosquitto
 * (started by the test, with dynamic security) and a local emnify API, and the full path — plan, four-eyes approve,
 * dry run, apply with verify, the device's own behaviour, reverse — then the log verified, exported and tampered with.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { connectAsync } from "mqtt";
import { withDynsec } from "../../src/respond/connectors/dynsec.ts";
import { emnifyServer } from "../helpers/providers/emnify.ts";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/mosquitto-dynsec.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

const skip = mosquittoAvailable();

describe("longwatch respond", { skip }, () => {
  const t = tmpDir();
  const data = `${t.dir}/data`;
  let broker: TestBroker;
  const emnify = emnifyServer({ applicationToken: "app-token-1" });
  let env: Record<string, string>;
  const run = (args: string[], as = "alice") => cli(["--data", data, "respond", "--config", `${t.dir}/longwatch.yaml`, "--as", as, ...args], env, t.dir);

  before(async () => {
    broker = await startMosquitto(t.dir, { writable: true });
    await emnify.server.start();
    emnify.addSim(1, "8988303000000000011");
    emnify.server.delayMs = 100;
    await withDynsec({ url: broker.url, ...broker.admin, timeoutMs: 5000 }, (c) =>
      c.runOk([
        { command: "createRole", rolename: "meter", acls: [{ acltype: "publishClientSend", topic: "tele/#", allow: true }] },
        { command: "createClient", username: "meter-0001", password: "pw", roles: [{ rolename: "meter" }] },
      ]),
    );
    t.write("devices.csv", "device_id,mqtt_client_id,iccid,model_id\nmeter-1,meter-0001,8988303000000000011,m1\nmeter-2,meter-0002,8988303000000000022,m1\n");
    t.write("longwatch.yaml", [
      "serve: { listen: 127.0.0.1:8080 }   # other sections belong to other parts of Longwatch",
      "respond:",
      "  approval: { required: all, expires: 24h }",
      "  verify: { deadline: 10s, interval: 1s }",
      "  connectors:",
      `    mqtt: { url: "${broker.url}", username: ${broker.admin.username}, password: { env: LW_DYNSEC_PW }, config_file: ${broker.configFile} }`,
      `    sim: [ { provider: emnify, base_url: "${emnify.server.url}", application_token: { env: LW_EMNIFY } } ]`,
      "",
    ].join("\n"));
    env = { LW_DYNSEC_PW: broker.admin.password, LW_EMNIFY: "app-token-1" };
    const imp = await cli(["--data", data, "import", "devices", `${t.dir}/devices.csv`], env, t.dir);
    assert.equal(imp.code, 0, imp.stderr);
  });
  after(async () => {
    await broker?.stop();
    await emnify.server.close();
  });

  it("quarantines a device through plan, approve, dry run, apply and reverse", async () => {
    const plan = await run(["plan", "mqtt-quarantine", "device:meter-1", "--reason", "DDoS participation", "--format", "json"]);
    assert.equal(plan.code, 0, plan.stderr);
    const id = (JSON.parse(plan.stdout) as { id: string }).id;
    assert.deepEqual((JSON.parse(plan.stdout) as { plan: { before: { roles: string[] } } }).plan.before.roles, ["meter"]);

    const self = await run(["approve", id]);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /cannot approve it: a second person must/);
    assert.equal((await run(["apply", id, "--execute"])).code, 1, "no apply before approval");
    assert.equal((await run(["approve", id], "bob")).code, 0);

    const dry = await run(["apply", id]);
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /Dry run — nothing was changed/);
    const dev = await connectAsync(broker.url, { username: "meter-0001", password: "pw", protocolVersion: 5, reconnectPeriod: 0 });
    await dev.publishAsync("tele/x", "1", { qos: 1 });
    await dev.endAsync(true);

    const done = await run(["apply", id, "--execute"]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /verified/);
    const q = await connectAsync(broker.url, { username: "meter-0001", password: "pw", protocolVersion: 5, reconnectPeriod: 0 });
    await assert.rejects(q.publishAsync("tele/x", "1", { qos: 1 }), (e: { code?: number }) => e.code === 135);
    await q.endAsync(true);
    const saved = JSON.parse(readFileSync(broker.configFile, "utf8")) as { clients: { username: string; roles: { rolename: string }[] }[] };
    assert.deepEqual(saved.clients.find((c) => c.username === "meter-0001")!.roles.map((r) => r.rolename), ["longwatch-quarantine-meter-0001"], "the broker saved it");

    const esc = await run(["escalate", id, "--reason", "it keeps reconnecting"], "bob");
    assert.equal(esc.code, 0, esc.stderr);
    assert.match(esc.stdout, /mqtt-disable → device meter-1/);
    assert.match(esc.stdout, /before: \{"username":"meter-0001","disabled":false\}/);
    const escId = /r-\d{8}-[0-9a-f]{8}/.exec(esc.stdout)![0];
    assert.equal((await run(["reject", escId, "--reason", "quarantine is enough"])).code, 0);

    const rev = await run(["reverse", id, "--reason", "cleaned up"], "carol");
    assert.equal(rev.code, 0, rev.stderr);
    assert.match(rev.stdout, /reversed/);
    const list = await run(["list"]);
    assert.match(list.stdout, new RegExp(`${id}\\s+reversed\\s+mqtt-quarantine`));
  });

  it("suspends a SIM at emnify, polling until the change lands", async () => {
    const plan = await run(["plan", "sim-suspend", "meter-1", "--reason", "SIM in a stolen device", "--format", "json"]);
    const id = (JSON.parse(plan.stdout) as { id: string }).id;
    await run(["approve", id], "bob");
    const done = await run(["apply", id, "--execute"]);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(emnify.sims.get(1)!.status.id, 2);
    const bad = await run(["plan", "sim-suspend", "meter-2", "--reason", "x"]);
    assert.equal(bad.code, 2, "emnify does not know meter-2's SIM: the thing named does not exist");
    assert.match(bad.stderr, /no SIM with ICCID 8988303000000000022/);
  });

  it("verifies, exports and catches tampering in the log", async () => {
    const ok = await run(["log", "--verify"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /chain intact/);
    const exp = await run(["log", "--format", "jsonl", "--output", "log.jsonl"]);
    assert.equal(exp.code, 0);
    const lines = readFileSync(`${t.dir}/log.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: string; actor: string; key: string });
    assert.deepEqual(lines.slice(0, 8).map((l) => `${l.event}:${l.actor}`), ["proposed:alice", "approved:bob", "applied:alice", "verified:alice", "proposed:bob", "rejected:alice", "reversed:carol", "proposed:alice"]);
    assert.ok(lines.every((l) => l.key.startsWith("lw-r-")));
    assert.ok(!readFileSync(`${t.dir}/log.jsonl`, "utf8").includes(broker.admin.password), "no secret in the log");
    const db = new Database(`${data}/longwatch.db`);
    db.exec("DROP TRIGGER response_log_no_update");
    const row = db.prepare("SELECT doc FROM response_log WHERE seq = 2").get() as { doc: string };
    db.prepare("UPDATE response_log SET doc = ? WHERE seq = 2").run(row.doc.replace('"actor":"bob"', '"actor":"alice"'));
    db.close();
    const bad = await run(["log", "--verify"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /line 2 was altered/);
  });

  it("rejects a bad config with the file, line and key", async () => {
    t.write("bad.yaml", "respond:\n  automatic:\n    budget: { devices: -1 }\n  playbooks:\n    - { name: x, when: { detector: [ddos-participation] }, action: cert-revoke, mode: automatic }\n");
    const r = await cli(["--data", data, "respond", "--config", `${t.dir}/bad.yaml`, "status"], env, t.dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:3: respond\.automatic\.budget\.devices/);
  });
});

describe("longwatch respond without a broker", () => {
  it("lists the actions for people and machines, and refuses a malformed target", async () => {
    const t = tmpDir();
    const table = await cli(["--data", `${t.dir}/d`, "respond", "actions"], {}, t.dir);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /cert-revoke\s+certificate\s+no\s+Revoke the certificate/);
    const json = JSON.parse((await cli(["--data", `${t.dir}/d`, "respond", "actions", "--format", "json"], {}, t.dir)).stdout) as { id: string; escalation?: string }[];
    assert.equal(json.find((a) => a.id === "mqtt-quarantine")?.escalation, "mqtt-disable");
    const bad = await cli(["--data", `${t.dir}/d`, "respond", "plan", "cert-revoke", "cert:abc", "--reason", "x"], {}, t.dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SHA-256 fingerprint/);
    const none = await cli(["--data", `${t.dir}/d`, "respond", "show", "r-nope"], {}, t.dir);
    assert.equal(none.code, 2);
  });
});
