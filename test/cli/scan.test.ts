import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv-draft-04";
import { tmpDir } from "../helpers/tmp.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { coverageLines, scanCoverage } from "../../src/report/coverage.ts";
import { cli } from "./run-cli.ts";

const fleet = (t: ReturnType<typeof tmpDir>) => ({
  devices: t.write(
    "devices.csv",
    ["device_id,model_id,firmware_version,iccid,sim_imei_lock,sim_public_ip,open_services", "m-1,meter,1.0,8944500102198304826,false,true,telnet:23", "m-2,meter,1.1,8944500102198304827,true,false,", "g-1,gw,2.0,,,,adb:5555;ssh:22", "bad,gw,2.0,not-an-iccid,,,"].join("\n"),
  ),
  models: t.write("models.yaml", "- model_id: meter\n  ota_capable: false\n  support_end: 2030-01-01\n  latest_firmware: '1.1'\n- model_id: gw\n  ota_capable: true\n  support_end: 2024-01-01\n  vuln_disclosure_url: https://gw.example/vdp\n"),
});

describe("longwatch scan (end to end)", () => {
  it("imports, audits and prints a summary; exit 3 when records were rejected; rejects named with file:line", async () => {
    const t = tmpDir();
    const f = fleet(t);
    const r = await cli(["--data", join(t.dir, "data"), "scan", f.devices, "--models", f.models, "--now", "2026-11-25"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /field left out .*devices\.csv:5 iccid: "not-an-iccid" is not an ICCID \(18-22 digits\); the device is kept without iccid/);
    assert.match(r.stdout, /4 devices imported, 1 invalid field left out, 0 rejected/);
    assert.match(r.stdout, /critical\s+1/);
    assert.match(r.stdout, /insecure-service/);
    assert.ok(!r.stdout.includes("\u001b["), "NO_COLOR: no escape codes");
  });

  it("re-scan shows unchanged findings; --fail-on gives exit 4; machine formats are well-formed", async () => {
    const t = tmpDir();
    const f = fleet(t);
    const data = join(t.dir, "data");
    await cli(["--data", data, "scan", f.devices, "--models", f.models, "--now", "2026-11-25"]);
    const json = await cli(["--data", data, "scan", "--format", "json", "--now", "2026-11-25"]);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { findings: { status: string; rule: string }[]; summary: { by_severity: Record<string, number> } };
    assert.ok(doc.findings.length > 5);
    assert.ok(doc.findings.every((x) => x.status === "unchanged"));
    const fail = await cli(["--data", data, "scan", "--fail-on", "high", "--now", "2026-11-25"]);
    assert.equal(fail.code, 4);
    const noFail = await cli(["--data", data, "scan", "--fail-on", "critical", "--config", t.write("cfg.yaml", "rules:\n  insecure-service: { enabled: false }\n"), "--now", "2026-11-25"]);
    assert.equal(noFail.code, 0, noFail.stderr);
    const nd = await cli(["--data", data, "scan", "--format", "ndjson", "--now", "2026-11-25"]);
    const lines = nd.stdout.trim().split("\n").map((l) => JSON.parse(l) as { rule: string; status: string });
    assert.ok(lines.some((l) => l.rule === "insecure-service"));
    const csv = await cli(["--data", data, "scan", "--format", "csv", "--now", "2026-11-25"]);
    assert.match(csv.stdout.split("\n")[0]!, /^rule,severity,device_id,model_id,title,evidence,standards,fingerprint,status/);
  });

  it("an import is audited as it streams in, together with stored devices it leaves out; the same findings as a re-audit", async () => {
    const t = tmpDir();
    const f = fleet(t);
    const data = join(t.dir, "data");
    const creds = t.write("credentials.csv", ["device_id,model_id,service,username,password", "m-1,,ssh,root,admin", "ghost,,ssh,root,x", ",gw,web,admin,admin"].join("\n"));
    const first = await cli(["--data", data, "scan", f.devices, "--models", f.models, "--credentials", creds, "--now", "2026-11-25"]);
    assert.equal(first.code, 3, first.stderr);
    // The credential of an unknown device is reported once, after the inventory is in; m-1's is known.
    assert.equal(first.stderr.match(/device "ghost" is not in the inventory/g)?.length, 1, first.stderr);
    assert.doesNotMatch(first.stderr, /device "m-1" is not in the inventory/);
    // A second inventory without m-2 and g-1: they stay in the store and are still audited.
    const second = await cli(["--data", data, "scan", t.write("part.csv", "device_id,model_id,firmware_version,open_services\nm-1,meter,1.0,telnet:23\n"), "--format", "json", "--now", "2026-11-25"]);
    assert.equal(second.code, 0, second.stderr);
    const streamed = (JSON.parse(second.stdout) as { findings: { fingerprint: string; status: string; rule: string }[] }).findings;
    assert.ok(streamed.some((x) => x.rule === "default-password"), "m-1's credential, imported before the inventory, is checked");
    assert.ok(streamed.some((x) => x.rule === "support-ended"), "the gw devices left out of the import are audited");
    const again = await cli(["--data", data, "scan", "--format", "json", "--now", "2026-11-25"]);
    const reaudit = (JSON.parse(again.stdout) as { findings: { fingerprint: string; status: string }[] }).findings;
    assert.deepEqual(reaudit.map((x) => x.fingerprint).sort(), streamed.filter((x) => x.status !== "fixed").map((x) => x.fingerprint).sort());
    assert.ok(reaudit.every((x) => x.status === "unchanged"));
  });

  it("a device with an invalid IMEI, a mistyped field or an unknown model is audited and raises an inventory finding", async () => {
    const t = tmpDir();
    const f = fleet(t);
    const dev = t.write("inv.csv", ["device_id,model_id,imei,sim_imei_lock,open_services", "ok,meter,490154203237518,true,", "luhn,meter,490154203237519,true,telnet:23", "typo,meter,,ture,", "metre,metre,,true,telnet:23"].join("\n"));
    const r = await cli(["--data", join(t.dir, "data"), "scan", dev, "--models", f.models, "--format", "json", "--now", "2026-11-25"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /inv\.csv:3 imei: "490154203237519" has a wrong check digit/);
    assert.match(r.stderr, /inv\.csv:4 sim_imei_lock: "ture" is not a valid boolean/);
    assert.match(r.stderr, /warning devices name models that are not imported: "metre" \(1 device\); their model rules were not checked/);
    const doc = JSON.parse(r.stdout) as { scan: { devices: number }; findings: { rule: string; device_id?: string; model_id?: string; evidence: Record<string, unknown> }[] };
    assert.equal(doc.scan.devices, 4);
    const of = (rule: string) => doc.findings.filter((x) => x.rule === rule);
    assert.deepEqual(of("imei-invalid").map((x) => [x.device_id, x.evidence.line]), [["luhn", 3]]);
    assert.deepEqual(of("inventory-field-invalid").map((x) => [x.device_id, x.evidence.line, (x.evidence.fields as { field: string }[]).map((y) => y.field)]), [["typo", 4, ["sim_imei_lock"]]]);
    assert.deepEqual(of("unknown-model").map((x) => [x.device_id, x.model_id]), [["metre", "metre"]]);
    // The devices are still audited on everything else.
    assert.deepEqual(of("insecure-service").map((x) => x.device_id).sort(), ["luhn", "metre"]);
  });

  it("the summary, JSON and HTML say which devices have no firmware inventory, certificate, credentials or traffic", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const dev = t.write("d.csv", "device_id,model_id,firmware_version\na,meter,1.0\nb,meter,1.0\nc,gw,2.0\n");
    const creds = t.write("c.csv", "device_id,service,username,password\na,ssh,root,s3cret-Long-enough\n");
    const r = await cli(["--data", data, "scan", dev, "--credentials", creds, "--now", "2026-11-25"]);
    assert.match(r.stdout, /Not covered/);
    assert.match(r.stdout, /no firmware inventory\s+3 of 3/);
    assert.match(r.stdout, /no certificate\s+3 of 3/);
    assert.match(r.stdout, /no credentials\s+2 of 3/);
    assert.match(r.stdout, /no traffic\s+-\s+not measured: no detection has run/);
    const json = await cli(["--data", data, "scan", "--format", "json", "--now", "2026-11-25"]);
    const doc = JSON.parse(json.stdout) as { scan: { coverage: Record<string, unknown> } };
    assert.deepEqual(doc.scan.coverage, { devices: 3, no_firmware_inventory: 3, no_certificate: 3, no_credentials: 2, no_traffic: 3, traffic_measured: false });
    const out = join(t.dir, "r.html");
    await cli(["--data", data, "scan", "--format", "html", "--out", out, "--now", "2026-11-25"]);
    const html = readFileSync(out, "utf8");
    assert.match(html, /<h2>Coverage<\/h2>/);
    assert.match(html, /<td>no credentials<\/td><td>2 of 3<\/td>/);
    assert.match(html, /<td>no traffic<\/td><td>not measured<\/td>/);
    // Once detection has seen any device, traffic is a count like the others.
    const seen = coverageLines(scanCoverage({ devices: 3, no_firmware_inventory: 0, no_certificate: 0, no_credentials: 0, no_traffic: 2 }));
    assert.deepEqual(seen.map((g) => [g.key, g.devices]), [["no_firmware_inventory", 0], ["no_certificate", 0], ["no_credentials", 0], ["no_traffic", 2]]);
  });

  it("--strict with credentials: the first rejected row stops the scan before anything is imported", async () => {
    const t = tmpDir();
    const f = fleet(t);
    const data = join(t.dir, "data");
    const creds = t.write("credentials.csv", "device_id,service,username,password\nm-1,ssh,root,admin\n");
    const r = await cli(["--data", data, "scan", f.devices, "--credentials", creds, "--strict", "--now", "2026-11-25"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no device was imported/);
    const store = openSqliteStore(join(data, "longwatch.db"));
    assert.deepEqual(await store.fleet.counts(), { devices: 0, models: 0, credentials: 0, certificates: 0 });
    await store.close();
  });

  it("SARIF output validates against the official SARIF 2.1.0 schema", async () => {
    const t = tmpDir();
    const f = fleet(t);
    const out = join(t.dir, "report.sarif");
    const r = await cli(["--data", join(t.dir, "data"), "scan", f.devices, "--models", f.models, "--format", "sarif", "--out", out, "--now", "2026-11-25"]);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /Report written to/);
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8")) as object;
    const ajv = new Ajv.default({ allErrors: true, strict: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    const sarif = JSON.parse(readFileSync(out, "utf8")) as { runs: { results: unknown[]; tool: { driver: { rules: unknown[] } } }[] };
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5)));
    assert.ok(!validate({ ...sarif, version: "2.0.0" }), "the schema check can fail");
    assert.ok(sarif.runs[0]!.results.length > 5);
    assert.ok(sarif.runs[0]!.tool.driver.rules.length > 5);
  });

  it("HTML report is self-contained, charts findings and explains every rule that fired; inventory text is escaped", async () => {
    const t = tmpDir();
    const dev = t.write("d.csv", 'device_id,open_services\n"<script>alert(1)</script>",telnet:23\n');
    const out = join(t.dir, "r.html");
    const r = await cli(["--data", join(t.dir, "data"), "scan", dev, "--format", "html", "--out", out, "--now", "2026-11-25"]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(out, "utf8");
    assert.ok(!html.includes("<script>alert"), "escaped");
    assert.match(html, /&lt;script&gt;alert/);
    assert.doesNotMatch(html, /(src|href)=["']https?:/, "no external requests");
    assert.match(html, /<svg role="img" aria-label="Findings by severity"/);
    assert.match(html, /<svg role="img" aria-label="Devices affected by rule and severity"/);
    assert.match(html, /id="rule-insecure-service"/);
    assert.match(html, /Why it matters/);
  });

  it("usage errors exit 2; a missing file exits 1 with a clear message", async () => {
    assert.equal((await cli(["scan", "--format", "xml"])).code, 2);
    const t = tmpDir();
    const r = await cli(["--data", join(t.dir, "data"), "scan", join(t.dir, "nope.csv")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.csv/);
    const empty = await cli(["--data", join(t.dir, "data2"), "scan"]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no devices/);
  });

  it("runs as a real process from the command line", () => {
    const t = tmpDir();
    const f = fleet(t);
    const p = spawnSync(process.execPath, ["--import", "tsx", "src/cli/bin.ts", "--data", join(t.dir, "d"), "scan", f.devices, "--models", f.models, "--now", "2026-11-25", "--format", "json"], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(p.status, 3, p.stderr);
    assert.ok(JSON.parse(p.stdout));
    assert.ok(execFileSync(process.execPath, ["--import", "tsx", "src/cli/bin.ts", "explain", "insecure-service"], { encoding: "utf8" }).includes("What to do"));
  });
});
