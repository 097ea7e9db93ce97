import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { strToU8, zipSync } from "fflate";
import { importAdvisoryFiles } from "../../src/vulns/import-advisories.ts";
import { importSbomFile } from "../../src/vulns/import-sbom.ts";
import { FIX, memoryStore } from "../helpers/vulns.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "lw-vulns-"));

describe("import sbom", () => {
  it("stores components with the keys they match under, deriving CPEs from the alias table", async () => {
    const store = memoryStore();
    const r = await importSbomFile(store, FIX + "sbom/gw400-openwrt.status", { model: "GW-400", firmware: "21.02.3" });
    assert.equal(r.format, "opkg-status");
    assert.equal(r.components, 7);
    assert.equal(r.via_alias, 7);
    const comps = await store.vulns.components("GW-400", "21.02.3");
    const ssl = comps.find((c) => c.name === "libopenssl1.1")!;
    assert.deepEqual(ssl.keys, [{ key: "cpe:openssl:openssl", scheme: "generic", via: "alias:openssl", version: "1.1.1k" }]);
    const wpad = comps.find((c) => c.name === "wpad-basic-wolfssl")!;
    assert.deepEqual(wpad.keys.map((k) => k.key), ["cpe:w1.fi:hostapd", "cpe:w1.fi:wpa_supplicant"]);
    const kernel = comps.find((c) => c.name === "kernel")!;
    assert.equal(kernel.keys[0]!.version, "5.4.179", "the package revision and build hash are not part of the upstream version");
  });

  it("derives Debian purls (with distro) and matches Debian packages by source package, not by CPE", async () => {
    const store = memoryStore();
    const r = await importSbomFile(store, FIX + "sbom/gw300-debian11.status", { model: "GW-300", firmware: "5.0", distro: "debian-11" });
    assert.equal(r.rejected, 2);
    assert.deepEqual(r.issues.map((i) => [i.file.endsWith("gw300-debian11.status"), i.line]), [[true, 56], [true, 51]]);
    const libssl = (await store.vulns.components("GW-300", "5.0"))[0]!;
    assert.equal(libssl.purl, "pkg:deb/debian/libssl1.1@1.1.1k-1?arch=armhf&distro=debian-11");
    assert.deepEqual(libssl.keys.map((k) => [k.key, k.via, k.version, k.distro]), [
      ["purl:deb/debian/libssl1.1", "purl", "1.1.1k-1", "debian-11"],
      ["purl:deb/debian/openssl", "source", "1.1.1k-1", "debian-11"],
    ]);
  });

  it("flags versions that cannot be ordered, and replaces a firmware's inventory on re-import", async () => {
    const store = memoryStore();
    const first = await importSbomFile(store, FIX + "buildroot/raspi_manifest.csv", { model: "RPI", firmware: "1" });
    assert.deepEqual(first.unversioned, ["linux-headers custom", "rpi-firmware 3f20b832b27cd730deb6419b570f31a98167eef6", "linux custom"]);
    assert.equal(first.replaced, false);
    const again = await importSbomFile(store, FIX + "buildroot/cpe_data_pp.json", { model: "RPI", firmware: "1" });
    assert.equal(again.replaced, true);
    assert.equal(again.vex, 11);
    const comps = await store.vulns.components("RPI", "1");
    assert.equal(comps.length, 13);
    assert.equal((await store.vulns.sboms()).length, 1);
    assert.equal((await store.vulns.counts()).vex, 11);
  });

  it("warns about a purl that does not parse, with its JSON path, and keeps the component", async () => {
    const store = memoryStore();
    const r = await importSbomFile(store, FIX + "sbom/gw100-2.3.1.cdx.json", { model: "GW-100", firmware: "2.3.1" });
    const w = r.issues.find((i) => i.path === "$.components[6].purl")!;
    assert.equal(w.level, "warning");
    assert.equal(r.rejected, 1);
    assert.equal(r.components, 9);
  });

  it("reads a gzipped SBOM", async () => {
    const dir = tmp();
    const f = join(dir, "fw.cdx.json.gz");
    writeFileSync(f, gzipSync(readFileSync(FIX + "sbom/gw100-2.4.0.cdx.json")));
    const r = await importSbomFile(memoryStore(), f, { model: "GW-100", firmware: "2.4.0" });
    assert.equal(r.components, 7);
  });
});

describe("import advisories", () => {
  it("detects each feed format and counts what it read", async () => {
    const store = memoryStore();
    const r = await importAdvisoryFiles(store, [FIX + "osv/records.json", FIX + "nvd/nvdcve-2.0-sample.json", FIX + "csaf/bsi-2022-0001.json", FIX + "feeds/known_exploited_vulnerabilities.json", FIX + "feeds/epss_scores-2024-11-01.csv"]);
    assert.deepEqual(r.files.map((f) => [f.format, f.records, f.rejected]), [
      ["osv", 4, 3],
      ["nvd", 10, 0],
      ["csaf", 8, 0],
      ["kev", 2, 1],
      ["epss", 6, 2],
    ]);
    assert.equal(r.rejected, 6);
    assert.deepEqual(r.counts, { added: 15, updated: 0, unchanged: 0, older: 0, kev: 2, epss: 6, vex: 7 });
    const counts = await store.vulns.counts();
    assert.equal(counts.advisories, 15);
    assert.equal(counts.kev, 2);
  });

  it("updates records on re-import and never duplicates them; an older record does not replace a newer one", async () => {
    const store = memoryStore();
    const dir = tmp();
    const rec = JSON.parse(readFileSync(FIX + "osv/DEBIAN-CVE-2021-3711.json", "utf8")) as Record<string, unknown>;
    const f = join(dir, "a.json");
    writeFileSync(f, JSON.stringify(rec));
    assert.equal((await importAdvisoryFiles(store, [f])).counts.added, 1);
    assert.equal((await importAdvisoryFiles(store, [f])).counts.unchanged, 1);
    writeFileSync(f, JSON.stringify({ ...rec, modified: "2025-01-01T00:00:00Z", summary: "updated" }));
    assert.equal((await importAdvisoryFiles(store, [f])).counts.updated, 1);
    writeFileSync(f, JSON.stringify({ ...rec, modified: "2020-01-01T00:00:00Z", summary: "stale mirror" }));
    assert.equal((await importAdvisoryFiles(store, [f])).counts.older, 1);
    const info = await store.vulns.advisories(["DEBIAN-CVE-2021-3711"]);
    assert.equal(info.get("DEBIAN-CVE-2021-3711")!.summary, "updated");
    const counts = await store.vulns.counts();
    assert.deepEqual([counts.advisories, counts.affected], [1, 2]);
  });

  it("reads a zip of OSV records, a directory, and gzip", async () => {
    const dir = tmp();
    const zip = join(dir, "all.zip");
    writeFileSync(zip, zipSync({ "DEBIAN-CVE-2021-3711.json": readFileSync(FIX + "osv/DEBIAN-CVE-2021-3711.json"), "nested/records.json": strToU8(readFileSync(FIX + "osv/records.json", "utf8")), "README.txt": strToU8("ignored") }));
    const gz = join(dir, "nvd.json.gz");
    writeFileSync(gz, gzipSync(readFileSync(FIX + "nvd/nvdcve-2.0-sample.json")));
    const store = memoryStore();
    const r = await importAdvisoryFiles(store, [zip, gz, FIX + "csaf"]);
    assert.deepEqual(r.files.slice(0, 3).map((f) => [f.file.replace(dir, ""), f.format, f.records]), [
      ["/all.zip!DEBIAN-CVE-2021-3711.json", "osv", 1],
      ["/all.zip!nested/records.json", "osv", 4],
      ["/nvd.json.gz", "nvd", 10],
    ]);
    assert.equal(r.files.filter((f) => f.format === "csaf").length, 7);
  });

  it("reports a file it cannot read as a feed and goes on with the others", async () => {
    const dir = tmp();
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"vulnerabilities": [1, 2');
    const notFeed = join(dir, "other.json");
    writeFileSync(notFeed, '{"hello": "world"}');
    const store = memoryStore();
    const r = await importAdvisoryFiles(store, [bad, notFeed, FIX + "osv/DEBIAN-CVE-2021-3711.json"]);
    assert.deepEqual(r.issues.map((i) => [i.file.replace(dir, ""), i.line ?? i.path, i.reason]), [
      ["/bad.json", 1, "is not valid JSON: the text ends inside a list"],
      ["/other.json", "$", "is not an OSV record, NVD CVE API 2.0 document, CSAF 2.0 document or KEV catalogue"],
    ]);
    assert.equal(r.rejected, 2);
    assert.equal(r.counts.added, 1);
  });

  it("writes nothing when the import fails part-way (one transaction)", async () => {
    const store = memoryStore();
    await assert.rejects(importAdvisoryFiles(store, [FIX + "nvd/nvdcve-2.0-sample.json", FIX + "feeds/known_exploited_vulnerabilities.json", "/nonexistent/feed.json"]), /ENOENT/);
    assert.deepEqual(await store.vulns.counts(), { sboms: 0, components: 0, advisories: 0, affected: 0, kev: 0, epss: 0, vex: 0 });
    // And the store is usable afterwards.
    assert.equal((await importAdvisoryFiles(store, [FIX + "feeds/known_exploited_vulnerabilities.json"])).counts.kev, 2);
  });
});
