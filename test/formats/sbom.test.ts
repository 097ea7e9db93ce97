import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseBuildrootManifest, parseBuildrootShowInfo } from "../../src/formats/buildroot.ts";
import { parseCycloneDx } from "../../src/formats/cyclonedx.ts";
import { parseDpkgStatus, parseOpkgStatus } from "../../src/formats/package-status.ts";
import { detectSbomFormat } from "../../src/formats/sbom.ts";
import { parseSpdx } from "../../src/formats/spdx.ts";
import { parseSbom, SbomInputError } from "../../src/vulns/import-sbom.ts";
import { FIX } from "../helpers/vulns.ts";

const read = (f: string) => readFileSync(FIX + f, "utf8");
const json = (f: string) => JSON.parse(read(f)) as unknown;

describe("CycloneDX", () => {
  const r = parseCycloneDx(json("sbom/gw100-2.3.1.cdx.json"));

  it("reads nested components with purl, CPE and bom-ref, and skips files", () => {
    assert.deepEqual(
      r.components.map((c) => `${c.name}@${c.version}`),
      ["openssl@1.1.1k", "zlib@1.2.11", "glibc@2.36", "rootfs-tools@2.3.1", "busybox@1.31.1", "dropbear@2016.72", "dnsmasq@2.77", "xz@5.6.2", "libfoo@1.0"],
    );
    const openssl = r.components[0]!;
    assert.equal(openssl.purl, "pkg:generic/openssl@1.1.1k");
    assert.equal(openssl.cpe, "cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*");
    assert.equal(openssl.bom_ref, "openssl");
    assert.equal(r.components[4]!.at, "$.components[3].components[0]");
    assert.equal(r.describes, "GW-100 firmware 2.3.1");
  });

  it("names the JSON path of a component without a name and goes on", () => {
    assert.deepEqual(r.issues[0], { path: "$.components[5].name", reason: "is missing", level: "error" });
  });

  it("reads VEX analysis, resolving urn:cdx references to bom-refs, and ignores unknown states with a warning", () => {
    assert.deepEqual(
      r.vex.map((v) => [v.vuln_id, v.status, v.bom_ref, v.justification]),
      [
        ["CVE-2022-0778", "not_affected", "openssl", "code_not_reachable"],
        ["CVE-2021-3711", "affected", "openssl", undefined],
      ],
    );
    assert.ok(r.issues.some((i) => i.path === "$.vulnerabilities[2].analysis.state" && i.level === "warning"));
  });

  it("reports a document that is not CycloneDX at its root", () => {
    const bad = parseCycloneDx({ bomFormat: "SPDX", components: "x" });
    assert.deepEqual(
      bad.issues.map((i) => `${i.path} ${i.reason}`),
      ['$.bomFormat is not "CycloneDX"', "$.specVersion is missing", "$.components is a string, not a list"],
    );
  });
});

describe("SPDX", () => {
  it("takes purl and CPE from externalRefs (both category spellings), supplier without its prefix, NOASSERTION as no version", () => {
    const r = parseSpdx(json("sbom/gw200-1.0.spdx.json"));
    assert.deepEqual(
      r.components.map((c) => [c.name, c.version, c.purl, c.cpe, c.supplier]),
      [
        ["openssl", "1.0.1f", "pkg:generic/openssl@1.0.1f", "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*", "OpenSSL Software Foundation"],
        ["lodash", "4.17.15", "pkg:npm/lodash@4.17.15", undefined, undefined],
        ["busybox", undefined, undefined, undefined, undefined],
      ],
    );
    assert.deepEqual(r.issues, [{ path: "$.packages[2].name", reason: "is missing", level: "error" }]);
  });
});

describe("dpkg and opkg status", () => {
  it("keeps installed packages with their source package, and reports broken stanzas by line", () => {
    const r = parseDpkgStatus(read("sbom/gw300-debian11.status"));
    assert.deepEqual(
      r.components.map((c) => [c.name, c.version, c.source_name, c.source_version]),
      [
        ["libssl1.1", "1.1.1k-1", "openssl", undefined],
        ["openssl", "1.1.1k-1", undefined, undefined],
        ["zlib1g", "1:1.2.11.dfsg-2+deb11u1", "zlib", undefined],
        ["busybox", "1:1.30.1-6+b3", undefined, undefined],
        ["openssh-server", "1:8.4p1-5+deb11u1", "openssh", "1:8.4p1-5+deb11u1"],
      ],
    );
    assert.deepEqual(
      r.issues.map((i) => [i.line, i.reason]),
      [
        [56, 'is not a "Field: value" line'],
        [51, "package libbroken has no Version field"],
      ],
    );
  });

  it("reads OpenWrt's opkg status", () => {
    const r = parseOpkgStatus(read("sbom/gw400-openwrt.status"));
    assert.equal(r.components.length, 7);
    assert.deepEqual(r.components[2], { name: "libopenssl1.1", version: "1.1.1k-1", ecosystem: "opkg", at: "line 17", bom_ref: "libopenssl1.1:mipsel_24kc" });
  });
});

describe("Buildroot", () => {
  it("reads the real legal-info manifest", () => {
    const r = parseBuildrootManifest(read("buildroot/raspi_manifest.csv"));
    assert.deepEqual(
      r.components.map((c) => [c.name, c.version]),
      [
        ["glibc", "2.36-81-g4f4d7a13edfd2fdc57c9d76e1fd6d017fb47550c"],
        ["linux-headers", "custom"],
        ["busybox", "1.36.1"],
        ["rpi-firmware", "3f20b832b27cd730deb6419b570f31a98167eef6"],
        ["linux", "custom"],
      ],
    );
    assert.deepEqual(r.issues, []);
  });

  it("reads show-info: target packages with their CPE, and IGNORE_CVES as not-affected statements", () => {
    const r = parseBuildrootShowInfo(json("buildroot/cpe_data_pp.json"));
    assert.ok(!r.components.some((c) => c.name.startsWith("host-") || c.name === "acl"), "host packages are build tools, not device software");
    const busybox = r.components.find((c) => c.name === "busybox")!;
    assert.equal(busybox.cpe, "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*");
    assert.deepEqual(
      r.vex.filter((v) => v.name === "glibc").map((v) => v.vuln_id),
      ["CVE-2010-4756", "CVE-2019-1010022", "CVE-2019-1010023", "CVE-2019-1010024", "CVE-2019-1010025", "CVE-2024-2961", "CVE-2024-33599", "CVE-2024-33600", "CVE-2024-33601", "CVE-2024-33602"],
    );
  });

  it("rejects a CSV without PACKAGE and VERSION columns", () => {
    const r = parseBuildrootManifest("NAME,REV\nx,1\n");
    assert.equal(r.components.length, 0);
    assert.match(r.issues[0]!.reason, /no PACKAGE and VERSION/);
  });
});

describe("format detection", () => {
  it("recognises every format from content", () => {
    assert.equal(detectSbomFormat("", json("sbom/gw100-2.3.1.cdx.json")), "cyclonedx");
    assert.equal(detectSbomFormat("", json("sbom/gw200-1.0.spdx.json")), "spdx");
    assert.equal(detectSbomFormat("", json("buildroot/cpe_data_pp.json")), "buildroot-show-info");
    assert.equal(detectSbomFormat(read("buildroot/raspi_manifest.csv"), undefined), "buildroot-manifest");
    assert.equal(detectSbomFormat(read("sbom/gw300-debian11.status"), undefined), "dpkg-status");
    assert.equal(detectSbomFormat(read("sbom/gw400-openwrt.status"), undefined), "opkg-status");
    assert.equal(detectSbomFormat("hello", undefined), undefined);
  });

  it("names the file, line and column of broken JSON", () => {
    assert.throws(() => parseSbom('{\n  "bomFormat": "CycloneDX",\n  "components": [ {"name": "x",} ]\n}', "fw.cdx.json"), (e: unknown) => {
      assert.ok(e instanceof SbomInputError);
      assert.equal(e.message, "fw.cdx.json:3:32: is not valid JSON: expected a quoted property name");
      return true;
    });
  });

  it("says which formats it reads when it recognises none", () => {
    assert.throws(() => parseSbom("just text\n", "notes.txt"), /notes.txt: is not an SBOM Longwatch reads/);
  });
});
