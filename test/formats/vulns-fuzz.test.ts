/**
 * Fuzzing the SBOM and advisory parsers: structural mutations of real documents (a random node replaced by a value of
 * another type, or deleted) and character-level mutations of the text formats. Parsers must never throw, and every
 * issue they report must say where it is.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseBuildrootManifest, parseBuildrootShowInfo } from "../../src/formats/buildroot.ts";
import { parseCpe } from "../../src/formats/cpe.ts";
import { parseCsaf } from "../../src/formats/csaf.ts";
import { parseCycloneDx } from "../../src/formats/cyclonedx.ts";
import { parseEpss } from "../../src/formats/epss.ts";
import { parseJsonText, type ParseIssue } from "../../src/formats/json-path.ts";
import { parseKev } from "../../src/formats/kev.ts";
import { parseNvd } from "../../src/formats/nvd.ts";
import { parseOsv } from "../../src/formats/osv.ts";
import { parseDpkgStatus, parseOpkgStatus } from "../../src/formats/package-status.ts";
import { parsePurl } from "../../src/formats/purl.ts";
import { parseSpdx } from "../../src/formats/spdx.ts";
import { parseVersionRange } from "../../src/formats/vers.ts";
import { comparators, VERSION_SCHEMES } from "../../src/vulns/versions/index.ts";
import { pick, rng } from "../helpers/random.ts";
import { FIX } from "../helpers/vulns.ts";

type R = () => number;
const json = (f: string) => JSON.parse(readFileSync(FIX + f, "utf8")) as unknown;
const text = (f: string) => readFileSync(FIX + f, "utf8");

function randomValue(r: R, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 8));
  switch (k) {
    case 0:
      return null;
    case 1:
      return Math.floor(r() * 1e6) - 500;
    case 2:
      return pick(r, ["", " ", "1.0", "*", "CVE-2021-3711", "pkg:", "cpe:2.3:a", "\u0000", "x".repeat(300), "vers:deb/<1.0"]);
    case 3:
      return r() < 0.5;
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
    default:
      return { name: randomValue(r, depth + 1), version: randomValue(r, depth + 1), type: randomValue(r, depth + 1) };
  }
}

/** Every path to a node of the document. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function mutate(doc: unknown, r: R): unknown {
  const copy = structuredClone(doc);
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
    // Paths are recomputed after each change: an earlier one may have replaced the subtree.
    const all = paths(copy).filter((p) => p.length > 0);
    if (all.length === 0) break;
    const p = pick(r, all);
    let parent = copy as Record<string | number, unknown>;
    for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = p[p.length - 1]!;
    if (r() < 0.25 && !Array.isArray(parent)) delete parent[last];
    else parent[last] = randomValue(r);
  }
  return r() < 0.03 ? randomValue(r) : copy;
}

function checkIssues(issues: readonly ParseIssue[], label: string): void {
  for (const i of issues) {
    assert.ok(i.reason.length > 0, `${label}: empty reason`);
    assert.ok(i.path !== undefined ? i.path.startsWith("$") : typeof i.line === "number" && i.line >= 1, `${label}: issue without a location: ${JSON.stringify(i)}`);
  }
}

const cmp = (s: (typeof VERSION_SCHEMES)[number]) => comparators[s];

const jsonCases: [string, string, (d: unknown) => { issues: readonly ParseIssue[] }][] = [
  ["cyclonedx", "sbom/gw100-2.3.1.cdx.json", parseCycloneDx],
  ["spdx", "sbom/gw200-1.0.spdx.json", parseSpdx],
  ["show-info", "buildroot/cpe_data_pp.json", parseBuildrootShowInfo],
  ["osv", "osv/DEBIAN-CVE-2021-3711.json", (d) => parseOsv(d, cmp)],
  ["nvd", "nvd/nvdcve-2.0-sample.json", parseNvd],
  ["csaf", "csaf/bsi-2022-0001.json", parseCsaf],
  ["csaf-vex", "csaf/sec-vex-2022-0001.json", parseCsaf],
  ["kev", "feeds/known_exploited_vulnerabilities.json", parseKev],
];

describe("fuzzing the JSON parsers", () => {
  for (const [label, file, parse] of jsonCases) {
    it(`${label}: 300 mutated documents never throw and every issue has a JSON path`, () => {
      const seed = 1000 + label.length;
      const r = rng(seed);
      const doc = json(file);
      for (let i = 0; i < 300; i++) {
        const m = mutate(doc, r);
        let res: { issues: readonly ParseIssue[] };
        try {
          res = parse(m);
        } catch (e) {
          assert.fail(`${label} seed ${seed} case ${i} threw: ${(e as Error).stack}\n${JSON.stringify(m).slice(0, 500)}`);
        }
        checkIssues(res.issues, `${label} seed ${seed} case ${i}`);
      }
    });
  }
});

function mutateText(s: string, r: R): string {
  let t = s;
  for (let n = 1 + Math.floor(r() * 6); n > 0; n--) {
    const at = Math.floor(r() * (t.length + 1));
    const k = r();
    const junk = pick(r, ["\n", "\r\n", ":", '"', ",", " ", "\t", "\u0000", "Package:", "Version:", "Status: install ok installed", "\n\n", "é", "CVE-", "#"]);
    if (k < 0.4) t = t.slice(0, at) + junk + t.slice(at);
    else if (k < 0.7) t = t.slice(0, at) + t.slice(at + Math.floor(r() * 20));
    else t = t.slice(0, at) + junk + t.slice(at + 1);
  }
  return t;
}

const textCases: [string, string, (t: string) => { issues: readonly ParseIssue[] }][] = [
  ["dpkg status", "sbom/gw300-debian11.status", parseDpkgStatus],
  ["opkg status", "sbom/gw400-openwrt.status", parseOpkgStatus],
  ["buildroot manifest", "buildroot/raspi_manifest.csv", parseBuildrootManifest],
  ["epss", "feeds/epss_scores-2024-11-01.csv", parseEpss],
];

describe("fuzzing the text parsers", () => {
  for (const [label, file, parse] of textCases) {
    it(`${label}: 300 mutated files never throw and every issue has a line`, () => {
      const r = rng(77 + label.length);
      const base = text(file);
      for (let i = 0; i < 300; i++) {
        const t = mutateText(base, r);
        const res = parse(t);
        checkIssues(res.issues, `${label} case ${i}`);
        const lines = t.split("\n").length;
        for (const iss of res.issues) if (iss.line !== undefined) assert.ok(iss.line <= lines + 1, `${label} case ${i}: line ${iss.line} beyond ${lines}`);
      }
    });
  }

  it("JSON syntax errors are located, and parseJsonText agrees with JSON.parse on 2,000 mutated texts", () => {
    const r = rng(5);
    const base = readFileSync(FIX + "sbom/gw100-2.3.1.cdx.json", "utf8");
    for (let i = 0; i < 2000; i++) {
      const t = mutateText(base, r);
      let native = true;
      try {
        JSON.parse(t);
      } catch {
        native = false;
      }
      const ours = parseJsonText(t);
      assert.equal(ours.ok, native, `case ${i}`);
      if (!ours.ok) {
        assert.ok(ours.line >= 1 && ours.line <= t.split("\n").length, `case ${i}: line ${ours.line}`);
        assert.ok(!ours.reason.includes("V8"), ours.reason);
      }
    }
  });
});

describe("fuzzing identifiers, ranges and comparators", () => {
  it("purl, CPE and vers parsers return a value or an error for any string", () => {
    const r = rng(9);
    const alphabet = "pkg:cpe2.3/@?#=&%:-_.*~<>|!vers:abc0123 \\";
    for (let i = 0; i < 5000; i++) {
      const s = Array.from({ length: Math.floor(r() * 40) }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
      for (const f of [parsePurl, parseCpe, parseVersionRange]) {
        const v = f(s) as object;
        assert.ok(typeof v === "object" && v !== null);
      }
    }
  });

  it("every comparator is total and antisymmetric on random strings", () => {
    const r = rng(11);
    const alphabet = "0123456789.-~+_^:abzAP ";
    const vs = Array.from({ length: 400 }, () => Array.from({ length: Math.floor(r() * 14) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(""));
    for (const scheme of VERSION_SCHEMES) {
      const c = comparators[scheme];
      for (let i = 0; i < vs.length; i++) {
        const a = vs[i]!;
        const b = vs[(i * 7 + 3) % vs.length]!;
        const x = Math.sign(c(a, b));
        const y = Math.sign(c(b, a));
        assert.ok(Number.isFinite(x), `${scheme}: ${a} vs ${b}`);
        assert.equal(x, y === 0 ? 0 : -y, `${scheme}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
  });
});
