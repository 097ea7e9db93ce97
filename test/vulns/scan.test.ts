import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runAudit } from "../../src/audit/engine.ts";
import { vulnerabilityRules } from "../../src/audit/rules/vulnerabilities.ts";
import type { Finding } from "../../src/core/finding.ts";
import type { SqliteStore } from "../../src/store/sqlite/index.ts";
import { importAdvisoryFiles } from "../../src/vulns/import-advisories.ts";
import { importSbomFile } from "../../src/vulns/import-sbom.ts";
import { addFleet, FIX, memoryStore } from "../helpers/vulns.ts";

const NOW = Date.parse("2024-11-25T00:00:00Z");

async function fleet(): Promise<SqliteStore> {
  const store = memoryStore();
  await importSbomFile(store, FIX + "sbom/gw100-2.3.1.cdx.json", { model: "GW-100", firmware: "2.3.1" });
  await importSbomFile(store, FIX + "sbom/gw100-2.4.0.cdx.json", { model: "GW-100", firmware: "2.4.0" });
  await importSbomFile(store, FIX + "sbom/gw300-debian11.status", { model: "GW-300", firmware: "5.0", distro: "debian-11" });
  await importSbomFile(store, FIX + "sbom/gw400-openwrt.status", { model: "GW-400", firmware: "21.02.3" });
  await importSbomFile(store, FIX + "buildroot/cpe_data_pp.json", { model: "RPI", firmware: "2024.11" });
  await importAdvisoryFiles(store, [FIX + "osv", FIX + "nvd", FIX + "csaf", FIX + "feeds"]);
  await addFleet(
    store,
    [{ model_id: "GW-100", manufacturer: "Example Company", name: "ABC" }, { model_id: "GW-300" }, { model_id: "GW-400" }, { model_id: "RPI" }],
    [
      { device_id: "gw-a", model_id: "GW-100", firmware_version: "2.3.1" },
      { device_id: "gw-b", model_id: "GW-100", firmware_version: "2.3.1" },
      { device_id: "gw-c", model_id: "GW-100", firmware_version: "2.4.0" },
      { device_id: "deb-1", model_id: "GW-300", firmware_version: "5.0" },
      { device_id: "owrt-1", model_id: "GW-400", firmware_version: "21.02.3" },
      { device_id: "rpi-1", model_id: "RPI", firmware_version: "2024.11" },
      { device_id: "no-sbom", model_id: "GW-100", firmware_version: "9.9" },
      { device_id: "no-model" },
    ],
  );
  return store;
}

async function scan(store: SqliteStore): Promise<Finding[]> {
  const out: Finding[] = [];
  await runAudit({ store, rules: vulnerabilityRules, now: NOW, keyedDigest: (p) => p, onFinding: (f) => out.push(f) });
  return out;
}

const ev = (f: Finding) => f.evidence as { vulnerability: string; component: { name: string; version?: string }; firmware_version: string };
const line = (f: Finding) => `${f.rule} ${ev(f).vulnerability} ${ev(f).component.name}@${ev(f).component.version} fw=${ev(f).firmware_version} ${f.severity} ${f.status}`;

describe("vulnerability findings", () => {
  it("finds each vulnerable component once per firmware, across every input format and feed", async () => {
    const findings = await scan(await fleet());
    assert.deepEqual(findings.map(line).sort(), [
      "known-exploited-vulnerability CVE-2023-4911 glibc@2.36 fw=2.3.1 critical new",
      "vulnerable-component CVE-2016-7406 dropbear@2016.72 fw=2.3.1 critical new",
      "vulnerable-component CVE-2017-14491 dnsmasq@2.77 fw=2.3.1 critical new",
      "vulnerable-component CVE-2021-3711 libopenssl1.1@1.1.1k-1 fw=21.02.3 critical new",
      "vulnerable-component CVE-2021-3711 libssl1.1@1.1.1k-1 fw=5.0 critical new",
      "vulnerable-component CVE-2021-3711 openssl@1.1.1k fw=2.3.1 critical new",
      "vulnerable-component CVE-2021-3711 openssl@1.1.1k-1 fw=5.0 critical new",
      "vulnerable-component CVE-2022-0778 libopenssl1.1@1.1.1k-1 fw=21.02.3 high new",
      "vulnerable-component CVE-2022-0778 openssl@1.1.1k fw=2.3.1 high suppressed",
      "vulnerable-component CVE-2022-37434 zlib@1.2.11 fw=2.3.1 critical new",
      "vulnerable-component CVE-2022-37434 zlib@1.2.11-4 fw=21.02.3 critical new",
      "vulnerable-component CVE-2023-4911 glibc@2.36 fw=2.3.1 critical new",
      "vulnerable-component CVE-2024-3094 xz@5.6.1 fw=2.4.0 critical new",
    ]);
  });

  it("lists every device that runs the firmware, and says how it matched and what fixes it", async () => {
    const findings = await scan(await fleet());
    const f = findings.find((x) => x.rule === "vulnerable-component" && ev(x).vulnerability === "CVE-2021-3711" && ev(x).firmware_version === "2.3.1")!;
    assert.deepEqual(f.devices, ["gw-a", "gw-b"]);
    assert.equal(f.model_id, "GW-100");
    assert.equal(f.evidence.fixed_in, "1.1.1l");
    assert.deepEqual(f.evidence.matched, [{ key: "cpe:openssl:openssl", via: "cpe", because: ">= 1.1.1, < 1.1.1l", version: "1.1.1k" }]);
    assert.deepEqual(f.evidence.cvss, { version: "3.1", score: 9.8, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" });
    assert.deepEqual(f.evidence.vex, [{ status: "affected", source: "gw100-2.3.1.cdx.json (cyclonedx)" }], "a VEX 'exploitable' statement is kept as evidence and does not suppress");
  });

  it("takes the severity of a distro match from another feed's record of the same CVE, and raises known-exploited ones to critical", async () => {
    const findings = await scan(await fleet());
    const deb = findings.find((x) => ev(x).component.name === "libssl1.1")!;
    assert.equal(deb.evidence.cvss_from, "CVE-2021-3711");
    assert.deepEqual(deb.evidence.advisories, ["DEBIAN-CVE-2021-3711"]);
    assert.equal(deb.evidence.fixed_in, "1.1.1k-1+deb11u1");
    const glibc = findings.find((x) => x.rule === "vulnerable-component" && ev(x).component.name === "glibc")!;
    assert.equal(glibc.severity, "critical");
    assert.equal(glibc.evidence.severity_raised, "in CISA's Known Exploited Vulnerabilities catalogue");
    assert.equal((glibc.evidence.cvss as { score: number }).score, 7.8);
    const kev = findings.find((x) => x.rule === "known-exploited-vulnerability")!;
    assert.equal((kev.evidence.kev as { due_date: string }).due_date, "2023-12-12");
  });

  it("keeps a VEX not-affected statement's justification and suppresses the finding", async () => {
    const findings = await scan(await fleet());
    const f = findings.find((x) => x.status === "suppressed")!;
    assert.equal(ev(f).vulnerability, "CVE-2022-0778");
    assert.match(f.suppression!.reason, /not affected — code_not_reachable: The firmware never parses/);
  });

  it("respects Buildroot's IGNORE_CVES and the build's own CPE", async () => {
    const findings = await scan(await fleet());
    assert.ok(!findings.some((f) => f.devices?.includes("rpi-1")), "glibc 2.40 and busybox 1.36.1 of that build are past every fixture range");
  });

  it("matches a vendor's CSAF advisory about the device product itself, even without an SBOM", async () => {
    // 2022-EVD-UC-01-A-001 says Example Company DEF 1.0 is affected by CVE-2021-44228; -F-001 says DEF 1.1 is fixed.
    const store = await fleet();
    await addFleet(store, [{ model_id: "GW-500", manufacturer: "Example Company", name: "DEF" }], [
      { device_id: "def-10", model_id: "GW-500", firmware_version: "1.0" },
      { device_id: "def-11", model_id: "GW-500", firmware_version: "1.1" },
    ]);
    const findings = (await scan(store)).filter((f) => f.model_id === "GW-500");
    assert.deepEqual(findings.map(line), ["vulnerable-component CVE-2021-44228 GW-500 firmware@1.0 fw=1.0 medium new"]);
    assert.equal((findings[0]!.evidence.component as { firmware?: boolean }).firmware, true);
    assert.equal(findings[0]!.evidence.severity_source, "unknown");
  });

  it("keeps fingerprints stable across scans and marks findings fixed after a firmware upgrade", async () => {
    const store = await fleet();
    const first = await scan(store);
    const second = await scan(store);
    assert.deepEqual(second.map((f) => f.fingerprint).sort(), first.map((f) => f.fingerprint).sort());
    assert.ok(second.every((f) => f.status === "unchanged" || f.status === "suppressed"));
    await addFleet(store, [], [
      { device_id: "gw-a", model_id: "GW-100", firmware_version: "2.4.0" },
      { device_id: "gw-b", model_id: "GW-100", firmware_version: "2.4.0" },
    ]);
    const fixed: Finding[] = [];
    await runAudit({ store, rules: vulnerabilityRules, now: NOW, keyedDigest: (p) => p, onFinding: () => {} }).then((r) => fixed.push(...r.fixed));
    assert.deepEqual(fixed.map((f) => ev(f).vulnerability).sort(), ["CVE-2016-7406", "CVE-2017-14491", "CVE-2021-3711", "CVE-2022-0778", "CVE-2022-37434", "CVE-2023-4911", "CVE-2023-4911"]);
  });
});
