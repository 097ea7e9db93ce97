/**
 * Security strength of a public key in bits: roughly, the work an attacker needs, as a power of two. The equivalences
 * are NIST SP 800-57 Part 1's (RSA/DSA 1024 ≈ 80, 2048 ≈ 112, 3072 ≈ 128, 7680 ≈ 192, 15360 ≈ 256; elliptic curves give
 * half their size). Used to rank how weak a key is, not to decide what is allowed: that is policy, kept in the rules.
 */
import type { CertificateInfo } from "./fleet.ts";

/** [modulus bits, strength] for RSA and DSA, ascending. */
const FINITE_FIELD: readonly (readonly [number, number])[] = [
  [15360, 256],
  [7680, 192],
  [3072, 128],
  [2048, 112],
  [1024, 80],
];

/**
 * Strength in bits; 0 for RSA/DSA keys under 1024 bits, for which NIST gives no figure (they are under 80 bits, and
 * 512- to 768-bit moduli have been factored in public); undefined when the key type or size is unknown.
 */
export function securityBits(key: Pick<CertificateInfo, "key_type" | "key_bits">): number | undefined {
  const bits = key.key_bits;
  switch (key.key_type) {
    case "rsa":
    case "rsa-pss":
    case "dsa": {
      if (bits <= 0) return undefined;
      for (const [size, strength] of FINITE_FIELD) if (bits >= size) return strength;
      return 0;
    }
    case "ec":
      return bits > 0 ? Math.floor(bits / 2) : undefined;
    case "ed25519":
      return 128;
    case "ed448":
      return 224;
    default:
      return undefined;
  }
}
