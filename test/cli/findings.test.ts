/** `longwatch findings` filters (issue 18.8: --model keeps the device-level findings of the model's devices). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

describe("longwatch findings", () => {
  it("--model keeps findings about the model and about devices of it, and nothing of other models", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const devices = t.write("devices.csv", "device_id,model_id,open_services,sim_public_ip\nm-1,meter,telnet:23,true\ng-1,gateway,telnet:23,true\nx-1,,telnet:23,\n");
    const models = t.write("models.yaml", "- model_id: meter\n  ota_capable: false\n- model_id: gateway\n  ota_capable: false\n");
    const scan = await cli(["--data", data, "scan", devices, "--models", models, "--format", "json", "--now", "2026-11-25"]);
    assert.ok(scan.code === 0 || scan.code === 4, scan.stderr);
    const r = await cli(["--data", data, "findings", "--model", "meter", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const found = JSON.parse(r.stdout) as { rule: string; device_id?: string; model_id?: string; devices?: string[] }[];
    const rules = new Set(found.map((f) => f.rule));
    assert.ok(rules.has("insecure-service"), `device-level finding of m-1 missing: ${[...rules].join(", ")}`);
    assert.ok(rules.has("no-ota"), "model-level finding missing");
    for (const f of found) assert.ok(f.model_id === "meter" || f.device_id === "m-1" || f.devices?.includes("m-1"), JSON.stringify(f));
    assert.ok(!found.some((f) => f.device_id === "g-1" || f.device_id === "x-1"));
  });
});
