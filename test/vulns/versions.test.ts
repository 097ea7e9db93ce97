import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import semver from "semver";
import { compareGenericVersions, isOrderableVersion } from "../../src/core/version.ts";
import { compareApkVersions } from "../../src/vulns/versions/apk.ts";
import { compareDebianVersions, isDebianVersion } from "../../src/vulns/versions/dpkg.ts";
import { opkgUpstream } from "../../src/vulns/versions/opkg.ts";
import { compareRpmVersions } from "../../src/vulns/versions/rpm.ts";
import { compareSemver } from "../../src/vulns/versions/semver.ts";
import { rng } from "../helpers/random.ts";
import { near, randomDebianVersion, randomSemver } from "../helpers/versions.ts";

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Asks dpkg to order each pair: one bash loop per half, so the two cores share the work. */
async function dpkgOrder(pairs: [string, string][]): Promise<number[]> {
  const script = `while IFS=$'\\t' read -r a b; do
    if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi
  done`;
  const half = Math.ceil(pairs.length / 2);
  const run = (part: [string, string][]) =>
    new Promise<number[]>((resolve, reject) => {
      const p = spawn("bash", ["-c", script], { stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      p.stdout.on("data", (d: Buffer) => (out += d.toString()));
      p.on("error", reject);
      p.on("close", (code) => (code === 0 ? resolve(out.trim().split("\n").map(Number)) : reject(new Error(`dpkg loop exited ${code}`))));
      p.stdin.end(part.map(([a, b]) => `${a}\t${b}\n`).join(""));
    });
  const [x, y] = await Promise.all([run(pairs.slice(0, half)), run(pairs.slice(half))]);
  return [...x, ...y];
}

describe("Debian versions", () => {
  it("agree with dpkg --compare-versions on 5,000 random pairs", async () => {
    const r = rng(20241112);
    const pairs: [string, string][] = [];
    for (let i = 0; i < 5000; i++) {
      const a = randomDebianVersion(r);
      let b = near(r, a, randomDebianVersion);
      // Only versions dpkg accepts: the oracle answers nothing useful about the others.
      if (!isDebianVersion(b) || b.endsWith("-")) b = randomDebianVersion(r);
      pairs.push([a, b]);
    }
    const expected = await dpkgOrder(pairs);
    assert.equal(expected.length, pairs.length);
    const wrong = pairs.filter(([a, b], i) => sign(compareDebianVersions(a, b)) !== expected[i]);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${pairs.length} pairs ordered differently from dpkg`);
    // The sample must exercise every outcome, or the agreement proves little.
    for (const o of [-1, 0, 1]) assert.ok(expected.filter((e) => e === o).length > 20, `outcome ${o} is rare in the sample`);
  });

  it("orders the documented cases", () => {
    assert.equal(compareDebianVersions("1.0~rc1", "1.0"), -1);
    assert.equal(compareDebianVersions("1:0.9", "2.0"), 1);
    assert.equal(compareDebianVersions("3.0.11-1~deb12u2", "3.0.11-1"), -1);
    assert.equal(compareDebianVersions("1.0", "1.0-0"), 0);
    assert.equal(compareDebianVersions("1.001", "1.1"), 0);
  });
});

describe("RPM versions", () => {
  it("agree with rpm.vercmp on the recorded oracle pairs", () => {
    const lines = readFileSync(new URL("../fixtures/versions/rpm-oracle.tsv", import.meta.url), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    assert.ok(lines.length >= 3000);
    const wrong = lines.filter((l) => {
      const [a, b, want] = l.split("\t");
      return sign(compareRpmVersions(a!, b!)) !== Number(want);
    });
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} pairs disagree with rpm`);
  });

  it("orders tilde pre-releases and caret snapshots", () => {
    assert.equal(compareRpmVersions("1.0~rc1", "1.0"), -1);
    assert.equal(compareRpmVersions("1.0^git1", "1.0"), 1);
    assert.equal(compareRpmVersions("1.0^git1", "1.0.1"), -1);
    assert.equal(compareRpmVersions("1:1.0", "2.0"), 1);
    assert.equal(compareRpmVersions("1.0-1.el8", "1.0-1.el8_2"), -1);
  });
});

describe("Alpine apk versions", () => {
  // Each line: a, expected order, b — the rules from apk's version format (pkgver in the APKBUILD reference).
  const cases: [string, "<" | "=" | ">", string][] = [
    ["1.0", "<", "1.0.1"],
    ["1.2.1", ">", "1.2"],
    ["1.1_alpha1", "<", "1.1"],
    ["1.1_alpha1", "<", "1.1_alpha2"],
    ["1.1_alpha9", "<", "1.1_beta1"],
    ["1.1_beta1", "<", "1.1_pre1"],
    ["1.1_pre1", "<", "1.1_rc1"],
    ["1.1_rc1", "<", "1.1"],
    ["1.1", "<", "1.1_p1"],
    ["1.1_cvs", "<", "1.1_p1"],
    ["1.1_git20240101", "<", "1.1_hg1"],
    ["3.1_p16", "<", "3.1_p17"],
    ["1.7", "<", "1.7b"],
    ["2.5.1-r8", "<", "2.5.1a-r1"],
    ["1.0.4-r3", "<", "1.0.4-r4"],
    ["1.2.2-r1", ">", "1.2.2"],
    ["1.02", "<", "1.1"],
    ["1.2.07", "<", "1.2.1"],
    ["006", ">", "1.0"],
    ["0.1.0_alpha_pre2", "<", "0.1.0_alpha"],
    ["1.3_pre1-r1", "<", "1.3.2"],
    ["1.0_p10-r0", ">", "1.0_p9-r0"],
    ["3.0.11-r0", "<", "3.0.12-r0"],
    ["3.1.4-r5", ">", "3.1.4-r4"],
    ["20240101", ">", "2.38"],
    ["2.0.6", "=", "2.0.6"],
    ["1.0", "<", "1.0bc"],
    ["23_foo", ">", "4_beta"],
  ];
  for (const [a, op, b] of cases) {
    it(`${a} ${op} ${b}`, () => {
      const want = op === "<" ? -1 : op === "=" ? 0 : 1;
      assert.equal(sign(compareApkVersions(a, b)), want);
      assert.equal(sign(compareApkVersions(b, a)), sign(-want));
    });
  }
});

describe("semver", () => {
  it("agrees with the semver package on 5,000 random pairs", () => {
    const r = rng(2030);
    for (let i = 0; i < 5000; i++) {
      const a = randomSemver(r);
      const b = r() < 0.5 ? randomSemver(r) : a.replace(/\d+$/, (d) => String(Number(d) + 1));
      if (!semver.valid(b)) continue;
      assert.equal(sign(compareSemver(a, b)), semver.compare(a, b), `${a} vs ${b}`);
    }
  });

  it("accepts Go's v prefix and ignores build metadata", () => {
    assert.equal(compareSemver("v1.2.3", "1.2.3"), 0);
    assert.equal(compareSemver("1.2.3+a", "1.2.3+b"), 0);
    assert.equal(compareSemver("1.0.0-rc.1", "1.0.0"), -1);
  });

  it("falls back to the generic scheme for strings that are not semver", () => {
    assert.equal(compareSemver("1.2", "1.10"), -1);
  });
});

describe("generic versions", () => {
  const cases: [string, "<" | "=" | ">", string][] = [
    ["1.1.1i", "<", "1.1.1k"],
    ["1.1.1", "<", "1.1.1a"],
    ["1.1.1w", "<", "3.0.0"],
    ["1.0.2zg", ">", "1.0.2z"],
    ["2018.76", "<", "2020.81"],
    ["2022.83", ">", "2022.82"],
    ["1.29.3", "<", "1.36.1"],
    ["1.36.1", ">", "1.36"],
    ["4.2.8p15", ">", "4.2.8"],
    ["4.2.8p15", "<", "4.2.8p17"],
    ["9.3p2", ">", "9.3p1"],
    ["2.0rc1", "<", "2.0"],
    ["2.0-beta2", "<", "2.0"],
    ["2.0.1", ">", "2.0rc1"],
    ["v1.2.3", "=", "1.2.3"],
    ["2.36-81-g4f4d7a13edfd", ">", "2.36"],
    ["2.36-81-g4f4d7a13edfd", "<", "2.37"],
    ["2.36-81-g4f4d7a13edfd", "=", "2.36-81-gdeadbeef00"],
    ["1.0", "=", "1.0"],
    ["10.0", ">", "9.99"],
    ["123456789012345678901234", ">", "123456789012345678901233"],
    ["123456789012345678901234", ">", "99"],
  ];
  for (const [a, op, b] of cases) {
    it(`${a} ${op} ${b}`, () => {
      const want = op === "<" ? -1 : op === "=" ? 0 : 1;
      assert.equal(sign(compareGenericVersions(a, b)), want);
      assert.equal(sign(compareGenericVersions(b, a)), sign(-want));
    });
  }

  it("is a total order on random upstream strings (antisymmetric and transitive)", () => {
    const r = rng(7);
    const vs = Array.from({ length: 300 }, () => randomDebianVersion(r).replace(/^\d+:/, ""));
    const sorted = [...vs].sort(compareGenericVersions);
    for (let i = 1; i < sorted.length; i++) assert.ok(compareGenericVersions(sorted[i - 1]!, sorted[i]!) <= 0);
    for (const a of vs.slice(0, 60)) for (const b of vs.slice(0, 60)) assert.equal(sign(compareGenericVersions(a, b)), sign(-compareGenericVersions(b, a)));
  });

  it("knows which strings cannot be ordered", () => {
    assert.equal(isOrderableVersion("custom"), false);
    assert.equal(isOrderableVersion("3f20b832b27cd730deb6419b570f31a98167eef6"), false);
    assert.equal(isOrderableVersion("1.36.1"), true);
    assert.equal(isOrderableVersion("2018.76"), true);
  });
});

describe("opkg versions", () => {
  it("splits the upstream version from the package revision", () => {
    assert.equal(opkgUpstream("1.1.1k-1"), "1.1.1k");
    assert.equal(opkgUpstream("2:5.4-3"), "5.4");
    assert.equal(opkgUpstream("2022.82"), "2022.82");
  });
});
