import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { FIX } from "../helpers/vulns.ts";
import { cli } from "./run-cli.ts";

async function loaded() {
  const t = tmpDir();
  const data = join(t.dir, "data");
  const devices = t.write("devices.csv", ["device_id,model_id,firmware_version,deployed_at,retire_at", "gw-a,GW-100,2.3.1,2024-01-01,2040-01-01", "gw-b,GW-100,2.3.1,2024-01-01,2040-01-01", "gw-c,GW-100,2.4.0,2025-01-01,2041-01-01", "x-1,GW-900,1.0,2025-01-01,"].join("\n"));
  const models = t.write("models.yaml", "- model_id: GW-100\n  manufacturer: Example Company\n  name: ABC\n  ota_capable: true\n  support_end: 2031-12-31\n  crypto:\n    key_exchange: [ecdh-p256]\n    signature: [ecdsa-p256]\n");
  const sbom1 = await cli(["--data", data, "import", "sbom", FIX + "sbom/gw100-2.3.1.cdx.json", "--model", "GW-100", "--firmware", "2.3.1"]);
  const sbom2 = await cli(["--data", data, "import", "sbom", FIX + "sbom/gw100-2.4.0.cdx.json", "--model", "GW-100", "--firmware", "2.4.0"]);
  const adv = await cli(["--data", data, "import", "advisories", FIX + "nvd", FIX + "feeds", FIX + "osv/DEBIAN-CVE-2021-3711.json"]);
  return { t, data, devices, models, sbom1, sbom2, adv };
}

describe("longwatch import sbom / advisories", () => {
  it("imports, names rejected records with file and JSON path, and exits 3 when some were rejected", async () => {
    const { sbom1, sbom2, adv } = await loaded();
    assert.equal(sbom1.code, 3);
    assert.match(sbom1.stderr, /gw100-2\.3\.1\.cdx\.json \$\.components\[5\]\.name: is missing/);
    assert.match(sbom1.stdout, /GW-100 2\.3\.1: 9 components from cyclonedx/);
    assert.equal(sbom2.code, 0, sbom2.stderr);
    assert.equal(adv.code, 3);
    assert.match(adv.stdout, /advisories: 11 new, 0 updated, 0 unchanged; KEV entries: 2; EPSS scores: 6/);
    assert.match(adv.stderr, /epss_scores-2024-11-01\.csv:9 cve: "not-a-cve" is not a CVE id/);
  });

  it("exits 1 with the file and position for a document it cannot read, and 2 for missing flags", async () => {
    const t = tmpDir();
    const bad = t.write("bad.json", '{"bomFormat": "CycloneDX",\n "components": [}');
    const r = await cli(["--data", join(t.dir, "d"), "import", "sbom", bad, "--model", "M", "--firmware", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.json:2:17: is not valid JSON/);
    assert.equal((await cli(["--data", join(t.dir, "d"), "import", "sbom", bad])).code, 2);
  });
});

describe("longwatch vulns", () => {
  it("diff shows what an upgrade fixes and introduces, as a table, JSON and CSV", async () => {
    const { data } = await loaded();
    const table = await cli(["--data", data, "vulns", "diff", "--model", "GW-100", "--from", "2.3.1", "--to", "2.4.0"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /introduced\s+CVE-2024-3094\s+critical\s+xz\s+5\.6\.2 → 5\.6\.1/);
    assert.match(table.stdout, /Upgrading GW-100 from 2\.3\.1 to 2\.4\.0 fixes 6, introduces 1 and leaves 0 known vulnerabilities\./);
    const json = JSON.parse((await cli(["--data", data, "vulns", "diff", "--model", "GW-100", "--from", "2.3.1", "--to", "2.4.0", "--format", "json"])).stdout) as { counts: Record<string, number>; entries: { change: string; vuln_id: string; known_exploited: boolean }[] };
    assert.deepEqual(json.counts, { fixed: 6, introduced: 1, remaining: 0 });
    assert.ok(json.entries.some((e) => e.vuln_id === "CVE-2023-4911" && e.change === "fixed" && e.known_exploited));
    const csv = (await cli(["--data", data, "vulns", "diff", "--model", "GW-100", "--from", "2.3.1", "--to", "2.4.0", "--format", "csv"])).stdout.trim().split("\n");
    assert.equal(csv[0], "change,vuln_id,severity,component,from_version,to_version,fixed_in,known_exploited,not_affected");
    assert.equal(csv.length, 8);
    const missing = await cli(["--data", data, "vulns", "diff", "--model", "GW-100", "--from", "2.3.1", "--to", "9.9"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no component inventory for model GW-100 firmware 9\.9/);
  });

  it("scan reports vulnerable components through every output; status lists firmware without an SBOM", async () => {
    const { data, devices, models } = await loaded();
    const scan = await cli(["--data", data, "scan", devices, "--models", models, "--format", "json", "--now", "2026-11-25"]);
    assert.equal(scan.code, 0, scan.stderr);
    const doc = JSON.parse(scan.stdout) as { findings: { rule: string; devices?: string[]; evidence: Record<string, unknown> }[] };
    const vc = doc.findings.filter((f) => f.rule === "vulnerable-component");
    // Six in 2.3.1 (one of them settled by the SBOM's VEX statement, reported as suppressed) and xz in 2.4.0.
    assert.equal(vc.length, 7, JSON.stringify(vc.map((f) => [f.evidence.vulnerability, (f as { status?: string }).status])));
    assert.ok(vc.every((f) => (f.devices ?? []).length > 0));
    assert.ok(doc.findings.some((f) => f.rule === "known-exploited-vulnerability" && (f.evidence.vulnerability as string) === "CVE-2023-4911"));
    const sarif = JSON.parse((await cli(["--data", data, "scan", "--format", "sarif", "--now", "2026-11-25"])).stdout) as { runs: { results: { ruleId: string }[] }[] };
    assert.ok(sarif.runs[0]!.results.some((r) => r.ruleId === "known-exploited-vulnerability"));
    const status = await cli(["--data", data, "vulns", "status"]);
    assert.match(status.stdout, /2 firmware inventories \(16 components\)/);
    assert.match(status.stdout, /GW-900 1\.0\s+1/);
  });
});

describe("longwatch forecast", () => {
  it("prints the yearly table, JSON, CSV and a self-contained HTML chart", async () => {
    const { t, data, devices, models } = await loaded();
    await cli(["--data", data, "import", "models", models]);
    await cli(["--data", data, "import", "devices", devices]);
    const table = await cli(["--data", data, "forecast", "--until", "2040", "--now", "2026-11-25"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^YEAR\s+IN FIELD\s+SECURABLE/);
    assert.match(table.stdout, /\n2032\s+4\s+1\s+3\s+0\s+0\s+unknown/, "support ends 2031-12-31 for the three GW-100 devices");
    const json = JSON.parse((await cli(["--data", data, "forecast", "--until", "2040", "--now", "2026-11-25", "--format", "json"])).stdout) as { rows: { year: number; crypto_migratable: number }[] };
    assert.equal(json.rows.length, 15);
    assert.equal(json.rows.find((r) => r.year === 2036)!.crypto_migratable, 3);
    const csv = (await cli(["--data", data, "forecast", "--until", "2030", "--now", "2026-11-25", "--format", "csv"])).stdout.trim().split("\n");
    assert.equal(csv[0], "year,date,devices,retired,in_field,in_support,support_unknown,valid_identity,identity_unknown,crypto_allowed,crypto_migratable,crypto_unknown,securable,at_risk");
    const out = join(t.dir, "forecast.html");
    const html = await cli(["--data", data, "forecast", "--now", "2026-11-25", "--format", "html", "--out", out]);
    assert.equal(html.code, 0);
    const page = readFileSync(out, "utf8");
    assert.ok(page.includes("<svg") && page.includes("Lifecycle forecast") && !page.includes("<script"));
  });

  it("rejects a bad --until and a broken policy override with exit 2", async () => {
    const t = tmpDir();
    assert.equal((await cli(["--data", join(t.dir, "d"), "forecast", "--until", "1999"])).code, 2);
    const p = t.write("p.yaml", "version: 1\nrules: [{id: x}]\n");
    const r = await cli(["--data", join(t.dir, "d"), "forecast", "--crypto-policy", p]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /p\.yaml: rules\.0: needs families or hashes/);
  });
});
