import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectivityRules } from "../../src/audit/rules/connectivity.ts";
import { audit, byDevice, storeWith } from "../helpers/fleet.ts";

describe("connectivity rules", async () => {
  const store = await storeWith({
    models: [{ model_id: "meter", data_only: true }, { model_id: "phone-ish", data_only: false }],
    devices: [
      { device_id: "open", model_id: "meter", iccid: "8944500102198304826", sim_imei_lock: false, sim_allowed_countries: ["*"], sim_sms_enabled: true, sim_public_ip: true },
      { device_id: "locked", model_id: "meter", iccid: "8944500102198304827", sim_imei_lock: true, sim_allowed_countries: ["DE", "AT"], sim_sms_enabled: false, sim_public_ip: false },
      { device_id: "unknown", model_id: "meter", iccid: "8944500102198304828" },
      { device_id: "voice", model_id: "phone-ish", iccid: "8944500102198304829", sim_sms_enabled: true, sim_allowed_countries: ["DE", "AT", "FR", "IT"] },
      { device_id: "wired", model_id: "meter" },
    ],
  });
  const { findings } = await audit(store, connectivityRules);

  it("sim-no-imei-lock: reports SIMs known to be unlocked; unknown ones only when asked", async () => {
    assert.deepEqual([...byDevice(findings, "sim-no-imei-lock").keys()], ["open"]);
    const r = await audit(store, connectivityRules, { settings: new Map([["sim-no-imei-lock", { params: { report_unknown: true } }]]) });
    const f = byDevice(r.findings, "sim-no-imei-lock");
    assert.deepEqual([...f.keys()].sort(), ["open", "unknown", "voice"]);
    assert.equal(f.get("unknown")!.severity, "low");
    assert.equal(f.get("open")!.severity, "medium");
  });

  it("sim-roaming-unrestricted: `*`, and long allow-lists when max_countries is set", async () => {
    assert.deepEqual([...byDevice(findings, "sim-roaming-unrestricted").keys()], ["open"]);
    const r = await audit(store, connectivityRules, { settings: new Map([["sim-roaming-unrestricted", { params: { max_countries: 3 } }]]) });
    assert.deepEqual([...byDevice(r.findings, "sim-roaming-unrestricted").keys()].sort(), ["open", "voice"]);
  });

  it("sim-sms-on-data-device: SMS on, model data-only", () => {
    assert.deepEqual([...byDevice(findings, "sim-sms-on-data-device").keys()], ["open"]);
  });

  it("sim-public-ip: only devices with a public IP", () => {
    assert.deepEqual([...byDevice(findings, "sim-public-ip").keys()], ["open"]);
  });

  it("devices without a SIM are never reported", () => {
    assert.ok(!findings.some((f) => f.device_id === "wired"));
  });
});
