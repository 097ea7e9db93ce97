/**
 * Checks a certificate's signature against its own public key, to tell a truly self-signed certificate from one that
 * merely names itself as issuer. Only called for self-issued certificates: it is by far the most expensive step of
 * parsing, and for any other certificate the answer is no anyway.
 *
 * The key is handed to node:crypto in the cheapest form it accepts. OpenSSL 3 takes ~150 µs to decode a
 * SubjectPublicKeyInfo (it tries every decoder in turn), but ~5 µs for an RSA key given as PKCS#1 and ~10 µs for an
 * EdDSA key given as JWK; SPKI is only the fallback for the rarer key types.
 */
import { constants, createPublicKey, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import type { PublicKeyInfo } from "./x509-key.ts";

export interface SignatureCheck {
  key: PublicKeyInfo;
  /** Hash named by the signature algorithm (for RSASSA-PSS: from its parameters). */
  hash: string;
  pss: boolean;
  /** Salt length for RSASSA-PSS signatures. */
  pssSalt: number | undefined;
  spki: Buffer;
  tbs: Buffer;
  signature: Buffer;
}

/** Digest names node:crypto understands, for the hashes certificates use. */
const NODE_DIGESTS = new Set(["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-224", "sha512-256", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "ripemd160"]);

/** JWK names of the curves node accepts in JWK form. */
const JWK_CURVES: Record<string, string> = { secp256r1: "P-256", secp384r1: "P-384", secp521r1: "P-521", secp256k1: "secp256k1" };

/** True when the signature verifies; false when it does not or cannot be checked with the algorithms available. */
export function verifiesWithOwnKey(c: SignatureCheck, cert: Buffer): boolean {
  try {
    const key = keyObject(c.key, cert, c.spki);
    const { keyType } = c.key;
    if (keyType === "ed25519" || keyType === "ed448") return verify(null, c.tbs, key, c.signature);
    if (!NODE_DIGESTS.has(c.hash)) return false;
    if (c.pss) return verify(c.hash, c.tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: c.pssSalt ?? 20 }, c.signature);
    return verify(c.hash, c.tbs, key, c.signature);
  } catch {
    // A key node cannot load, a key that does not fit the algorithm, or an algorithm this OpenSSL build lacks:
    // the certificate is not provably self-signed.
    return false;
  }
}

function keyObject(k: PublicKeyInfo, cert: Buffer, spki: Buffer): KeyObject {
  const raw = cert.subarray(k.keyBytes.start, k.keyBytes.end);
  if (k.keyType === "rsa") return createPublicKey({ key: raw, format: "der", type: "pkcs1" });
  if (k.keyType === "ed25519" || k.keyType === "ed448") {
    return createPublicKey({ key: { kty: "OKP", crv: k.keyType === "ed25519" ? "Ed25519" : "Ed448", x: raw.toString("base64url") }, format: "jwk" });
  }
  const crv = k.keyType === "ec" && k.curve !== undefined ? JWK_CURVES[k.curve] : undefined;
  if (crv !== undefined && raw[0] === 4 && raw.length % 2 === 1) {
    const half = (raw.length - 1) / 2;
    const jwk: JsonWebKey = { kty: "EC", crv, x: raw.subarray(1, 1 + half).toString("base64url"), y: raw.subarray(1 + half).toString("base64url") };
    return createPublicKey({ key: jwk, format: "jwk" });
  }
  // RSA-PSS (whose SPKI may restrict the parameters), DSA, compressed or unusual EC points: the full SPKI.
  return createPublicKey({ key: spki, format: "der", type: "spki" });
}
