/** universal-password through the real engine and store. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { md5Crypt } from "../../src/audit/credentials/crypt/md5crypt.ts";
import { universalPassword } from "../../src/audit/rules/credentials.ts";
import { device, testFleet } from "../helpers/credentials-fleet.ts";

const rules = [universalPassword];
const SHARED = "Sh4red-Across-The-Fleet";

describe("universal-password", () => {
  it("groups devices sharing one plaintext-imported password into one finding", async () => {
    const fleet = await testFleet([device("d1", { model_id: "M" }), device("d2", { model_id: "M" }), device("d3", { model_id: "M" }), device("d4", { model_id: "M" })], [
      { device_id: "d1", service: "ssh", username: "root", password: SHARED },
      { device_id: "d2", service: "ssh", username: "root", password: SHARED },
      { device_id: "d3", service: "http", username: "admin", password: SHARED },
      { device_id: "d4", service: "ssh", username: "root", password: "unique-to-d4" },
    ]);
    const findings = await fleet.scan(rules);
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.deepEqual(f.devices, ["d1", "d2", "d3"]);
    assert.equal(f.model_id, "M");
    assert.equal(f.evidence.device_count, 3);
    assert.equal(f.evidence.model_wide, false);
    assert.deepEqual(f.evidence.accounts, [{ service: "ssh", username: "root" }, { service: "http", username: "admin" }]);
    assert.match(f.title, /Same password for root \(ssh\), admin \(http\) on 3 devices/);
    // Neither the password nor its digest appears anywhere in the finding.
    const text = JSON.stringify(f);
    assert.ok(!text.includes(SHARED) && !text.includes(fleet.digest(SHARED).slice(5)));

    assert.deepEqual(await fleet.scan(rules, { "universal-password": { min_devices: 4 } }), []);
  });

  it("groups identical crypt hash strings, and says that differently salted ones can't be compared", async () => {
    const h = md5Crypt(SHARED, "same");
    const fleet = await testFleet([device("a"), device("b"), device("c")], [
      { device_id: "a", service: "ssh", username: "root", hash: h },
      { device_id: "b", service: "ssh", username: "root", hash: h },
      { device_id: "c", service: "ssh", username: "root", hash: md5Crypt(SHARED, "other") },
    ]);
    const findings = await fleet.scan(rules);
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.devices, ["a", "b"]);
    assert.equal(findings[0]!.evidence.secret, "crypt");
    assert.ok(!JSON.stringify(findings[0]).includes(h));
  });

  it("reports a password declared for a whole model even when one device is known", async () => {
    const fleet = await testFleet([device("only", { model_id: "M" })], [{ model_id: "M", firmware_version: "3.1", service: "http", username: "admin", password: SHARED }], [{ model_id: "M" }]);
    const [f, ...rest] = await fleet.scan(rules);
    assert.equal(rest.length, 0);
    // The credential applies to firmware 3.1 only and the device has no firmware recorded: nothing applies.
    assert.equal(f, undefined);

    const fleet2 = await testFleet([device("only", { model_id: "M", firmware_version: "3.1" })], [{ model_id: "M", firmware_version: "3.1", service: "http", username: "admin", password: SHARED }], [{ model_id: "M" }]);
    const [g] = await fleet2.scan(rules);
    assert.ok(g);
    assert.equal(g.evidence.model_wide, true);
    assert.deepEqual(g.evidence.model_scopes, ["M (firmware 3.1)"]);
    assert.match(g.title, /Model M \(firmware 3\.1\) has one password for admin \(http\) on every device \(1 device\)/);
  });

  it("leaves empty, locked and unique passwords to other rules", async () => {
    const fleet = await testFleet([device("a"), device("b")], [
      { device_id: "a", service: "telnet", username: "root", password: "" },
      { device_id: "b", service: "telnet", username: "root", password: "" },
      { device_id: "a", service: "ssh", username: "root", locked: true },
      { device_id: "b", service: "ssh", username: "root", locked: true },
      { device_id: "a", service: "http", username: "admin", password: "a-only" },
      { device_id: "b", service: "http", username: "admin", password: "b-only" },
    ]);
    assert.deepEqual(await fleet.scan(rules), []);
  });

  it("counts a device once when two of its accounts share the password", async () => {
    const fleet = await testFleet([device("a"), device("b")], [
      { device_id: "a", service: "ssh", username: "root", password: SHARED },
      { device_id: "a", service: "http", username: "admin", password: SHARED },
    ]);
    assert.deepEqual(await fleet.scan(rules), []);
  });
});
