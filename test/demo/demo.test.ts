import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../../src/store/open.ts";
import { storedRanking } from "../../src/whatif/stored.ts";
import { generateDemoFleet } from "../../src/demo/fleet.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "../cli/run-cli.ts";

const now = Date.UTC(2026, 10, 25);

describe("demo fleet", () => {
  it("is deterministic: the same seed and date give byte-identical files", () => {
    const t = tmpDir();
    const a = generateDemoFleet({ dir: join(t.dir, "a"), devices: 400, seed: 7, now });
    const b = generateDemoFleet({ dir: join(t.dir, "b"), devices: 400, seed: 7, now });
    for (const f of ["devices.csv", "models.yaml", "credentials.csv", "longwatch.yaml"]) assert.equal(readFileSync(join(a.dir, f), "utf8"), readFileSync(join(b.dir, f), "utf8"), f);
    const certs = readdirSync(join(a.dir, "certs")).sort();
    assert.ok(certs.length > 200);
    for (const c of certs.slice(0, 50)) assert.equal(readFileSync(join(a.dir, "certs", c), "utf8"), readFileSync(join(b.dir, "certs", c), "utf8"), c);
    const other = generateDemoFleet({ dir: join(t.dir, "c"), devices: 400, seed: 8, now });
    assert.notEqual(readFileSync(join(other.dir, "devices.csv"), "utf8"), readFileSync(join(a.dir, "devices.csv"), "utf8"));
  });

  it("`longwatch demo` imports without rejects, scans at least 8 models, and writes the HTML report", async () => {
    const t = tmpDir();
    const r = await cli(["demo", "--no-serve", "--dir", join(t.dir, "demo"), "--devices", "600", "--now", "2026-11-25"], {}, t.dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /9 models imported/);
    assert.match(r.stdout, /600 devices imported, 0 rejected/);
    assert.match(r.stdout, /Open the report: .*report\.html/);
    const html = readFileSync(join(t.dir, "demo", "report.html"), "utf8");
    for (const rule of ["insecure-service", "no-ota", "support-ended", "sim-public-ip", "stale-firmware"]) assert.match(html, new RegExp(`id="rule-${rule}"`), rule);
    assert.match(html, /suppressed/);
    // Every model self-assessed against three standards and saved, for the dashboard's Certification page.
    assert.match(r.stdout, /Self-assessed 9 models against etsi-en-303-645, uk-psti, eu-cra/);
    const store = await openStore(`sqlite:${join(t.dir, "demo", ".longwatch", "longwatch.db")}`);
    try {
      const saved = await store.assessments.list({ limit: 1000 });
      assert.deepEqual([...new Set(saved.map((a) => a.standard))].sort(), ["etsi-en-303-645-v3.1.3", "eu-cra", "uk-psti"]);
      assert.equal(saved.length, 27);
      assert.ok(await store.findings.latestForecast(), "the scan stored its forecast for the dashboard");
      assert.ok((await store.graph.rankingKinds()).length > 0, "the what-if ranking is stored for the overview");
      assert.equal((await storedRanking(store, { limit: 5 })).stale, false, "made after the demo's import, so not out of date");
    } finally {
      await store.close();
    }
  });
});
