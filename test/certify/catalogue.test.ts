import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CatalogueError, DEFAULT_CATALOGUE_DIR, catalogues, parseCatalogue, type Catalogue } from "../../src/certify/catalogue.ts";

const set = catalogues();
const get = (key: string): Catalogue => {
  const c = set.get(key);
  assert.ok(c, `catalogue ${key} is shipped`);
  return c;
};
const counts = (c: Catalogue) => ({ total: c.provisions.length, M: c.provisions.filter((p) => p.mandatory).length, R: c.provisions.filter((p) => !p.mandatory).length });

// ETSI EN 303 645 V3.1.3 Annex B table B.1 as transcribed in ../shared/research/standards.md §1.3: id → status.
const V3_TABLE = `
5.0-1 M | 5.1-1 MF(a) | 5.1-2 MF(b) | 5.1-2A R | 5.1-3 MF(c) | 5.1-4 MF(d) | 5.1-5 MCF(14,e) | 5.2-1 M | 5.2-2 R | 5.2-3 R |
5.3-1 RF(f) | 5.3-2 MC(15) | 5.3-3 MF(g) | 5.3-4A RF(g) | 5.3-4B RF(h) | 5.3-5 RF(g) | 5.3-6A RF(h) | 5.3-6B RF(i) | 5.3-7 MF(g) |
5.3-8 MC(12) | 5.3-9 RF(g) | 5.3-10 MF(j) | 5.3-11 RC(12) | 5.3-12 RC(12) | 5.3-13 M | 5.3-14 RC(3) | 5.3-15A RC(3) | 5.3-15B RC(3) |
5.3-16 M | 5.4-1 MF(k) | 5.4-2 MF(l) | 5.4-3 M | 5.4-4 MF(m) | 5.5-1 M | 5.5-2 R | 5.5-3 R | 5.5-4 R | 5.5-5 MF(n) | 5.5-6 RF(o) |
5.5-7 MF(o) | 5.5-8 MC(16) | 5.6-1 MF(p) | 5.6-2 M | 5.6-3 R | 5.6-4A MF(q) | 5.6-4B RF(r) | 5.6-5 R | 5.6-6 R | 5.6-7 R | 5.6-8 R |
5.6-9 R | 5.7-1 R | 5.7-2 RF(s) | 5.8-1 RF(t) | 5.8-2 MF(u) | 5.8-3 MF(v) | 5.9-1 R | 5.9-2 R | 5.9-3 R | 5.10-1 RF(w) | 5.11-1 M |
5.11-2 RF(x) | 5.11-3 R | 5.11-4 R | 5.12-1 R | 5.12-2 R | 5.12-3 R | 5.13-1A M | 5.13-1B M | 6-1 M | 6-2 MF(y) | 6-3A MF(y) |
6-3B MF(y) | 6-4 RF(w) | 6-5 MF(w) | 6-6 MF(z) | 6-7 RF(aa) | 6-8 RF(z)`;

// V2.1.1 Annex B (ICS pro forma), research §1.2, written with the same notation (C = condition numbers).
const V2_TABLE = `
4-1 M | 5.1-1 MC(1) | 5.1-2 MC(2) | 5.1-3 M | 5.1-4 MC(8) | 5.1-5 MC(5) | 5.2-1 M | 5.2-2 R | 5.2-3 R | 5.3-1 R | 5.3-2 MC(5) |
5.3-3 MC(12) | 5.3-4 RC(12) | 5.3-5 RC(12) | 5.3-6 RC(9,12) | 5.3-7 MC(12) | 5.3-8 MC(12) | 5.3-9 RC(12) | 5.3-10 MC(11,12) |
5.3-11 RC(12) | 5.3-12 RC(12) | 5.3-13 M | 5.3-14 RC(3,4) | 5.3-15 RC(3,4) | 5.3-16 M | 5.4-1 M | 5.4-2 MC(10) | 5.4-3 M | 5.4-4 M |
5.5-1 M | 5.5-2 R | 5.5-3 R | 5.5-4 R | 5.5-5 M | 5.5-6 R | 5.5-7 M | 5.5-8 M | 5.6-1 M | 5.6-2 M | 5.6-3 R | 5.6-4 MC(13) | 5.6-5 R |
5.6-6 R | 5.6-7 R | 5.6-8 R | 5.6-9 R | 5.7-1 R | 5.7-2 R | 5.8-1 R | 5.8-2 M | 5.8-3 M | 5.9-1 R | 5.9-2 R | 5.9-3 R | 5.10-1 RC(6) |
5.11-1 M | 5.11-2 R | 5.11-3 R | 5.11-4 R | 5.12-1 R | 5.12-2 R | 5.12-3 R | 5.13-1 M | 6-1 M | 6-2 MC(7) | 6-3 M | 6-4 RC(6) | 6-5 MC(6)`;

const table = (t: string) => t.split("|").map((x) => x.trim()).filter(Boolean).map((x) => x.split(" ") as [string, string]);

describe("ETSI EN 303 645 catalogues", () => {
  it("V3.1.3 has all 78 provisions: 36 mandatory, 42 recommended, each with the table's status and conditions", () => {
    const c = get("etsi-en-303-645-v3.1.3");
    assert.deepEqual(counts(c), { total: 78, M: 36, R: 42 });
    assert.deepEqual(c.provisions.map((p) => [p.id, p.notation]), table(V3_TABLE));
    assert.equal(c.isDefault, true);
    assert.equal(set.find("etsi-en-303-645")?.key, "etsi-en-303-645-v3.1.3", "V3.1.3 is the default version");
  });

  it("V2.1.1 has 68 provisions (33 mandatory with 4-1, 35 recommended) with the ICS statuses", () => {
    const c = get("etsi-en-303-645-v2.1.1");
    assert.deepEqual(counts(c), { total: 68, M: 33, R: 35 });
    assert.deepEqual(c.provisions.map((p) => [p.id, p.notation]), table(V2_TABLE));
    assert.equal(set.find("etsi-en-303-645", "2.1.1")?.key, c.key);
    // The research marks 5.3-10's "C" as a probable transcription slip: encoded, but flagged as unverified.
    assert.equal(c.byId.get("5.3-10")!.statusVerified, false);
  });

  it("maps every V2.1.1 provision onto V3.1.3, and every V3.1.3 provision back, except those new in V3", () => {
    const v2 = get("etsi-en-303-645-v2.1.1");
    const v3 = get("etsi-en-303-645-v3.1.3");
    assert.equal(v2.rule_refs_via, v3.key);
    const covered = new Set(v2.provisions.flatMap((p) => p.ruleIds));
    for (const id of covered) assert.ok(v3.byId.has(id), `${id} exists in V3.1.3`);
    const newInV3 = v3.provisions.map((p) => p.id).filter((id) => !covered.has(id));
    assert.deepEqual(newInV3, ["5.1-2A", "6-3B", "6-6", "6-7", "6-8"]);
    assert.deepEqual(v2.byId.get("5.6-4")!.ruleIds, ["5.6-4A", "5.6-4B"]);
    assert.deepEqual(v2.byId.get("4-1")!.ruleIds, ["5.0-1"]);
  });

  it("marks the V3.1.3 provisions whose wording could not be verified", () => {
    const c = get("etsi-en-303-645-v3.1.3");
    const unverified = c.provisions.filter((p) => p.wording === "unverified").map((p) => p.id);
    assert.deepEqual(unverified, ["5.1-2A", "5.3-4A", "5.3-4B", "5.3-6A", "5.3-6B", "5.3-15A", "5.3-15B", "5.6-4B", "6-7", "6-8"]);
  });

  it("only conditional provisions have conditions, and every condition they name exists", () => {
    for (const c of set.all) {
      for (const p of c.provisions) {
        const conditional = /C|F/.test(p.notation.slice(1));
        assert.equal(conditional, p.appliesIf.length > 0, `${c.key} ${p.id} ${p.notation}`);
        for (const cond of p.appliesIf) assert.equal(c.conditions.get(cond.id), cond);
      }
    }
  });
});

describe("other catalogues", () => {
  it("UK PSTI: the three security requirements with their deemed-compliance routes", () => {
    const c = get("uk-psti");
    assert.deepEqual(c.provisions.map((p) => [p.id, p.notation, p.legalRef]), [
      ["1", "MC(uses-passwords)", "Schedule 1, paragraph 1"],
      ["2", "M", "Schedule 1, paragraph 2"],
      ["3", "MC(receives-updates)", "Schedule 1, paragraph 3"],
    ]);
    const routes = (id: string) => c.byId.get(id)!.deemed.map((r) => [r.catalogue ?? "external", (r.provisions ?? []).join(","), r.verified]);
    assert.deepEqual(routes("1"), [["etsi-en-303-645-v2.1.1", "5.1-1,5.1-2", true]]);
    assert.deepEqual(routes("2"), [["etsi-en-303-645-v2.1.1", "5.2-1", true], ["external", "", true]]);
    assert.deepEqual(routes("3"), [["etsi-en-303-645-v2.1.1", "5.3-13", false]], "the requirement 3 route is not verified");
    assert.equal(c.dates[0]!.date, "2024-04-29");
    assert.equal(c.statement_of_compliance!.verified, false);
  });

  it("EU CRA: Annex I Part I (1, 2a-2m) and Part II (1-8), dates and Article 14 deadlines", () => {
    const c = get("eu-cra");
    const letters = "abcdefghijklm".split("").map((l) => `I.1.2.${l}`);
    assert.deepEqual(c.provisions.map((p) => p.id), ["I.1.1", ...letters, ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `I.2.${n}`)]);
    assert.ok(c.provisions.every((p) => p.mandatory));
    assert.ok(c.provisions.filter((p) => p.part === "I" && p.id !== "I.1.1").every((p) => p.appliesIf[0]?.per_provision), "Part I (2) applies where applicable");
    assert.deepEqual(c.dates.map((d) => d.date), ["2024-12-10", "2026-06-11", "2026-09-11", "2027-12-11"]);
    const steps = c.reporting!.deadlines.map((d) => d.steps.map((s) => s.within));
    assert.deepEqual(steps, [["24 hours", "72 hours", "14 days"], ["24 hours", "72 hours", "one month"]]);
    assert.equal(c.technical_documentation!.items.length, 8);
  });

  it("NISTIR 8259A: the six capabilities; OWASP IoT 2018: I1-I10", () => {
    assert.deepEqual(get("nistir-8259a").provisions.map((p) => p.id), [
      "device-identification",
      "device-configuration",
      "data-protection",
      "logical-access-to-interfaces",
      "software-update",
      "cybersecurity-state-awareness",
    ]);
    assert.deepEqual(get("owasp-iot-2018").provisions.map((p) => p.id), ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "I9", "I10"]);
  });

  it("gives every provision of every catalogue a title and guidance", () => {
    for (const c of set.all) for (const p of c.provisions) assert.ok(p.title.length > 10 && p.guidance.length > 20, `${c.key} ${p.id}`);
  });
});

describe("catalogue files", () => {
  // Distinctive phrases of the standards' own provision texts: the catalogues explain in their own words.
  const VERBATIM = [
    "shall be unique per device or defined by the user",
    "make a vulnerability disclosure policy publicly available",
    "in an accessible way that is clear and transparent to the user, the defined support period",
    "All unused network and logical interfaces shall be disabled",
    "Sensitive security parameters in persistent storage shall be stored securely",
    "Use of easily bruteforced, publicly available, or unchangeable credentials",
    "be made available on the market without known exploitable vulnerabilities",
    "The IoT device can be uniquely identified logically and physically",
  ];

  it("do not reproduce the standards' provision texts", () => {
    for (const f of readdirSync(DEFAULT_CATALOGUE_DIR).filter((x) => x.endsWith(".yaml"))) {
      const text = readFileSync(join(DEFAULT_CATALOGUE_DIR, f), "utf8").replace(/\s+/g, " ").toLowerCase();
      for (const v of VERBATIM) assert.ok(!text.includes(v.toLowerCase()), `${f} quotes "${v}"`);
    }
  });

  it("report schema and consistency errors with their line numbers", () => {
    const bad = ["standard: OWASP-IoT-2018", "key: x", "cli: x", "version: '1'", "title: X", "published: 2018", "source: https://example.org", "about: test", "provisions:", "  - id: I1", "    status: X", "    title: t", "    guidance: g"].join("\n");
    assert.throws(() => parseCatalogue(bad, "bad.yaml"), (e: unknown) => e instanceof CatalogueError && /bad\.yaml:11:\d+: error: provisions\.0\.status/.test(e.message));
    const badRef = bad.replace("status: X", "status: M\n    applies_if: [nope]");
    assert.throws(() => parseCatalogue(badRef, "ref.yaml"), (e: unknown) => e instanceof CatalogueError && /ref\.yaml:12:\d+: .*no condition "nope"/.test(e.message));
  });
});

describe("certify --help", () => {
  it("names exactly the standards and versions the catalogues hold (the help text is static for a fast start)", async () => {
    const help = /"the standard: ([^"]+)"/.exec(readFileSync(new URL("../../src/cli/certify.ts", import.meta.url), "utf8"))![1]!;
    const set = catalogues();
    const expected = set
      .standards()
      .map((s) => (set.versions(s).length > 1 ? `${s} (--version ${[set.find(s)!.version, ...set.versions(s).filter((v) => v !== set.find(s)!.version)].join(" | ")})` : s))
      .sort();
    assert.deepEqual(help.split(", ").sort(), expected);
  });
});
