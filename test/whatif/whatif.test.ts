import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import type { RespondDeps } from "../../src/respond/context.ts";
import { openStore } from "../../src/store/open.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store } from "../../src/store/store.ts";
import { compromise, type CompromiseReport } from "../../src/whatif/compromise.ts";
import { rankAll } from "../../src/whatif/rank.ts";
import { formatWhatifTarget, parseWhatifTarget } from "../../src/whatif/target.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { CA_X, seedFleet } from "./fleet.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const deps = (store: Store, settings: unknown = {}): RespondDeps => ({ store, settings: RespondSettingsSchema.parse(settings), env: {}, now: () => NOW });
const names = (r: CompromiseReport, key: "by_model" | "by_group" | "by_country") => Object.fromEntries(r.affected[key].map((s) => [s.name, s.devices]));

describe("whatif compromise (SQLite)", () => {
  let store: Store;
  before(async () => {
    store = openSqliteStore(":memory:");
    await seedFleet(store);
  });
  after(() => store.close());

  it("a CA named by its certificate's fingerprint: its devices, their data, recovery, the plan and the time at the budget", async () => {
    const r = await compromise(deps(store), `ca:${CA_X}`);
    assert.equal(r.target, `ca:${CA_X}`);
    assert.equal(r.fleet_devices, 20);
    assert.equal(r.affected.devices, 10);
    assert.equal(r.affected.share, 0.5);
    assert.deepEqual(names(r, "by_model"), { tracker: 10 });
    assert.deepEqual(names(r, "by_group"), { berlin: 5, pilot: 5, munich: 5 });
    assert.deepEqual(names(r, "by_country"), { DE: 10 });
    assert.deepEqual(r.data, { telemetry: 10, location: 10, personal: 0, undeclared: 0 });
    assert.deepEqual([r.recovery.remote, r.recovery.not_remote, r.recovery.unknown], [10, 0, 0]);
    assert.deepEqual(r.plan.map((s) => [s.action, s.targets, s.sample.length]), [["cert-revoke", 10, 3], ["mqtt-quarantine", 10, 3]]);
    assert.match(r.plan[1]!.sample[0]!.plan.summary, /Quarantine MQTT client trk-0/);
    assert.equal(r.remediation.devices, 10);
    assert.equal(r.remediation.duration_ms, 3_600_000);
    assert.equal(r.remediation.hands_on, 0);
  });

  it("a CA known only by name; devices that cannot be updated or re-keyed are counted as not recoverable", async () => {
    const r = await compromise(deps(store, { automatic: { budget: { devices: 2, per: "1h" } } }), 'ca:CN=Legacy CA');
    assert.equal(r.affected.devices, 6);
    assert.deepEqual(r.recovery.by_model, [{ model_id: "meter", devices: 6, recoverable: "no", reasons: ["no-ota", "not-crypto-agile"] }]);
    assert.equal(r.data.undeclared, 6);
    // No MQTT client ids: revoking is the only step, so there is no device action to budget.
    assert.deepEqual(r.plan.map((s) => s.action), ["cert-revoke"]);
    assert.equal(r.remediation.devices, 0);
    assert.equal(r.remediation.hands_on, 6);
  });

  it("a shared credential: every device with the same service, username and secret, and none with another secret", async () => {
    const r = await compromise(deps(store), "credential:trk-0/ssh/admin", { devices: true });
    assert.deepEqual(r.devices!.map((d) => d.device_id), ["gw-0", "trk-0", "trk-1"]);
    assert.deepEqual(r.plan[0]!.action, "credential-rotate");
    assert.deepEqual(r.devices!.find((d) => d.device_id === "gw-0"), { device_id: "gw-0", model_id: "gateway", country: "DE", recoverable: "unknown", reasons: ["ota-unknown"] });
  });

  it("a model-wide default credential reaches every device of the model", async () => {
    const r = await compromise(deps(store), "credential:model:meter/telnet/root");
    assert.equal(r.affected.devices, 6);
    const viaDevice = await compromise(deps(store), "credential:mtr-3/telnet/root");
    assert.equal(viaDevice.affected.devices, 6);
  });

  it("firmware: the update client is in the compromised image, so the devices cannot be trusted to update themselves", async () => {
    const r = await compromise(deps(store), "firmware:tracker@2.0");
    assert.equal(r.affected.devices, 8);
    assert.deepEqual(r.recovery.by_model[0]!.reasons, ["update-client-compromised"]);
  });

  it("component by purl (qualifiers ignored), by name@version and by name; an update-client component compromises the update path", async () => {
    assert.equal((await compromise(deps(store), "component:pkg:deb/debian/openssl@3.0.11")).affected.devices, 8);
    assert.equal((await compromise(deps(store), "component:openssl@3.0.13")).affected.devices, 2);
    assert.equal((await compromise(deps(store), "component:openssl")).affected.devices, 10);
    const sw = await compromise(deps(store), "component:swupdate@2023.05");
    assert.equal(sw.affected.devices, 10);
    assert.equal(sw.recovery.not_remote, 10);
  });

  it("endpoint: devices seen talking to it; a declared update endpoint is the update path itself", async () => {
    const r = await compromise(deps(store), "endpoint:ota.acme.example");
    assert.equal(r.affected.devices, 6);
    assert.deepEqual(r.recovery.by_model[0]!.reasons, ["update-path-compromised"]);
    assert.equal((await compromise(deps(store), "endpoint:ota.acme.example:8883")).affected.devices, 0);
    const mqtt = await compromise(deps(store), "endpoint:mqtt.acme.example:8883");
    assert.deepEqual(names(mqtt, "by_model"), { gateway: 1 });
  });

  it("model, certificate and provider by APN and by MCC+MNC", async () => {
    assert.equal((await compromise(deps(store), "model:gateway")).affected.devices, 4);
    assert.equal((await compromise(deps(store), `cert:${"0".repeat(63)}1`)).affected.devices, 1);
    assert.equal((await compromise(deps(store), "provider:m2m.orange")).affected.devices, 6);
    assert.equal((await compromise(deps(store), "provider:26201")).affected.devices, 10);
    assert.equal((await compromise(deps(store), "provider:208010")).affected.devices, 6);
  });

  it("unknown targets are not_found with what to do; malformed ones invalid_input", async () => {
    await assert.rejects(compromise(deps(store), "firmware:tracker@9.9"), { code: "not_found" });
    await assert.rejects(compromise(deps(store), `ca:${"e".repeat(64)}`), { code: "not_found" });
    await assert.rejects(compromise(deps(store), "credential:trk-9/ssh/admin"), { code: "not_found" });
    await assert.rejects(compromise(deps(store), "component:nothing"), { code: "not_found" });
    for (const bad of ["nothing", "ca:xyz", "cert:12", "firmware:tracker", "credential:a/b", "endpoint:host:99999", "planet:earth"]) assert.throws(() => parseWhatifTarget(bad), { code: "invalid_input" }, bad);
  });

  it("targets print back as they parse", () => {
    for (const t of [`ca:${CA_X}`, "ca:CN=Legacy CA", "firmware:tracker@2.0", "component:pkg:deb/debian/openssl@3.0.11", "component:openssl@3.0.13", "credential:model:meter/telnet/root", "endpoint:[2001:db8::1]:443", "endpoint:ota.acme.example", "model:x", "provider:26201", "provider:iot.acme"]) {
      assert.equal(formatWhatifTarget(parseWhatifTarget(t)), t);
    }
  });

  it("--all ranks every CA, credential, firmware image, component and endpoint by devices reached", async () => {
    const r = await rankAll(store);
    assert.equal(r.fleet_devices, 20);
    const top = r.nodes.slice(0, 4).map((n) => [n.target, n.devices]);
    assert.deepEqual(top, [[`ca:${CA_X}`, 10], ["component:swupdate@2023.05", 10], ["component:pkg:deb/debian/openssl@3.0.11", 8], ["firmware:tracker@2.0", 8]]);
    const byTarget = new Map(r.nodes.map((n) => [n.target, n]));
    assert.equal(byTarget.get("credential:model:meter/telnet/root")!.devices, 6);
    assert.equal(byTarget.get("credential:trk-0/ssh/admin")!.devices, 3);
    assert.equal(byTarget.get("endpoint:ota.acme.example")!.devices, 6);
    assert.equal(byTarget.get("ca:CN=Legacy CA")!.devices, 6);
    assert.ok(!r.nodes.some((n) => n.kind === "model"), "models are ranked only when asked for");
    // Every ranked node, asked about alone, reaches the same devices.
    for (const n of r.nodes) assert.equal((await compromise(deps(store), n.target, { sample: 0 })).affected.devices, n.devices, n.target);
  });
});

describe("whatif compromise (PostgreSQL): the same answers from the other adapter", async () => {
  const skip = await postgresAvailable();
  const db = skip ? undefined : await throwawayDatabase();
  let store: Store | undefined;
  let lite: Store | undefined;
  before(async () => {
    if (!db) return;
    const url = new URL(db);
    url.searchParams.set("schema", "whatif_test");
    store = await openStore(url.toString());
    await seedFleet(store);
    lite = openSqliteStore(":memory:");
    await seedFleet(lite);
  });
  after(async () => {
    await store?.close();
    await lite?.close();
  });

  it("reports and ranking equal SQLite's", { skip }, async () => {
    for (const t of [`ca:${CA_X}`, "credential:trk-0/ssh/admin", "component:openssl", "endpoint:.acme.example", "provider:26201"]) {
      assert.deepEqual(await compromise(deps(store!), t, { devices: true }), await compromise(deps(lite!), t, { devices: true }), t);
    }
    assert.deepEqual(await rankAll(store!), await rankAll(lite!));
  });
});

describe("single-point-of-compromise rule", () => {
  it("raises one finding per node above the share, with the what-if target to ask; the share and kinds are parameters", async () => {
    const { audit } = await import("../helpers/fleet.ts");
    const { singlePointOfCompromise } = await import("../../src/audit/rules/worst-case.ts");
    const store = openSqliteStore(":memory:");
    await seedFleet(store);
    const run = async (params?: unknown) => (await audit(store, [singlePointOfCompromise], params ? { settings: new Map([["single-point-of-compromise", { params } as never]]) } : {})).findings.filter((f) => f.rule === "single-point-of-compromise");
    const byDefault = await run();
    const targets = byDefault.map((f) => f.evidence.target).sort();
    // 20 devices, 5 %: anything reaching 2 or more. Components are left out unless asked for.
    assert.deepEqual(targets, ["ca:CN=Legacy CA", `ca:${CA_X}`, "credential:model:meter/telnet/root", "credential:trk-0/ssh/admin", "endpoint:ota.acme.example", "firmware:meter@1.0", "firmware:tracker@2.0", "firmware:tracker@2.1"]);
    const shared = byDefault.find((f) => f.evidence.target === "credential:trk-0/ssh/admin")!;
    assert.equal(shared.severity, "high");
    assert.equal(shared.evidence.devices, 3);
    assert.equal(shared.evidence.ask, "longwatch whatif compromise credential:trk-0/ssh/admin");
    assert.deepEqual((await run({ share: 0.45 })).map((f) => f.evidence.target), [`ca:${CA_X}`]);
    assert.deepEqual((await run({ share: 0.45, kinds: ["component"] })).map((f) => f.evidence.target), ["component:swupdate@2023.05"]);
    // Fingerprints are stable across scans: same subject, same fingerprint.
    assert.deepEqual((await run()).map((f) => f.fingerprint).sort(), byDefault.map((f) => f.fingerprint).sort());
    await store.close();
  });
});
