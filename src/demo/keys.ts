/**
 * Key material for synthetic fleets, derived from a seeded PRNG so that the demo is the same on every run:
 * Ed25519 and P-256 keys from seed bytes, a real RSA key from seeded primes (for a legacy CA that must sign), and bare
 * RSA moduli for device keys that only ever appear as public keys in certificates.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { bytes, type Rng } from "../core/random.ts";

export function ed25519Key(r: Rng): KeyObject {
  return createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), bytes(r, 32)]), format: "der", type: "pkcs8" });
}

export function p256Key(r: Rng): KeyObject {
  const scalar = bytes(r, 32);
  scalar[0] = (scalar[0]! & 0x7f) | 0x01; // below the group order, never zero
  return createPrivateKey({ key: Buffer.concat([Buffer.from("30310201010420", "hex"), scalar, Buffer.from("a00a06082a8648ce3d030107", "hex")]), format: "der", type: "sec1" });
}

function randomBits(r: Rng, bits: number): bigint {
  let v = BigInt(`0x${bytes(r, bits / 8).toString("hex")}`);
  v |= (1n << BigInt(bits - 1)) | (1n << BigInt(bits - 2)); // full length, and p*q keeps 2*bits
  return v | 1n;
}

export function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let result = 1n;
  let base = b % m;
  for (let x = e; x > 0n; x >>= 1n) {
    if (x & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return result;
}

const SMALL_PRIMES = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n, 67n, 71n, 73n, 79n, 83n, 89n, 97n];

function probablyPrime(n: bigint): boolean {
  for (const p of SMALL_PRIMES) if (n % p === 0n) return false;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  // Fixed Miller-Rabin bases: enough for synthetic keys, and deterministic.
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < s && composite; i++) {
      x = (x * x) % n;
      if (x === n - 1n) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

function prime(r: Rng, bits: number): bigint {
  let n = randomBits(r, bits);
  while (!probablyPrime(n)) n += 2n;
  return n;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [g, x, y, u, v] = [m, 0n, 1n, 1n, 0n];
  let b = a % m;
  while (b !== 0n) {
    const q = g / b;
    [g, b] = [b, g - q * b];
    [x, u] = [u, x - q * u];
    [y, v] = [v, y - q * v];
  }
  return ((x % m) + m) % m;
}

const b64u = (v: bigint) => {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex").toString("base64url");
};

/** A real RSA private key from seeded primes (about a second for 2048 bits). */
export function rsaKey(r: Rng, bits: number): KeyObject {
  for (;;) {
    const p = prime(r, bits / 2);
    const q = prime(r, bits / 2);
    if (p !== q && ((p - 1n) * (q - 1n)) % 65537n !== 0n) return rsaKeyFromPrimes(p, q);
  }
}

/** The RSA private key with public exponent 65537 over two given primes (65537 must not divide (p-1)(q-1)). */
export function rsaKeyFromPrimes(p: bigint, q: bigint): KeyObject {
  const e = 65537n;
  const d = modInverse(e, (p - 1n) * (q - 1n));
  const jwk = { kty: "RSA", n: b64u(p * q), e: b64u(e), d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(d % (p - 1n)), dq: b64u(d % (q - 1n)), qi: b64u(modInverse(q, p)) };
  return createPrivateKey({ key: jwk, format: "jwk" });
}

/** A public RSA modulus of `bits` bits for a key nobody signs with (the product of two random odd halves). */
export function rsaModulus(r: Rng, bits: number): bigint {
  return randomBits(r, bits / 2) * randomBits(r, bits / 2);
}

/**
 * A modulus with the structure of keys from the RSA library affected by ROCA (CVE-2017-15361): both factors are
 * k·M + (65537^a mod M), M the product of the first primes, so N mod each small prime lies in the subgroup that
 * 65537 generates. Public only; used to show the `roca-key` rule on the demo fleet.
 */
let rocaM: bigint | undefined;

export function rocaModulus(r: Rng): bigint {
  if (rocaM === undefined) {
    const primes: bigint[] = [];
    for (let c = 2n; primes.length < 126; c++) if (primes.every((p) => c % p !== 0n)) primes.push(c);
    rocaM = primes.reduce((a, b) => a * b, 1n);
  }
  const M = rocaM;
  const factor = () => {
    const k = randomBits(r, 1024 - M.toString(2).length + 8) >> 8n;
    return k * M + modPow(65537n, BigInt(Math.floor(r() * 2 ** 30)), M);
  };
  return factor() * factor();
}
