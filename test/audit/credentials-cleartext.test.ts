/** cleartext-remote-admin through the real engine and store. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleartextRemoteAdmin } from "../../src/audit/rules/credentials.ts";
import { device, testFleet } from "../helpers/credentials-fleet.ts";

const rules = [cleartextRemoteAdmin];
const PW = "whatever-1234";

describe("cleartext-remote-admin", () => {
  it("reports password logins over telnet, ftp, http and SNMP communities; not ssh, https, SNMPv3 or locked accounts", async () => {
    const fleet = await testFleet([device("d1")], [
      { device_id: "d1", service: "telnet", username: "root", password: PW },
      { device_id: "d1", service: "ftp", username: "upload", password: PW },
      { device_id: "d1", service: "http", username: "admin", password: PW },
      { device_id: "d1", service: "snmp", username: "", password: "public" },
      { device_id: "d1", service: "snmp", username: "monitor", password: PW },
      { device_id: "d1", service: "ssh", username: "root", password: PW },
      { device_id: "d1", service: "https", username: "admin", password: PW },
      { device_id: "d1", service: "other", username: "x", password: PW },
      { device_id: "d2", service: "telnet", username: "root", locked: true },
    ]);
    const findings = await fleet.scan(rules);
    const got = Object.fromEntries(findings.map((f) => [`${f.evidence.service}/${f.evidence.username}`, f.severity]));
    assert.deepEqual(got, { "telnet/root": "high", "ftp/upload": "high", "http/admin": "medium", "snmp/": "medium" });
    const telnet = findings.find((f) => f.evidence.service === "telnet")!;
    assert.equal(telnet.title, "root (telnet) logs in with a password over cleartext telnet");
    assert.match(String(telnet.evidence.why), /unencrypted/);
  });

  it("uses open_services to tell MQTT over TLS from plain MQTT", async () => {
    const fleet = await testFleet([device("tls", { open_services: ["mqtt:8883"] }), device("plain", { open_services: ["mqtt:1883", "mqtt:8883"] }), device("unknown")], [
      { device_id: "tls", service: "mqtt", username: "dev", password: PW },
      { device_id: "plain", service: "mqtt", username: "dev", password: PW },
      { device_id: "unknown", service: "mqtt", username: "dev", password: PW },
    ]);
    const findings = await fleet.scan(rules);
    const tls = Object.fromEntries(findings.map((f) => [f.device_id, String(f.evidence.tls)]));
    assert.deepEqual(Object.keys(tls).sort(), ["plain", "unknown"]);
    assert.match(tls.plain!, /^no/);
    assert.match(tls.unknown!, /^unknown/);
  });

  it("follows its parameters: service list and severity overrides", async () => {
    const fleet = await testFleet([device("d1")], [
      { device_id: "d1", service: "telnet", username: "root", password: PW },
      { device_id: "d1", service: "http", username: "admin", password: PW },
    ]);
    const findings = await fleet.scan(rules, { "cleartext-remote-admin": { services: ["telnet"], severity: { telnet: "critical" } } });
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, "critical");
  });

  it("reports a model-wide telnet login once for the model", async () => {
    const fleet = await testFleet([device("a", { model_id: "M" }), device("b", { model_id: "M" })], [{ model_id: "M", service: "telnet", username: "admin", password: PW }], [{ model_id: "M" }]);
    const findings = await fleet.scan(rules);
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.devices, ["a", "b"]);
    assert.match(findings[0]!.title, /^Model M: admin \(telnet\)/);
  });
});
