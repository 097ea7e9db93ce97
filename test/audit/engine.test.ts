import { serializeDevice } from "../../src/store/store.ts";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRuleSettings } from "../../src/audit/config.ts";
import { fingerprint } from "../../src/audit/engine.ts";
import { allRules } from "../../src/audit/rules/index.ts";
import { connectivityRules } from "../../src/audit/rules/connectivity.ts";
import { exposureRules } from "../../src/audit/rules/exposure.ts";
import { audit, storeWith } from "../helpers/fleet.ts";
import { importRows } from "../helpers/store.ts";

describe("audit engine", () => {
  it("gives the same fingerprint to the same finding in every scan, and tracks new / unchanged / fixed", async () => {
    const store = await storeWith({ devices: [{ device_id: "a", open_services: ["telnet:23"] }, { device_id: "b", open_services: ["ftp:21"] }] });
    const first = await audit(store, exposureRules);
    assert.deepEqual(first.findings.map((f) => f.status), ["new", "new"]);
    const second = await audit(store, exposureRules);
    assert.deepEqual(second.findings.map((f) => f.status), ["unchanged", "unchanged"]);
    assert.deepEqual(second.findings.map((f) => f.fingerprint), first.findings.map((f) => f.fingerprint));
    assert.equal(first.findings[0]!.fingerprint, fingerprint("insecure-service", "a\0telnet\x0023"));

    // b closes ftp: its finding is fixed; a new problem on a is new.
    await importRows(store, [{ device_id: "a", open_services: ["telnet:23", "adb:5555"] }, { device_id: "b", open_services: ["ssh:22"] }].map(serializeDevice), { source: "t" });
    const third = await audit(store, exposureRules);
    assert.deepEqual(third.findings.map((f) => `${f.device_id}:${f.evidence.service}:${f.status}`).sort(), ["a:adb:new", "a:telnet:unchanged"]);
    assert.deepEqual(third.fixed.map((f) => `${f.device_id}:${f.status}`), ["b:fixed"]);

    // ftp comes back: the fixed finding is new again.
    await importRows(store, [{ device_id: "a", open_services: ["telnet:23", "adb:5555"] }, { device_id: "b", open_services: ["ftp:21"] }].map(serializeDevice), { source: "t" });
    const fourth = await audit(store, exposureRules);
    assert.equal(fourth.findings.find((f) => f.device_id === "b")!.status, "new");
  });

  it("only marks findings of the rules that ran as fixed", async () => {
    const store = await storeWith({ devices: [{ device_id: "a", open_services: ["telnet:23"], sim_public_ip: true }] });
    await audit(store, [...exposureRules, ...connectivityRules]);
    const onlyExposure = await audit(store, exposureRules);
    assert.equal(onlyExposure.fixed.length, 0);
  });

  it("suppresses by fingerprint, by device and by rule; an expired suppression no longer applies", async () => {
    const store = await storeWith({ devices: [{ device_id: "a", open_services: ["telnet:23", "ftp:21"] }, { device_id: "b", open_services: ["telnet:23"] }] });
    const base = await audit(store, exposureRules);
    const ftp = base.findings.find((f) => f.evidence.service === "ftp")!;
    const run = async (s: Parameters<typeof audit>[2]) => (await audit(store, exposureRules, s)).findings.map((f) => `${f.device_id}:${f.evidence.service}:${f.status}`).sort();
    const byFp = await run({ suppressions: [{ id: -1, rule: "insecure-service", fingerprint: ftp.fingerprint, reason: "accepted", created_at: "x" }] });
    assert.deepEqual(byFp, ["a:ftp:suppressed", "a:telnet:unchanged", "b:telnet:unchanged"]);
    const byDevice = await run({ suppressions: [{ id: -1, rule: "insecure-service", device_id: "b", reason: "lab unit", created_at: "x" }] });
    assert.deepEqual(byDevice, ["a:ftp:unchanged", "a:telnet:unchanged", "b:telnet:suppressed"]);
    const byRule = await run({ suppressions: [{ id: -1, rule: "insecure-service", reason: "whole rule", created_at: "x", expires: "2026-12-31" }] });
    assert.deepEqual(byRule, ["a:ftp:suppressed", "a:telnet:suppressed", "b:telnet:suppressed"]);
    const expired = await run({ suppressions: [{ id: -1, rule: "insecure-service", reason: "whole rule", created_at: "x", expires: "2026-11-24" }] });
    assert.ok(expired.every((s) => s.endsWith(":unchanged")));
    // Suppressions stored in the store apply too.
    await store.findings.addSuppression({ rule: "insecure-service", device_id: "a", reason: "replacing next week" }, "2026-11-25");
    assert.deepEqual(await run({}), ["a:ftp:suppressed", "a:telnet:suppressed", "b:telnet:unchanged"]);
  });

  it("rule settings: disabled rules do not run; bad params name the rule and key", async () => {
    const store = await storeWith({ devices: [{ device_id: "a", open_services: ["telnet:23"], sim_public_ip: true }] });
    const cfg = parseRuleSettings({ "insecure-service": { enabled: false }, "sim-public-ip": { severity: "critical" } }, allRules);
    assert.ok(cfg.ok);
    const r = await audit(store, allRules, { settings: cfg.settings });
    assert.deepEqual(r.findings.map((f) => `${f.rule}:${f.severity}`), ["sim-public-ip:critical"]);
    const bad = parseRuleSettings({ "cert-typo": {}, "stale-firmware": { params: { grace_days: "soon" } }, "no-ota": { colour: "red" } }, allRules);
    assert.ok(!bad.ok);
    assert.deepEqual(bad.errors.map((e) => e.split(":")[0]), ["rules.cert-typo", "rules.stale-firmware.params.grace_days", "rules.no-ota."]);
  });

  it("every rule declares complete metadata and parses its own defaults", () => {
    const ids = new Set<string>();
    for (const r of allRules) {
      assert.ok(!ids.has(r.id), `duplicate rule id ${r.id}`);
      ids.add(r.id);
      assert.match(r.id, /^[a-z0-9-]+$/);
      assert.ok(r.title && r.rationale.length > 80 && r.remediation.length > 60, r.id);
      assert.ok(r.standards.length > 0, r.id);
      assert.doesNotThrow(() => r.params.parse({}), r.id);
    }
  });
});
