import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Advisory } from "../../../src/core/advisory.ts";
import type { StoredComponent, VexStatement } from "../../../src/core/component.ts";
import type { SbomRecord } from "../../../src/store/store.ts";
import { CLOCK_MS, type ContractContext } from "./context.ts";

const adv = (id: string, extra: Partial<Advisory> = {}): Advisory => ({
  id,
  source: "osv",
  aliases: [],
  references: [],
  affected: [{ key: "purl:deb/debian/openssl", scheme: "dpkg", ranges: [{ introduced: "0", fixed: "3.0.1" }], versions: [] }],
  ...extra,
});

const comp = (name: string, version: string): StoredComponent => ({ name, version, keys: [{ key: `purl:deb/debian/${name}`, version, scheme: "dpkg", via: "purl" }] });
const sbom = (model: string, fw: string, n: number): SbomRecord => ({ model_id: model, firmware_version: fw, format: "cyclonedx", source: `${model}.json`, imported_at: "2026-11-25T00:00:00Z", component_count: n });
const vex = (vuln: string, source: string): VexStatement => ({ vuln_id: vuln, status: "not_affected", source, product: { kind: "component", model_id: "m", firmware_version: "1" } });

export function vulnsContract(c: ContractContext): void {
  describe(`vulnerability data (${c.target.name})`, () => {
    it("replaces a firmware image's inventory and its embedded VEX as one, keeping component order", async () => {
      const store = await c.fresh();
      assert.deepEqual(await store.vulns.replaceSbom(sbom("m", "1", 2), [comp("openssl", "1.1"), comp("zlib", "1.2")], [vex("cve-2024-1", "x")]), { replaced: false });
      assert.deepEqual(await store.vulns.replaceSbom(sbom("m", "1", 3), [comp("busybox", "1.3"), comp("openssl", "3.0"), comp("zlib", "1.2")], []), { replaced: true });
      await store.vulns.replaceSbom(sbom("m", "2", 1), [comp("zlib", "1.2")], []);
      assert.deepEqual((await store.vulns.components("m", "1")).map((x) => x.name), ["busybox", "openssl", "zlib"]);
      assert.deepEqual(await store.vulns.vex(["CVE-2024-1"]), [], "the image's old statements went with it");
      const shared = new Map<string, StoredComponent>();
      const [a, b] = [await store.vulns.components("m", "1", shared), await store.vulns.components("m", "2", shared)];
      assert.equal(a[2], b[0], "identical components come back as one object");
      assert.deepEqual((await store.vulns.sboms()).map((s) => `${s.model_id}@${s.firmware_version}:${s.component_count}`), ["m@1:3", "m@2:1"]);
      assert.deepEqual(await store.vulns.components("m", "9"), []);
    });

    it("writes advisories by id: added, unchanged, updated, older kept; withdrawn ones affect nothing", async () => {
      const store = await c.fresh();
      const r1 = await store.transaction((tx) => tx.vulns.putAdvisories([adv("OSV-1", { aliases: ["cve-2024-0001"], modified: "2024-02-01" }), adv("OSV-2")]));
      assert.deepEqual([r1.added, r1.updated, r1.unchanged, r1.older], [2, 0, 0, 0]);
      const r2 = await store.vulns.putAdvisories([
        adv("OSV-1", { aliases: ["cve-2024-0001"], modified: "2024-02-01" }),
        adv("OSV-2", { summary: "now with words", modified: "2024-03-01" }),
      ]);
      assert.deepEqual([r2.added, r2.updated, r2.unchanged, r2.older], [0, 1, 1, 0]);
      const r3 = await store.vulns.putAdvisories([adv("OSV-1", { summary: "stale", modified: "2024-01-01" }), adv("OSV-3", { withdrawn: "2024-05-01" })]);
      assert.deepEqual([r3.added, r3.updated, r3.unchanged, r3.older], [1, 0, 0, 1]);
      const hits = await store.vulns.affectedByKeys(["purl:deb/debian/openssl", "purl:deb/debian/none"]);
      assert.deepEqual(hits.get("purl:deb/debian/openssl")!.map((h) => h.advisory_id).sort(), ["OSV-1", "OSV-2"]);
      assert.equal(hits.has("purl:deb/debian/none"), false);
      const infos = await store.vulns.advisories(["OSV-2", "OSV-9"]);
      assert.equal(infos.get("OSV-2")!.summary, "now with words");
      assert.equal(infos.has("OSV-9"), false);
      assert.deepEqual((await store.vulns.advisoriesAbout(["CVE-2024-0001"])).map((a) => a.id), ["OSV-1"], "CVE aliases match whatever their case");
      assert.equal((await store.vulns.counts()).advisories, 3);
    });

    it("keeps KEV and EPSS by CVE (a score is replaced only by a later one) and filters known-exploited matches", async () => {
      const store = await c.fresh();
      await store.vulns.putAdvisories([adv("OSV-1", { aliases: ["CVE-2024-0001"] }), adv("OSV-2", { aliases: ["CVE-2024-0002"] })]);
      await store.vulns.putKev([{ cve_id: "cve-2024-0001", vendor: "Acme" }]);
      await store.vulns.putKev([{ cve_id: "CVE-2024-0001", vendor: "Acme Corp" }]);
      assert.deepEqual([...(await store.vulns.kev(["CVE-2024-0001", "CVE-2024-0002"])).entries()], [["CVE-2024-0001", { cve_id: "CVE-2024-0001", vendor: "Acme Corp" }]]);
      const exploited = await store.vulns.affectedByKeys(["purl:deb/debian/openssl"], { knownExploited: true });
      assert.deepEqual(exploited.get("purl:deb/debian/openssl")!.map((h) => h.advisory_id), ["OSV-1"]);
      await store.vulns.putEpss([{ cve_id: "CVE-2024-0001", epss: 0.5, percentile: 0.9, date: "2026-11-20" }]);
      await store.vulns.putEpss([{ cve_id: "CVE-2024-0001", epss: 0.1, percentile: 0.2, date: "2026-11-01" }]);
      assert.deepEqual((await store.vulns.epss(["cve-2024-0001"])).get("CVE-2024-0001"), { cve_id: "CVE-2024-0001", epss: 0.5, percentile: 0.9, date: "2026-11-20" });
      await store.vulns.putEpss([{ cve_id: "CVE-2024-0001", epss: 0.7, percentile: 0.95, date: "2026-11-24" }]);
      assert.equal((await store.vulns.epss(["CVE-2024-0001"])).get("CVE-2024-0001")!.epss, 0.7);
    });

    it("replaces VEX statements per source and notes feed imports with the store's clock", async () => {
      const store = await c.fresh();
      await store.vulns.replaceVex("csaf-1", [vex("CVE-2024-1", "csaf-1"), vex("CVE-2024-2", "csaf-1")]);
      await store.vulns.replaceVex("csaf-2", [vex("cve-2024-1", "csaf-2")]);
      await store.vulns.replaceVex("csaf-1", [vex("CVE-2024-3", "csaf-1")]);
      assert.deepEqual((await store.vulns.vex(["CVE-2024-1", "CVE-2024-2", "CVE-2024-3"])).map((s) => `${s.source}:${s.vuln_id}`), ["csaf-2:cve-2024-1", "csaf-1:CVE-2024-3"]);
      await store.vulns.recordFeed("kev", "kev.json", { entries: 3, note: "Ünïcode ☃" });
      await store.vulns.recordFeed("osv", "all.zip", { advisories: 10 });
      assert.deepEqual(await store.vulns.feedImports(), [
        { kind: "kev", source: "kev.json", imported_at: new Date(CLOCK_MS).toISOString(), detail: { entries: 3, note: "Ünïcode ☃" } },
        { kind: "osv", source: "all.zip", imported_at: new Date(CLOCK_MS).toISOString(), detail: { advisories: 10 } },
      ]);
      const n = await store.vulns.counts();
      assert.deepEqual([n.vex, n.kev, n.epss, n.sboms], [2, 0, 0, 0]);
    });

    it("a feed import that fails half-way leaves the store as it was", async () => {
      const store = await c.fresh();
      await store.vulns.putAdvisories([adv("OSV-1")]);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.vulns.putAdvisories([adv("OSV-2"), adv("OSV-1", { summary: "changed" })]);
          await tx.vulns.putKev([{ cve_id: "CVE-2024-9" }]);
          throw new Error("bad zip entry");
        }),
        /bad zip entry/,
      );
      const n = await store.vulns.counts();
      assert.deepEqual([n.advisories, n.kev, n.affected], [1, 0, 1]);
      assert.equal((await store.vulns.advisories(["OSV-1"])).get("OSV-1")!.summary, undefined);
    });
  });
}
