/**
 * Builds X.509 v3 certificates for synthetic fleets (demo, tests, benchmarks), signed with node:crypto, so no openssl
 * binary is needed. Only the fields Longwatch reads are set: names, validity, key, basic constraints.
 */
import { createPublicKey, type KeyObject, sign } from "node:crypto";
import { bigUint, bitString, bool, explicit, nul, octets, oid, seq, set, time, uint, utf8 } from "./der.ts";

export type SignatureAlg = "sha256WithRSA" | "sha1WithRSA" | "md5WithRSA" | "ecdsaWithSHA256" | "ecdsaWithSHA1" | "ed25519";

const SIG: Record<SignatureAlg, { oid: string; hash: string | null; params: boolean }> = {
  sha256WithRSA: { oid: "1.2.840.113549.1.1.11", hash: "sha256", params: true },
  sha1WithRSA: { oid: "1.2.840.113549.1.1.5", hash: "sha1", params: true },
  md5WithRSA: { oid: "1.2.840.113549.1.1.4", hash: "md5", params: true },
  ecdsaWithSHA256: { oid: "1.2.840.10045.4.3.2", hash: "sha256", params: false },
  ecdsaWithSHA1: { oid: "1.2.840.10045.4.1", hash: "sha1", params: false },
  ed25519: { oid: "1.3.101.112", hash: null, params: false },
};

export interface NameSpec {
  cn: string;
  o?: string;
}

export interface CertSpec {
  subject: NameSpec;
  issuer: NameSpec;
  serial: bigint;
  notBefore: number;
  notAfter: number;
  /** DER SubjectPublicKeyInfo of the certified key. */
  spki: Buffer;
  ca?: boolean;
  signWith: { key: KeyObject; alg: SignatureAlg };
}

function name(n: NameSpec): Buffer {
  const rdns = [set(seq(oid("2.5.4.3"), utf8(n.cn)))];
  if (n.o !== undefined) rdns.unshift(set(seq(oid("2.5.4.10"), utf8(n.o))));
  return seq(...rdns);
}

export function buildCertificate(c: CertSpec): Buffer {
  const alg = SIG[c.signWith.alg];
  const algId = alg.params ? seq(oid(alg.oid), nul()) : seq(oid(alg.oid));
  const basicConstraints = seq(oid("2.5.29.19"), bool(true), octets(c.ca ? seq(bool(true)) : seq()));
  const tbs = seq(explicit(0, uint(Buffer.from([2]))), bigUint(c.serial), algId, name(c.issuer), seq(time(c.notBefore), time(c.notAfter)), name(c.subject), c.spki, explicit(3, seq(basicConstraints)));
  return seq(tbs, algId, bitString(sign(alg.hash, tbs, c.signWith.key)));
}

export function spkiOf(key: KeyObject): Buffer {
  return (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" });
}

/** An RSA SubjectPublicKeyInfo for a bare modulus (e = 65537): for keys that exist only as public numbers. */
export function rsaSpki(modulus: bigint): Buffer {
  const rsaKey = seq(bigUint(modulus), bigUint(65537n));
  return seq(seq(oid("1.2.840.113549.1.1.1"), nul()), bitString(rsaKey));
}

export function toPem(der: Buffer): string {
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`;
}
