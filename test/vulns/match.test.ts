import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Affected } from "../../src/core/advisory.ts";
import { shippedAliases } from "../../src/vulns/aliases.ts";
import { componentKeys, upstreamVersion } from "../../src/vulns/component-keys.ts";
import { AdvisoryIndex, affects, distroMatches } from "../../src/vulns/match.ts";

describe("package-name table", () => {
  const t = shippedAliases();
  it("maps embedded package names to NVD vendor:product, with and without ABI suffixes", () => {
    const cases: [string, string | undefined][] = [
      ["libopenssl", "openssl"],
      ["libopenssl1.1", "openssl"],
      ["libssl3", "openssl"],
      ["openssl-util", "openssl"],
      ["libwolfssl5.6.4.e624513f", "wolfssl"],
      ["libmbedtls12", "mbedtls"],
      ["wpad-basic-mbedtls", "wpad"],
      ["dropbear", "dropbear"],
      ["libcurl4", "curl"],
      ["libjson-c5", "json-c"],
      ["libpcre2-8", "pcre2"],
      ["linux-headers", undefined],
      ["my-own-daemon", undefined],
    ];
    for (const [name, id] of cases) assert.equal(t.lookup(name)?.id, id, name);
    assert.deepEqual(t.lookup("dropbear")!.cpe, ["dropbear_ssh_project:dropbear_ssh"]);
  });
});

describe("component keys", () => {
  const aliases = shippedAliases();
  it("keeps distribution packages to their own feed unless asked to match them by CPE too", () => {
    const c = { name: "libssl3", version: "3.0.11-1~deb12u2", purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2", source_name: "openssl", ecosystem: "deb" };
    assert.deepEqual(componentKeys(c, { aliases }).map((k) => k.key), ["purl:deb/debian/libssl3", "purl:deb/debian/openssl"]);
    const withCpe = componentKeys(c, { aliases, cpeForDistroPackages: true });
    assert.deepEqual(withCpe.map((k) => [k.key, k.version]).slice(2), [["cpe:openssl:openssl", "3.0.11"]]);
  });

  it("takes the upstream version of packaged software", () => {
    assert.equal(upstreamVersion({ name: "x", version: "1.1.1k-1", ecosystem: "opkg" }), "1.1.1k");
    assert.equal(upstreamVersion({ name: "kernel", version: "5.4.179-1-5b4c5e7b8e2f5dba3a6c2c9e8f6e9a1d", ecosystem: "opkg" }), "5.4.179");
    assert.equal(upstreamVersion({ name: "x", version: "2.36-81-g4f4d7a1", ecosystem: "buildroot" }), "2.36-81-g4f4d7a1");
  });
});

describe("affected versions", () => {
  const a: Affected = { key: "k", scheme: "generic", versions: ["0.9.8zh"], ranges: [{ introduced: "1.0.1", fixed: "1.0.1g" }, { introduced: "1.1.0", introduced_exclusive: true, last_affected: "1.1.1k" }] };
  it("applies inclusive, exclusive and last-affected bounds and exact versions", () => {
    const hit = (v: string) => affects(a, v, true)?.because;
    assert.equal(hit("1.0.1"), ">= 1.0.1, < 1.0.1g");
    assert.equal(hit("1.0.1f"), ">= 1.0.1, < 1.0.1g");
    assert.equal(hit("1.0.1g"), undefined);
    assert.equal(hit("1.1.0"), undefined, "introduced exclusive");
    assert.equal(hit("1.1.1k"), "> 1.1.0, <= 1.1.1k");
    assert.equal(hit("1.1.1l"), undefined);
    assert.equal(hit("0.9.8zh"), "= 0.9.8zh");
    assert.equal(affects(a, "custom", false), undefined, "an unorderable version only matches exact versions");
    assert.equal(affects({ ...a, all_versions: true }, undefined, false)?.because, "all versions");
  });

  it("keeps the lowest fix among the intervals that contain the version", () => {
    const b: Affected = { key: "k", scheme: "semver", versions: [], ranges: [{ fixed: "2.0.0" }, { introduced: "1.0.0", fixed: "1.4.2" }] };
    assert.equal(affects(b, "1.3.0", true)?.fixed_in, "1.4.2");
  });

  it("matches distro releases by prefix and treats unknown releases as matching", () => {
    assert.ok(distroMatches("debian-12", "12"));
    assert.ok(distroMatches("alpine-3.18.4", "3.18"));
    assert.ok(!distroMatches("debian-11", "12"));
    assert.ok(!distroMatches("alpine-3.180", "3.18"));
    assert.ok(distroMatches(undefined, "12"));
  });

  it("indexes by key, one hit per advisory, and memoises per key and version", () => {
    const idx = new AdvisoryIndex(
      new Map([
        ["cpe:openssl:openssl", [{ advisory_id: "A", affected: { key: "cpe:openssl:openssl", scheme: "generic", versions: [], ranges: [{ fixed: "1.1.1l" }] } as Affected }]],
        ["purl:generic/openssl", [{ advisory_id: "A", affected: { key: "purl:generic/openssl", scheme: "generic", versions: [], ranges: [{ fixed: "1.1.1l" }] } as Affected }]],
      ]),
    );
    const keys = [
      { key: "purl:generic/openssl", version: "1.1.1k", scheme: "generic" as const, via: "purl" },
      { key: "cpe:openssl:openssl", version: "1.1.1k", scheme: "generic" as const, via: "cpe" },
    ];
    assert.deepEqual(idx.match(keys).map((h) => [h.advisory_id, h.key.via]), [["A", "purl"]]);
    assert.deepEqual(idx.match([{ ...keys[1]!, version: "1.1.1l" }]), []);
  });
});
