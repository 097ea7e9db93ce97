/**
 * The ROCA fingerprint test: positives built the way Infineon's RSALib built its primes (p = k·M + 65537^a mod M),
 * negatives from openssl and node key generation, and a BigInt reference implementation (independent of the
 * byte-wise residues and the pairwise exponent check) on moduli chosen to hit each branch.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ROCA_PRIMES, consistencyPairs, hasRocaFingerprint, subgroupSize } from "../../src/formats/roca.ts";
import { parseCertificateChain } from "../../src/formats/x509.ts";
import { OpenSsl } from "../helpers/openssl.ts";
import { modPow } from "../../src/demo/keys.ts";
import { bigIntBytes, rocaModulus, rocaPrivateKey } from "../helpers/roca-key.ts";

const PRIMES = ROCA_PRIMES.map(BigInt);
const M = PRIMES.reduce((m, p) => m * p, 1n);

function fingerprint(n: bigint): boolean {
  const b = bigIntBytes(n);
  return hasRocaFingerprint(b, 0, b.length);
}

/** Reference: discrete logs by brute force per prime, then one exponent for all of them by incremental CRT. */
function reference(n: bigint): boolean {
  let c = 0n;
  let modulus = 1n;
  for (const r of PRIMES) {
    const target = n % r;
    let log = -1n;
    let order = 0n;
    for (let k = 0n, x = 1n; ; k++, x = (x * 65537n) % r) {
      if (k > 0n && x === 1n) {
        order = k;
        break;
      }
      if (x === target && log < 0n) log = k;
    }
    if (log < 0n) return false;
    // Solve c' ≡ c (mod modulus), c' ≡ log (mod order).
    const g = gcdBig(modulus, order);
    if ((log - c) % g !== 0n) return false;
    let step = 0n;
    while ((c + step * modulus - log) % order !== 0n) step++;
    c += step * modulus;
    modulus = (modulus / g) * order;
    c %= modulus;
  }
  return true;
}

function gcdBig(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function randomBig(bytes: number): bigint {
  return BigInt(`0x${randomBytes(bytes).toString("hex")}`);
}

/** A number with the given residue modulo each small prime (CRT), padded to about `bytes` bytes. */
function withResidues(residues: bigint[], bytes: number): bigint {
  let x = 0n;
  PRIMES.forEach((r, i) => {
    const rest = M / r;
    x += residues[i]! * rest * modPow(rest, r - 2n, r);
  });
  return (x % M) + M * randomBig(bytes);
}

describe("ROCA fingerprint", () => {
  const o = new OpenSsl();
  after(() => o.cleanup());

  it("matches moduli built like the flawed generator's, at 512, 1024 and 2048 bits", () => {
    for (const bits of [512, 512, 1024, 1024, 2048]) {
      const { n } = rocaModulus(bits);
      assert.equal(n.toString(2).length, bits);
      assert.equal(fingerprint(n), true, `${bits}-bit ROCA modulus not detected`);
    }
  });

  it("does not match keys made by openssl or node", () => {
    for (let i = 0; i < 12; i++) {
      const { publicKey } = generateKeyPairSync("rsa", { modulusLength: i % 3 === 0 ? 2048 : 1024 });
      const n = Buffer.from(publicKey.export({ format: "jwk" }).n!, "base64url");
      assert.equal(hasRocaFingerprint(n, 0, n.length), false);
    }
    const cert = o.selfSigned(o.key({ type: "rsa", bits: 2048 }), { subject: "/CN=normal" });
    const r = parseCertificateChain(cert.pem);
    assert.ok("certificate" in r && r.certificate.roca === false);
  });

  it("agrees with a BigInt reference on moduli that stop at each step", () => {
    for (let i = 0; i < 300; i++) {
      const kind = i % 4;
      let n: bigint;
      if (kind === 0) {
        // One exponent for every prime: a positive.
        n = modPow(65537n, randomBig(8), M) + M * randomBig(200);
      } else if (kind === 1) {
        // Members of every subgroup, but with independent exponents: passes step 1, fails step 2.
        n = withResidues(PRIMES.map((r) => modPow(65537n, randomBig(4), r)), 200);
      } else if (kind === 2) {
        // Like a positive except for one prime, whose residue lies outside the subgroup.
        const c = randomBig(8);
        const bad = Math.floor(Math.random() * PRIMES.length);
        n = withResidues(
          PRIMES.map((r, j) => {
            if (j !== bad) return modPow(65537n, c, r);
            for (let x = 1n; x < r; x++) if (![...Array(Number(r)).keys()].some((k) => modPow(65537n, BigInt(k), r) === x)) return x;
            return 0n;
          }),
          200,
        );
      } else n = randomBig(256) | 1n;
      assert.equal(fingerprint(n), reference(n), `case ${i} (kind ${kind}): ${n.toString(16)}`);
      if (kind === 0) assert.equal(fingerprint(n), true);
      if (kind === 2 || kind === 3) assert.equal(fingerprint(n), false);
    }
  });

  it("has a negligible false-positive rate", () => {
    // Step 1 alone: the chance that a random residue lies in every subgroup.
    const step1 = ROCA_PRIMES.reduce((lg, r) => lg + Math.log2(subgroupSize(r) / (r - 1)), 0);
    // Both steps: |<65537> mod ∏r| / φ(∏r) = lcm(orders) / ∏(r-1).
    let lcm = 1n;
    for (const r of ROCA_PRIMES) lcm = (lcm / gcdBig(lcm, BigInt(subgroupSize(r)))) * BigInt(subgroupSize(r));
    const phi = ROCA_PRIMES.reduce((m, r) => m * BigInt(r - 1), 1n);
    const both = lcm.toString(2).length - phi.toString(2).length;
    assert.ok(step1 < -27 && step1 > -29, `step 1: 2^${step1}`);
    assert.ok(both < -150, `both steps: about 2^${both}`);
    assert.ok(consistencyPairs().length > 0);
  });

  it("flags a certificate over a ROCA key", () => {
    const keyPath = join(o.dir, "roca.key");
    writeFileSync(keyPath, rocaPrivateKey(1024).export({ type: "pkcs8", format: "pem" }));
    const cert = o.selfSigned(keyPath, { subject: "/CN=infineon-device" });
    // openssl accepts the key as a working RSA key (it signed the certificate with it).
    assert.match(execFileSync("openssl", ["x509", "-in", cert.certPath, "-noout", "-text"], { encoding: "utf8" }), /Public-Key: \(1024 bit\)/);
    const r = parseCertificateChain(cert.pem);
    assert.ok("certificate" in r);
    assert.equal(r.certificate.roca, true);
    assert.equal(r.certificate.key_bits, 1024);
    assert.equal(r.certificate.self_signed, true);
  });
});
