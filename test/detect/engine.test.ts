import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readInventoryFiles } from "../../src/detect/inventory.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { tmpDir } from "../helpers/tmp.ts";

const reference = loadReference();

describe("determinism and state", () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 70, hours: 28, scenarios: SCENARIO_NAMES, seed: 21 });
  const noReject = () => assert.fail("unexpected reject");

  it("gives byte-identical alerts for the same input", async () => {
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, noReject);
    const a = runDetection({ files: sim.files, inventory, reference, onReject: noReject });
    const b = runDetection({ files: sim.files, inventory, reference, onReject: noReject });
    assert.ok(a.alerts.length > 10);
    assert.equal(JSON.stringify(a.alerts), JSON.stringify(b.alerts));
  });

  it("merges several files by event time: nothing is processed out of order", () => {
    const r = runDetection({ files: sim.files, reference, onReject: noReject });
    assert.deepEqual(r.engine.stats.late, [0, 0, 0, 0]);
    assert.equal(r.replay.sorted, undefined, "the simulator writes each file in time order: no sort needed");
    assert.equal(r.engine.stats.records.reduce((a, b) => a + b, 0), Object.values(sim.records).reduce((a, b) => a + b, 0));
  });

  it("a snapshot/restore round trip gives the same alerts as an uninterrupted run", async () => {
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, noReject);
    const whole = runDetection({ files: sim.files, inventory, reference, onReject: noReject });
    const cut = Date.parse(sim.truth[0]!.start) + 15 * 60_000; // in the middle of the scenarios
    const state = `${tmp.dir}/state`;
    const first = runDetection({ files: sim.files, inventory, reference, until: cut, stateDir: state, onReject: noReject });
    const second = runDetection({ files: sim.files, inventory, reference, since: cut, stateDir: state, onReject: noReject });
    assert.ok(second.restored);
    const merged = new Map(first.alerts.map((a) => [a.id, a]));
    for (const a of second.alerts) merged.set(a.id, a);
    const sorted = [...merged.values()].sort((x, y) => x.first_seen.localeCompare(y.first_seen) || x.id.localeCompare(y.id));
    assert.equal(JSON.stringify(sorted), JSON.stringify(whole.alerts));
    assert.equal(first.engine.devices(), second.engine.devices());
  });
});

describe("engine behaviour", () => {
  it("takes the local end of a flow as the device, never an outside scanner, and sorts a file whose lines are out of order", () => {
    const tmp = tmpDir();
    const f = tmp.write(
      "flows.csv",
      [
        "ts,src_ip,src_port,dst_ip,dst_port,proto,conn_state",
        "2026-11-25T10:00:00Z,45.1.2.3,5555,10.0.0.7,23,tcp,S0",
        "2026-11-25T10:10:00Z,10.0.0.7,40000,52.1.1.1,443,tcp,SF",
        "2026-11-25T09:00:00Z,10.0.0.7,40000,52.1.1.1,443,tcp,SF",
        "2026-11-25T10:08:00Z,10.0.0.7,40000,52.1.1.1,443,tcp,SF",
        "2026-11-25T10:11:00Z,8.8.8.8,53,1.1.1.1,53,udp,SF",
      ].join("\n"),
    );
    const rejects: string[] = [];
    const r = runDetection({ files: [f], reference, onReject: (_f, line, why) => rejects.push(`${line} ${why}`) });
    assert.equal(r.engine.devices(), 1);
    assert.equal(r.engine.index.name(0), "10.0.0.7");
    assert.deepEqual(r.engine.stats.late, [0, 0, 0, 0], "sorted first, so nothing arrives late");
    assert.equal(r.engine.stats.records[1], 4);
    assert.match(r.replay.sorted!.reason, /flows\.csv:4 is older than an earlier line/);
    assert.deepEqual(rejects.map((x) => x.replace(/ \(.*/, "")), ["6 flow: neither end is inside the local networks"], "each reject once, though the file was read twice");
  });

  it("resolves flows to the SIM that holds the address (session binding) and every identifier through the inventory", async () => {
    const tmp = tmpDir();
    const conn = tmp.write("c.csv", "ts,iccid,event,ip\n2026-11-25T10:00:00Z,8949100000000000077,session_start,10.9.9.9\n");
    const flows = tmp.write("f.csv", "ts,src_ip,dst_ip,dst_port\n2026-11-25T10:01:00Z,10.9.9.9,52.1.1.1,443\n");
    const broker = tmp.write("b.csv", "ts,mqtt_client_id,event\n2026-11-25T10:02:00Z,client-77,connect\n");
    const devices = tmp.write("devices.csv", "device_id,iccid,mqtt_client_id\nmeter-77,8949100000000000077,client-77\n");
    const inventory = await readInventoryFiles(devices, undefined, () => assert.fail());
    const r = runDetection({ files: [conn, flows, broker], inventory, reference, onReject: () => assert.fail() });
    assert.equal(r.engine.devices(), 1);
    assert.equal(r.engine.index.name(0), "meter-77");
    const bare = runDetection({ files: [conn, flows], reference, onReject: () => assert.fail() });
    assert.equal(bare.engine.devices(), 1, "without an inventory the flow still joins the SIM through its session address");
    assert.equal(bare.engine.index.name(0), "8949100000000000077");
  });

  it("learns from a benign verdict: the same behaviour stops alerting", () => {
    const tmp = tmpDir();
    const sim = simulate({ dir: tmp.dir, devices: 40, hours: 36, scenarios: ["roaming"], seed: 8 });
    const state = `${tmp.dir}/state`;
    const cut = Date.parse(sim.truth[0]!.start) + 60_000;
    const first = runDetection({ files: sim.files, reference, until: cut, stateDir: state, detectors: ["unexpected-network"], onReject: () => assert.fail() });
    const alert = first.alerts.find((a) => a.detector === "unexpected-network");
    assert.ok(alert, "roaming raised unexpected-network");
    // The same device roams again later: with the verdict learned, no new alert.
    const again = tmp.write("again.csv", `ts,iccid,event,mcc,mnc\n${new Date(cut + 3 * 3_600_000).toISOString()},${alert.device_id},location_update,310,260\n`);
    const withVerdict = runDetection({ files: [again], reference, stateDir: state, detectors: ["unexpected-network"], feedback: [{ ...alert, verification: "benign_positive" }], onReject: () => assert.fail() });
    assert.deepEqual(withVerdict.learned, [alert.id]);
    assert.deepEqual(withVerdict.alerts, []);
  });

  it("suppresses matching alerts until the suppression expires, and counts them", () => {
    const tmp = tmpDir();
    const sim = simulate({ dir: tmp.dir, devices: 40, hours: 28, scenarios: ["brute-force"], seed: 9 });
    const victim = sim.truth[0]!.devices[0]!;
    const inventory = { devices: [{ device_id: victim, mqtt_client_id: victim.replace("dev-", "mqtt-") }], models: [] };
    const plain = runDetection({ files: sim.files, inventory, reference, detectors: ["auth-failure-burst"], onReject: () => assert.fail() });
    assert.equal(plain.alerts.length, 1);
    const active = runDetection({ files: sim.files, inventory, reference, detectors: ["auth-failure-burst"], suppressions: [{ detector: "auth-failure-burst", device_id: victim, expires: "2027-01-01" }], onReject: () => assert.fail() });
    assert.equal(active.alerts.length, 0);
    assert.equal(active.engine.book.counts.suppressed, plain.alerts[0]!.count);
    const expired = runDetection({ files: sim.files, inventory, reference, detectors: ["auth-failure-burst"], suppressions: [{ detector: "auth-failure-burst", expires: "2026-11-01" }], onReject: () => assert.fail() });
    assert.equal(expired.alerts.length, 1);
  });

  it("keeps detection state within its budget per device", () => {
    const tmp = tmpDir();
    const sim = simulate({ dir: tmp.dir, devices: 10, hours: 2, scenarios: [], seed: 1 });
    const r = runDetection({ files: sim.files, reference, onReject: () => assert.fail() });
    assert.ok(r.engine.memory().columnsPerDevice <= 300, `${r.engine.memory().columnsPerDevice} bytes of columns per device`);
  });
});

describe("push API", () => {
  it("takes records one at a time (ingest) and notices absence as time advances (advance)", async () => {
    const { Engine } = await import("../../src/detect/engine.ts");
    const { Rec } = await import("../../src/detect/read/rec.ts");
    const { allDetectors } = await import("../../src/detect/detectors/index.ts");
    const raised: string[] = [];
    const engine = new Engine({ detectors: allDetectors, sink: (a, change) => raised.push(`${change} ${a.detector} ${a.device_id}`) });
    const rec = new Rec();
    const t0 = Date.parse("2026-11-25T00:00:00Z");
    for (let i = 0; i < 8; i++) {
      assert.equal(rec.fromObject({ kind: "broker", ts: (t0 + i * 600_000) / 1000, mqtt_client_id: "pump-3", event: "publish" }), null);
      assert.equal(engine.ingest(rec), null);
    }
    assert.match(rec.fromObject({ kind: "broker", ts: "yesterday", mqtt_client_id: "pump-3", event: "publish" }) ?? "", /^ts: "yesterday" is not/);
    engine.advance(t0 + 7 * 600_000 + 3 * 3_600_000);
    assert.deepEqual(raised, ["open device-silent pump-3"]);
  });
});

describe("resuming", () => {
  it("skips records an earlier run already saw when the same files are replayed with the same state", () => {
    const tmp = tmpDir();
    const sim = simulate({ dir: tmp.dir, devices: 20, hours: 14, scenarios: ["brute-force"], seed: 2 });
    const state = `${tmp.dir}/state`;
    const first = runDetection({ files: sim.files, reference, stateDir: state, onReject: () => assert.fail() });
    const again = runDetection({ files: sim.files, reference, stateDir: state, onReject: () => assert.fail("nothing is rejected as late") });
    assert.equal(again.replay.used + again.replay.outsideRange, first.replay.used);
    assert.ok(again.replay.used < 10, `${again.replay.used} records at the last timestamp are seen again at most`);
    assert.deepEqual(again.alerts.filter((a) => a.count === 1 && a.state === "open").map((a) => a.detector), []);
  });
});
