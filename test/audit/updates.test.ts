import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { updateRules } from "../../src/audit/rules/updates.ts";
import { audit, byDevice, storeWith } from "../helpers/fleet.ts";

const models = [
  { model_id: "old", ota_capable: false, support_end: "2025-06-30", latest_firmware: "2.1.0", latest_firmware_date: "2026-01-10" },
  { model_id: "good", ota_capable: true, support_end: "2040-01-01", latest_firmware: "3.0", latest_firmware_date: "2026-11-01", vuln_disclosure_url: "https://good.example/security" },
  { model_id: "short", ota_capable: true, support_end: "2028-12-31", vuln_disclosure_url: "https://short.example/psirt" },
];
const devices = [
  { device_id: "a1", model_id: "old", firmware_version: "2.0.9" },
  { device_id: "a2", model_id: "old", firmware_version: "2.1.0" },
  { device_id: "g1", model_id: "good", firmware_version: "2.9", deployed_at: "2025-01-01", field_life_years: 10 },
  { device_id: "g2", model_id: "good", firmware_version: "3.0", retire_at: "2039-01-01" },
  { device_id: "s1", model_id: "short", deployed_at: "2024-01-01", retire_at: "2034-01-01" },
  { device_id: "s2", model_id: "short", retire_at: "2027-01-01" },
  { device_id: "x1" },
];

describe("updates & support rules", async () => {
  const store = await storeWith({ models, devices });
  const { findings } = await audit(store, updateRules);

  it("no-ota: one finding per model that cannot update, listing its devices", () => {
    const f = byDevice(findings, "no-ota");
    assert.deepEqual([...f.keys()], ["old"]);
    assert.deepEqual(f.get("old")!.devices, ["a1", "a2"]);
  });

  it("stale-firmware: devices behind the latest release; high once the fix is older than grace_days", () => {
    const stale = findings.filter((f) => f.rule === "stale-firmware");
    assert.equal(stale.length, 2);
    const old = stale.find((f) => f.model_id === "old")!;
    assert.deepEqual(old.devices, ["a1"]);
    assert.equal(old.severity, "high"); // 2.1.0 released 2026-01-10, > 90 days before the scan
    const good = stale.find((f) => f.model_id === "good")!;
    assert.deepEqual(good.devices, ["g1"]);
    assert.equal(good.severity, "medium"); // released 24 days ago
    assert.equal(good.evidence.days_available, 24);
  });

  it("support-ended: only models whose support end has passed", () => {
    assert.deepEqual([...byDevice(findings, "support-ended").keys()], ["old"]);
  });

  it("support-ends-before-retirement: devices planned to outlive support, with the gap", () => {
    const f = byDevice(findings, "support-ends-before-retirement");
    assert.deepEqual([...f.keys()], ["short"]);
    assert.deepEqual(f.get("short")!.devices, ["s1"]); // s2 retires before support ends
    assert.equal(f.get("short")!.evidence.years_unsupported, 5);
  });

  it("no-support-period and no-disclosure-policy: only models that lack them", async () => {
    const s2 = await storeWith({ models: [{ model_id: "bare" }, { model_id: "full", support_end: "2035-01-01", vuln_disclosure_url: "https://x.example/vdp" }], devices: [{ device_id: "b", model_id: "bare" }, { device_id: "f", model_id: "full" }] });
    const r = await audit(s2, updateRules);
    assert.deepEqual([...byDevice(r.findings, "no-support-period").keys()], ["bare"]);
    assert.deepEqual([...byDevice(r.findings, "no-disclosure-policy").keys()], ["bare"]);
    assert.equal(byDevice(findings, "no-disclosure-policy").get("old")!.devices!.length, 2);
  });

  it("devices without a known model trigger no model rule", () => {
    assert.ok(!findings.some((f) => f.devices?.includes("x1")));
  });
});
