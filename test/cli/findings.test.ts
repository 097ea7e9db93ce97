/** `longwatch findings` filters (issue 18.8: --model keeps the device-level findings of the model's devices). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
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

describe("longwatch scan / findings: a single point of compromise is never 0 devices", () => {
  it("one firmware image on every device: the summary's JSON and table, the HTML report and `findings` say how many devices it reaches", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const rows = Array.from({ length: 12 }, (_, i) => `m-${i},meter,1.0`).join("\n");
    const devices = t.write("devices.csv", `device_id,model_id,firmware_version\n${rows}\n`);
    const models = t.write("models.yaml", "- model_id: meter\n  ota_capable: true\n");
    const rule = "single-point-of-compromise";
    const json = await cli(["--data", data, "scan", devices, "--models", models, "--format", "json", "--now", "2026-11-25"]);
    assert.ok(json.code === 0 || json.code === 4, json.stderr);
    const out = JSON.parse(json.stdout) as { summary: { top_rules: { rule: string; devices: number; reach: number; devicesAtLeast: boolean }[] } };
    const row = out.summary.top_rules.find((r) => r.rule === rule)!;
    assert.ok(row, json.stdout.slice(0, 500));
    assert.deepEqual([row.devices, row.reach, row.devicesAtLeast], [12, 12, true]);
    const table = await cli(["--data", data, "scan", devices, "--models", models, "--now", "2026-11-25"]);
    assert.match(table.stdout, new RegExp(`${rule}\\s+\\S+\\s+\\d+\\s+≥ 12\\b`), table.stdout);
    const html = join(t.dir, "r.html");
    const report = await cli(["--data", data, "scan", devices, "--models", models, "--format", "html", "--out", html, "--now", "2026-11-25"]);
    assert.ok(report.code === 0 || report.code === 4, report.stderr);
    assert.match(readFileSync(html, "utf8"), new RegExp(`class="lbl">${rule}</text>.*?class="val">≥ 12<title>`, "s"));
    const listed = await cli(["--data", data, "findings", "--rule", rule]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /fleet \(reaches 12 devices\)/);
    assert.doesNotMatch(listed.stdout, /\(0 devices\)/);
    const stored = JSON.parse((await cli(["--data", data, "findings", "--rule", rule, "--format", "json"])).stdout) as { reach?: number }[];
    assert.deepEqual(stored.map((f) => f.reach), [12]);
  });
});
