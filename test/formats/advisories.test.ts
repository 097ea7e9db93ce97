import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { cvss2BaseScore, cvss3BaseScore } from "../../src/core/cvss.ts";
import { cpeIndexKey, parseCpe } from "../../src/formats/cpe.ts";
import { parseCsaf } from "../../src/formats/csaf.ts";
import { parseEpss } from "../../src/formats/epss.ts";
import { IssueSink } from "../../src/formats/json-path.ts";
import { parseKev } from "../../src/formats/kev.ts";
import { parseNvd } from "../../src/formats/nvd.ts";
import { eventsToBounds, parseOsv } from "../../src/formats/osv.ts";
import { formatPurl, parsePurl, purlIndexKey } from "../../src/formats/purl.ts";
import { parseVersionRange } from "../../src/formats/vers.ts";
import { comparators } from "../../src/vulns/versions/index.ts";
import { FIX } from "../helpers/vulns.ts";

const json = (f: string) => JSON.parse(readFileSync(FIX + f, "utf8")) as unknown;
const cmp = (s: keyof typeof comparators) => comparators[s];

describe("OSV", () => {
  it("reads a Debian record: source package key, release, dpkg ranges, the upstream CVE as alias", () => {
    const r = parseOsv(json("osv/DEBIAN-CVE-2021-3711.json"), cmp);
    const a = r.advisory!;
    assert.deepEqual(a.aliases, ["CVE-2021-3711"]);
    assert.deepEqual(a.affected[0], { key: "purl:deb/debian/openssl", scheme: "dpkg", ranges: [{ fixed: "1.1.1k-1+deb11u1" }], versions: [], distro: "11" });
    assert.deepEqual(r.issues, []);
  });

  it("reports an unknown ecosystem, git-only ranges and a missing id by JSON path, keeping the rest", () => {
    const list = json("osv/records.json") as unknown[];
    const results = list.map((rec, i) => parseOsv(rec, cmp, `$[${i}]`));
    assert.equal(results[0]!.advisory!.affected[0]!.key, "purl:npm/lodash");
    assert.equal(results[0]!.advisory!.cvss!.score, 7.4);
    assert.equal(results[0]!.advisory!.severity, "high");
    assert.equal(results[1]!.advisory!.affected[0]!.scheme, "apk");
    assert.equal(results[1]!.advisory!.affected[0]!.distro, "3.15");
    assert.match(results[2]!.issues[0]!.reason, /only git commit ranges/);
    assert.equal(results[2]!.skipped, 1);
    assert.equal(results[3]!.issues[0]!.path, "$[3].affected[0].package.ecosystem");
    assert.match(results[3]!.issues[0]!.reason, /"Plan9Ports" is an ecosystem Longwatch has no version scheme for/);
    assert.deepEqual(results[4]!.issues, [{ path: "$[4].id", reason: "is missing", level: "error" }]);
    assert.equal(results[4]!.advisory, undefined);
  });

  it("turns events into intervals in version order, whatever order they are written in", () => {
    const sink = new IssueSink();
    const events = [{ fixed: "2.0.3" }, { introduced: "2.0.0" }, { last_affected: "1.4.2" }, { introduced: "0" }, { introduced: "3.0.0" }];
    assert.deepEqual(eventsToBounds(events, "$", sink, cmp("semver")), [{ last_affected: "1.4.2" }, { introduced: "2.0.0", fixed: "2.0.3" }, { introduced: "3.0.0" }]);
    assert.deepEqual(sink.issues, []);
  });

  it("orders events with the ecosystem's comparator (dpkg epochs, tildes)", () => {
    const sink = new IssueSink();
    const events = [{ introduced: "1:1.0" }, { fixed: "1:1.0~rc2" }, { introduced: "1:0.9~beta" }];
    assert.deepEqual(eventsToBounds(events, "$", sink, cmp("dpkg")), [{ introduced: "1:0.9~beta", fixed: "1:1.0~rc2" }, { introduced: "1:1.0" }]);
  });
});

describe("NVD CVE API 2.0", () => {
  const r = parseNvd(json("nvd/nvdcve-2.0-sample.json"));
  const byId = new Map(r.advisories.map((a) => [a.id, a]));

  it("reads CPE criteria with start/end including/excluding bounds under cpe:vendor:product", () => {
    assert.deepEqual(byId.get("CVE-2022-0778")!.affected, [
      {
        key: "cpe:openssl:openssl",
        scheme: "generic",
        versions: [],
        ranges: [
          { introduced: "1.0.2", fixed: "1.0.2zd" },
          { introduced: "1.1.1", fixed: "1.1.1n" },
          { introduced: "3.0.0", fixed: "3.0.2" },
        ],
      },
    ]);
    assert.deepEqual(byId.get("CVE-2023-4911")!.affected[0]!.ranges, [{ introduced: "2.34", last_affected: "2.38" }]);
    assert.deepEqual(byId.get("CVE-2024-3094")!.affected[0]!.versions, ["5.6.0", "5.6.1"]);
  });

  it("prefers the newest CVSS version and NVD's primary score", () => {
    const a = byId.get("CVE-2021-3711")!;
    assert.deepEqual(a.cvss, { version: "3.1", score: 9.8, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" });
    assert.equal(a.severity, "critical");
    assert.equal(byId.get("CVE-2024-3094")!.cvss!.score, 10);
  });

  it("keeps only the vulnerable part of an AND configuration", () => {
    assert.deepEqual(
      byId.get("CVE-2017-14491")!.affected.map((x) => x.key),
      ["cpe:thekelleys:dnsmasq"],
    );
  });

  it("marks rejected CVEs withdrawn and reports a malformed criterion with its path", () => {
    assert.ok(byId.get("CVE-2099-0001")!.withdrawn);
    assert.deepEqual(r.issues, [
      { path: "$.vulnerabilities[9].cve.configurations[0].nodes[0].cpeMatch[0].criteria", reason: "has 2 fields after cpe:2.3: (needs 11); match skipped", level: "error" },
    ]);
  });

  it("joins a CPE update field to the version, as OpenSSH writes it (9.3 + p1 = 9.3p1)", () => {
    const doc = { format: "NVD_CVE", vulnerabilities: [{ cve: { id: "CVE-2023-38408", configurations: [{ nodes: [{ cpeMatch: [{ vulnerable: true, criteria: "cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*" }] }] }] } }] };
    assert.deepEqual(parseNvd(doc).advisories[0]!.affected[0]!.versions, ["9.3p1"]);
  });
});

describe("CSAF 2.0", () => {
  it("reads an advisory whose products carry CPE helpers", () => {
    const r = parseCsaf(json("csaf/bsi-2022-0001.json"));
    const a = r.advisories[0]!;
    assert.equal(a.id, "BSI-2022-0001:CVE-2022-27193");
    assert.equal(a.aliases[0], "CVE-2022-27193");
    assert.equal(a.cvss!.score, 6.1);
    assert.deepEqual(a.affected, [
      { key: "cpe:csaf-tools:cvrf-csaf-converter", scheme: "generic", ranges: [], versions: ["1.0.0-alpha", "1.0.0-dev1", "1.0.0-dev2", "1.0.0-dev3", "1.0.0-rc1"] },
    ]);
    assert.ok(r.vex.some((s) => s.status === "fixed" && s.product.kind === "key" && s.product.versions[0] === "1.0.0-rc2"));
  });

  it("turns known_not_affected into VEX statements with the impact statement", () => {
    const r = parseCsaf(json("csaf/2022-evd-uc-01-na-001.json"));
    assert.equal(r.advisories.length, 0);
    assert.deepEqual(r.vex, [
      {
        vuln_id: "CVE-2021-44228",
        status: "not_affected",
        source: "2022-EVD-UC-01-NA-001",
        impact: "Class with vulnerable code was removed before shipping.",
        product: { kind: "key", key: "cpe:example_company:abc", scheme: "generic", versions: ["4.2"], ranges: [], all_versions: false },
      },
    ]);
  });

  it("reads a product_version_range and the justification flag", () => {
    const r = parseCsaf(json("csaf/sec-vex-2022-0001.json"));
    const s = r.vex[0]!;
    assert.equal(s.justification, "component_not_present");
    assert.deepEqual(s.product, { kind: "key", key: "cpe:secvisogram:secvisogram", scheme: "generic", versions: [], ranges: [{ last_affected: "1.14.0" }], all_versions: false });
  });

  it("walks a large real product tree down to service packs", () => {
    const r = parseCsaf(json("csaf/cisco-sa-20180328-smi2.json"));
    assert.equal(r.advisories.length, 1);
    const ios = r.advisories[0]!.affected.find((a) => a.key === "cpe:cisco:ios")!;
    assert.ok(ios.versions.includes("12.2(55)SE"));
    assert.equal(r.advisories[0]!.cvss!.score, 9.8);
  });
});

describe("KEV and EPSS", () => {
  it("reads the KEV catalogue and reports an entry without a CVE id", () => {
    const r = parseKev(json("feeds/known_exploited_vulnerabilities.json"));
    assert.equal(r.version, "2024.11.01");
    assert.deepEqual(r.entries[1], {
      cve_id: "CVE-2023-4911",
      vendor: "GNU",
      product: "GNU C Library",
      name: "GNU C Library Buffer Overflow Vulnerability",
      date_added: "2023-11-21",
      due_date: "2023-12-12",
      required_action: "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
      known_ransomware: "Unknown",
      notes: "https://nvd.nist.gov/vuln/detail/CVE-2023-4911",
    });
    assert.deepEqual(r.issues.map((i) => i.path), ["$.vulnerabilities[2].cveID"]);
  });

  it("reads EPSS with its score date and rejects bad rows by line", () => {
    const r = parseEpss(readFileSync(FIX + "feeds/epss_scores-2024-11-01.csv", "utf8"));
    assert.equal(r.date, "2024-11-01");
    assert.deepEqual(r.scores[0], { cve_id: "CVE-2014-0160", epss: 0.97469, percentile: 0.99975, date: "2024-11-01" });
    assert.deepEqual(r.issues.map((i) => [i.line, i.column]), [[9, "cve"], [10, "epss"]]);
  });
});

describe("identifiers and ranges", () => {
  it("parses and formats purls, normalising index keys", () => {
    const p = parsePurl("pkg:deb/debian/libssl1.1@1.1.1k-1%2Bdeb11u1?arch=armhf&distro=debian-11");
    assert.ok(!("error" in p));
    assert.equal(p.version, "1.1.1k-1+deb11u1");
    assert.deepEqual(p.qualifiers, { arch: "armhf", distro: "debian-11" });
    assert.equal(formatPurl(p), "pkg:deb/debian/libssl1.1@1.1.1k-1%2Bdeb11u1?arch=armhf&distro=debian-11");
    assert.equal(purlIndexKey({ type: "pypi", name: "Django_REST.framework" }), "purl:pypi/django-rest-framework");
    assert.deepEqual(parsePurl("openssl@1.0"), { error: "does not start with pkg:" });
    assert.deepEqual(parsePurl("pkg:npm/"), { error: "has no name" });
  });

  it("parses CPE 2.3 with escapes and CPE 2.2 URIs", () => {
    const c = parseCpe("cpe:2.3:a:dropbear_ssh_project:dropbear\\_ssh:2016.72:*:*:*:*:*:*:*");
    assert.ok(!("error" in c));
    assert.equal(c.product, "dropbear_ssh");
    const old = parseCpe("cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-alpha");
    assert.ok(!("error" in old));
    assert.equal(old.version, "1.0.0-alpha");
    assert.equal(cpeIndexKey("Example Company", "ABC"), "cpe:example_company:abc");
  });

  it("parses vers: ranges and bare comparator lists", () => {
    assert.deepEqual(parseVersionRange("vers:deb/>=1.0|<1.4|>=2.0|<=2.2"), {
      scheme: "dpkg",
      versions: [],
      all: false,
      ranges: [
        { introduced: "1.0", fixed: "1.4" },
        { introduced: "2.0", last_affected: "2.2" },
      ],
    });
    assert.deepEqual(parseVersionRange(">2.0 <2.5"), { versions: [], all: false, ranges: [{ introduced: "2.0", introduced_exclusive: true, fixed: "2.5" }] });
    assert.deepEqual(parseVersionRange("vers:generic/*"), { scheme: "generic", ranges: [], versions: [], all: true });
    assert.ok("error" in parseVersionRange("vers:npm/!=1.0"));
    assert.ok("error" in parseVersionRange("newer than yesterday"));
  });

  it("computes CVSS base scores from vectors (v3.1 and v2 reference values)", () => {
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"), 7.4);
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10);
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"), 7.8);
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"), 5.4);
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0);
    assert.equal(cvss3BaseScore("CVSS:3.1/AV:X/AC:L"), undefined);
    assert.equal(cvss2BaseScore("AV:N/AC:L/Au:N/C:P/I:P/A:P"), 7.5);
    assert.equal(cvss2BaseScore("AV:N/AC:M/Au:N/C:N/I:P/A:N"), 4.3);
  });
});
