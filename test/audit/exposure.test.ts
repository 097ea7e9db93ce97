import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exposureRules } from "../../src/audit/rules/exposure.ts";
import { audit, storeWith } from "../helpers/fleet.ts";

describe("insecure-service", async () => {
  const store = await storeWith({
    devices: [
      { device_id: "bot-bait", open_services: ["telnet:23", "ssh:22", "https:443"] },
      { device_id: "debug", open_services: ["adb:5555"] },
      { device_id: "by-port", open_services: ["other:2323", "unknown:9999"] },
      { device_id: "clean", open_services: ["ssh:22", "https:443", "mqtts:8883"] },
      { device_id: "none" },
    ],
  });
  const { findings } = await audit(store, exposureRules);

  it("reports unsafe services by name or by their usual port, never safe ones", () => {
    const got = findings.map((f) => `${f.device_id}:${f.evidence.service}:${f.severity}`).sort();
    assert.deepEqual(got, ["bot-bait:telnet:high", "by-port:telnet:high", "debug:adb:critical"]);
  });

  it("honours ignore and per-service severity parameters", async () => {
    const r = await audit(store, exposureRules, { settings: new Map([["insecure-service", { params: { ignore: ["adb"], severity: { telnet: "critical" } } }]]) });
    assert.deepEqual(r.findings.map((f) => `${f.device_id}:${f.severity}`).sort(), ["bot-bait:critical", "by-port:critical"]);
  });
});
