/**
 * RSA keys with the ROCA structure, built the way the flawed generator built them: primes p = k·M + (65537^a mod M),
 * M the product of the first 39 primes (2…167). BigInt is fine here; this is test code, not the hot path.
 */
import { checkPrimeSync, randomBytes, type KeyObject } from "node:crypto";
import { modPow, rsaKeyFromPrimes } from "../../src/demo/keys.ts";

export const PRIMORIAL_167 = primesUpTo(167).reduce((m, p) => m * BigInt(p), 1n);

function randomBigInt(bits: number): bigint {
  const bytes = randomBytes(Math.ceil(bits / 8));
  return BigInt(`0x${bytes.toString("hex")}`) >> BigInt(bytes.length * 8 - bits);
}

/** A prime of exactly `bits` bits with the ROCA structure (top two bits set, so p·q has exactly twice the bits). */
export function rocaPrime(bits: number): bigint {
  const M = PRIMORIAL_167;
  const low = (3n << BigInt(bits - 2)) / M + 1n;
  const high = (1n << BigInt(bits)) / M - 1n;
  for (;;) {
    const k = low + (randomBigInt(bits) % (high - low));
    const p = k * M + modPow(65537n, randomBigInt(64), M);
    if ((p - 1n) % 65537n !== 0n && checkPrimeSync(p)) return p;
  }
}

/** A modulus with the ROCA structure made of two such primes. */
export function rocaModulus(bits: number): { n: bigint; p: bigint; q: bigint } {
  const p = rocaPrime(bits / 2);
  let q = rocaPrime(bits / 2);
  while (q === p) q = rocaPrime(bits / 2);
  return { n: p * q, p, q };
}

/** A working RSA private key (usable by openssl) whose modulus has the ROCA structure. */
export function rocaPrivateKey(bits: number): KeyObject {
  const { p, q } = rocaModulus(bits);
  return rsaKeyFromPrimes(p, q);
}

export function bigIntBytes(x: bigint): Buffer {
  const hex = x.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
}

function primesUpTo(n: number): number[] {
  const out: number[] = [];
  for (let k = 2; k <= n; k++) if (out.every((p) => k % p !== 0)) out.push(k);
  return out;
}
