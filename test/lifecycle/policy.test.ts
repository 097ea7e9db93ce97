import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAlgorithm, strengthOfModulus } from "../../src/lifecycle/algorithms.ts";
import { judgeAlgorithm, judgeHash, loadCryptoPolicy, PolicyError, shippedPolicy } from "../../src/lifecycle/policy.ts";

const FIX = new URL("../fixtures/lifecycle/", import.meta.url).pathname;
const judge = (name: string) => {
  const a = parseAlgorithm(name);
  assert.ok(a, `${name} parses`);
  return judgeAlgorithm(shippedPolicy(), a);
};

describe("algorithm names", () => {
  it("reads family and security strength (SP 800-57 Table 2)", () => {
    const cases: [string, string, number | undefined][] = [
      ["rsa-1024", "rsa", 80],
      ["RSA-2048", "rsa", 112],
      ["rsa3072", "rsa", 128],
      ["dh-2048", "dh", 112],
      ["ffdhe4096", "dh", 128],
      ["ecdh-p256", "ecdh", 128],
      ["ecdsa-p384", "ecdsa", 192],
      ["ecdsa_secp256r1", "ecdsa", 128],
      ["ecdh-p224", "ecdh", 112],
      ["ecdsa-brainpoolP512r1", "ecdsa", 256],
      ["x25519", "ecdh", 128],
      ["ed25519", "eddsa", 128],
      ["ml-kem-768", "ml-kem", 192],
      ["ML-DSA-65", "ml-dsa", 192],
      ["slh-dsa-sha2-128s", "slh-dsa", 128],
      ["lms-sha256", "lms", undefined],
      ["psk", "psk", undefined],
      ["aes-128-gcm", "aes", 128],
      ["3des", "tdea", 112],
      ["rsa", "rsa", undefined],
    ];
    for (const [name, family, strength] of cases) assert.deepEqual([parseAlgorithm(name)?.family, parseAlgorithm(name)?.strength], [family, strength], name);
    assert.equal(parseAlgorithm("rot13"), undefined);
    assert.equal(strengthOfModulus(15360), 256);
  });
});

describe("the shipped crypto policy", () => {
  it("dates the quantum transition as NIST IR 8547 ipd does", () => {
    assert.deepEqual([judge("rsa-2048").deprecated_from, judge("rsa-2048").disallowed_from], ["2031-01-01", "2036-01-01"]);
    assert.deepEqual([judge("ecdh-p224").deprecated_from, judge("ecdh-p224").disallowed_from], ["2031-01-01", "2036-01-01"]);
    assert.deepEqual([judge("ecdsa-p256").deprecated_from, judge("ecdsa-p256").disallowed_from], [undefined, "2036-01-01"]);
    assert.equal(judge("x25519").disallowed_from, "2036-01-01");
    assert.equal(judge("ed25519").disallowed_from, "2036-01-01");
    assert.equal(judge("rsa-4096").rule!.source, "nist-ir-8547-ipd");
  });

  it("already disallows RSA under 2048 bits, DSA, SHA-1 and MD5 signatures", () => {
    assert.equal(judge("rsa-1024").disallowed_from, "2014-01-01");
    assert.equal(judge("dh-1024").disallowed_from, "2014-01-01");
    assert.equal(judge("dsa-2048").disallowed_from, "2023-02-03");
    assert.equal(judgeHash(shippedPolicy(), "sha1").disallowed_from, "2014-01-01");
    assert.equal(judgeHash(shippedPolicy(), "SHA-1").disallowed_from, "2014-01-01");
    assert.equal(judgeHash(shippedPolicy(), "md5").disallowed_from, "2011-03-01");
    assert.equal(judgeHash(shippedPolicy(), "sha256").rule, undefined);
  });

  it("sets no date for post-quantum and symmetric algorithms", () => {
    for (const a of ["ml-kem-768", "ml-dsa-65", "slh-dsa-sha2-128s", "lms", "psk"]) {
      const v = judge(a);
      assert.equal(v.disallowed_from, undefined, a);
      assert.equal(v.quantum_resistant, true, a);
    }
  });

  it("uses the latest date of any size when the key size is not given, and says so", () => {
    const v = judge("rsa");
    assert.equal(v.disallowed_from, "2036-01-01");
    assert.equal(v.strength_unknown, true);
  });
});

describe("overriding the policy", () => {
  it("puts the user's rules first, replacing shipped rules with the same id, and records both versions", () => {
    const p = loadCryptoPolicy(FIX + "stricter-policy.yaml");
    assert.equal(p.version, "acme-2025-1 (over 2024-11-12+sp800-131a-r2)");
    assert.equal(judgeAlgorithm(p, parseAlgorithm("ecdsa-p256")!).disallowed_from, "2031-01-01");
    assert.equal(judgeAlgorithm(p, parseAlgorithm("rsa-2048")!).disallowed_from, "2036-01-01", "shipped rules the user did not touch still apply");
    assert.equal(p.rules.filter((r) => r.id === "classical-128-bits-and-up").length, 1);
    assert.ok(p.sources["cnsa-2.0"]);
  });

  it("with extends: none, only the user's rules apply", () => {
    const dir = mkdtempSync(join(tmpdir(), "lw-policy-"));
    const f = join(dir, "p.yaml");
    writeFileSync(f, "version: 1\nextends: none\nrules:\n  - id: only\n    families: [rsa]\n    disallowed_from: 2027-01-01\n");
    const p = loadCryptoPolicy(f);
    assert.equal(judgeAlgorithm(p, parseAlgorithm("rsa-4096")!).disallowed_from, "2027-01-01");
    assert.equal(judgeAlgorithm(p, parseAlgorithm("ecdh-p256")!).disallowed_from, undefined);
  });

  it("names the file and field of a mistake", () => {
    const dir = mkdtempSync(join(tmpdir(), "lw-policy-"));
    const f = join(dir, "bad.yaml");
    writeFileSync(f, "version: x\nrules:\n  - id: r\n    families: [rsa]\n    disallowed_from: after 2035\n");
    assert.throws(() => loadCryptoPolicy(f), (e: unknown) => e instanceof PolicyError && e.message === `${f}: rules.0.disallowed_from: is not an ISO 8601 date such as 2036-01-01`);
    writeFileSync(f, "version: x\nrules:\n  - id: r\n    families: [rot13]\n");
    assert.throws(() => loadCryptoPolicy(f), /rules\.0\.families\.0/);
    writeFileSync(f, "version: x\nrules:\n  - id: r\n");
    assert.throws(() => loadCryptoPolicy(f), /needs families or hashes/);
  });
});
