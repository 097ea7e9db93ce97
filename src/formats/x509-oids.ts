/**
 * Object identifiers X.509 parsing needs: signature algorithms (with the hash each implies), hash algorithms, public
 * key algorithms and distinguished-name attribute types. Names follow what `openssl x509 -text` prints, so a user can
 * compare a finding with the tool they already know. (OIDs from RFC 3279, 4055, 5480, 5758, 8410, 8692 and NIST CSOR;
 * each was checked against OpenSSL 3.0's object table.)
 */

export type KeyType = "rsa" | "rsa-pss" | "ec" | "dsa" | "ed25519" | "ed448" | "unknown";

export interface SigAlg {
  name: string;
  /** Hash the signature is computed over; `pss` = given in the algorithm parameters (RSASSA-PSS). */
  hash: string;
}

const RSA = "1.2.840.113549.1.1";
const NIST_SIG = "2.16.840.1.101.3.4.3";

export const OID_RSASSA_PSS = `${RSA}.10`;

export const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SigAlg> = new Map([
  [`${RSA}.2`, { name: "md2WithRSAEncryption", hash: "md2" }],
  [`${RSA}.3`, { name: "md4WithRSAEncryption", hash: "md4" }],
  [`${RSA}.4`, { name: "md5WithRSAEncryption", hash: "md5" }],
  [`${RSA}.5`, { name: "sha1WithRSAEncryption", hash: "sha1" }],
  [`${RSA}.10`, { name: "rsassaPss", hash: "pss" }],
  [`${RSA}.11`, { name: "sha256WithRSAEncryption", hash: "sha256" }],
  [`${RSA}.12`, { name: "sha384WithRSAEncryption", hash: "sha384" }],
  [`${RSA}.13`, { name: "sha512WithRSAEncryption", hash: "sha512" }],
  [`${RSA}.14`, { name: "sha224WithRSAEncryption", hash: "sha224" }],
  [`${RSA}.15`, { name: "sha512-224WithRSAEncryption", hash: "sha512-224" }],
  [`${RSA}.16`, { name: "sha512-256WithRSAEncryption", hash: "sha512-256" }],
  // Old OIW identifiers, still found in certificates from the 1990s and early 2000s.
  ["1.3.14.3.2.3", { name: "md5WithRSA", hash: "md5" }],
  ["1.3.14.3.2.29", { name: "sha1WithRSA", hash: "sha1" }],
  ["1.3.14.3.2.15", { name: "shaWithRSAEncryption", hash: "sha" }],
  ["1.3.14.3.2.13", { name: "dsaWithSHA", hash: "sha" }],
  ["1.3.14.3.2.27", { name: "dsaWithSHA1-old", hash: "sha1" }],
  ["1.3.36.3.3.1.2", { name: "ripemd160WithRSA", hash: "ripemd160" }],
  ["1.2.840.10045.4.1", { name: "ecdsa-with-SHA1", hash: "sha1" }],
  ["1.2.840.10045.4.3.1", { name: "ecdsa-with-SHA224", hash: "sha224" }],
  ["1.2.840.10045.4.3.2", { name: "ecdsa-with-SHA256", hash: "sha256" }],
  ["1.2.840.10045.4.3.3", { name: "ecdsa-with-SHA384", hash: "sha384" }],
  ["1.2.840.10045.4.3.4", { name: "ecdsa-with-SHA512", hash: "sha512" }],
  ["1.2.840.10040.4.3", { name: "dsaWithSHA1", hash: "sha1" }],
  [`${NIST_SIG}.1`, { name: "dsa_with_SHA224", hash: "sha224" }],
  [`${NIST_SIG}.2`, { name: "dsa_with_SHA256", hash: "sha256" }],
  [`${NIST_SIG}.3`, { name: "dsa_with_SHA384", hash: "sha384" }],
  [`${NIST_SIG}.4`, { name: "dsa_with_SHA512", hash: "sha512" }],
  [`${NIST_SIG}.5`, { name: "id-dsa-with-sha3-224", hash: "sha3-224" }],
  [`${NIST_SIG}.6`, { name: "id-dsa-with-sha3-256", hash: "sha3-256" }],
  [`${NIST_SIG}.7`, { name: "id-dsa-with-sha3-384", hash: "sha3-384" }],
  [`${NIST_SIG}.8`, { name: "id-dsa-with-sha3-512", hash: "sha3-512" }],
  [`${NIST_SIG}.9`, { name: "id-ecdsa-with-sha3-224", hash: "sha3-224" }],
  [`${NIST_SIG}.10`, { name: "id-ecdsa-with-sha3-256", hash: "sha3-256" }],
  [`${NIST_SIG}.11`, { name: "id-ecdsa-with-sha3-384", hash: "sha3-384" }],
  [`${NIST_SIG}.12`, { name: "id-ecdsa-with-sha3-512", hash: "sha3-512" }],
  [`${NIST_SIG}.13`, { name: "id-rsassa-pkcs1-v1_5-with-sha3-224", hash: "sha3-224" }],
  [`${NIST_SIG}.14`, { name: "id-rsassa-pkcs1-v1_5-with-sha3-256", hash: "sha3-256" }],
  [`${NIST_SIG}.15`, { name: "id-rsassa-pkcs1-v1_5-with-sha3-384", hash: "sha3-384" }],
  [`${NIST_SIG}.16`, { name: "id-rsassa-pkcs1-v1_5-with-sha3-512", hash: "sha3-512" }],
  // FIPS 204 ML-DSA (post-quantum); the hash is internal to the scheme.
  [`${NIST_SIG}.17`, { name: "ML-DSA-44", hash: "intrinsic" }],
  [`${NIST_SIG}.18`, { name: "ML-DSA-65", hash: "intrinsic" }],
  [`${NIST_SIG}.19`, { name: "ML-DSA-87", hash: "intrinsic" }],
  // EdDSA signs the message itself; RFC 8032 fixes SHA-512 for Ed25519 and SHAKE256 for Ed448.
  ["1.3.101.112", { name: "ED25519", hash: "sha512" }],
  ["1.3.101.113", { name: "ED448", hash: "shake256" }],
  ["1.2.156.10197.1.501", { name: "SM2-with-SM3", hash: "sm3" }],
]);

export const HASH_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ["1.2.840.113549.2.2", "md2"],
  ["1.2.840.113549.2.4", "md4"],
  ["1.2.840.113549.2.5", "md5"],
  ["1.3.14.3.2.26", "sha1"],
  ["2.16.840.1.101.3.4.2.1", "sha256"],
  ["2.16.840.1.101.3.4.2.2", "sha384"],
  ["2.16.840.1.101.3.4.2.3", "sha512"],
  ["2.16.840.1.101.3.4.2.4", "sha224"],
  ["2.16.840.1.101.3.4.2.5", "sha512-224"],
  ["2.16.840.1.101.3.4.2.6", "sha512-256"],
  ["2.16.840.1.101.3.4.2.7", "sha3-224"],
  ["2.16.840.1.101.3.4.2.8", "sha3-256"],
  ["2.16.840.1.101.3.4.2.9", "sha3-384"],
  ["2.16.840.1.101.3.4.2.10", "sha3-512"],
  ["2.16.840.1.101.3.4.2.11", "shake128"],
  ["2.16.840.1.101.3.4.2.12", "shake256"],
]);

export const OID_MGF1 = `${RSA}.8`;

export const KEY_ALGORITHMS: ReadonlyMap<string, KeyType> = new Map([
  [`${RSA}.1`, "rsa"],
  [`${RSA}.10`, "rsa-pss"],
  ["1.2.840.10045.2.1", "ec"],
  ["1.2.840.10040.4.1", "dsa"],
  ["1.3.14.3.2.12", "dsa"],
  ["1.3.101.112", "ed25519"],
  ["1.3.101.113", "ed448"],
]);

/** Short names for DN attribute types: RFC 4514's own list first, then the ones OpenSSL prints by name. */
export const NAME_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ["2.5.4.3", "CN"],
  ["2.5.4.7", "L"],
  ["2.5.4.8", "ST"],
  ["2.5.4.10", "O"],
  ["2.5.4.11", "OU"],
  ["2.5.4.6", "C"],
  ["2.5.4.9", "STREET"],
  ["0.9.2342.19200300.100.1.25", "DC"],
  ["0.9.2342.19200300.100.1.1", "UID"],
  ["2.5.4.4", "SN"],
  ["2.5.4.5", "serialNumber"],
  ["2.5.4.12", "title"],
  ["2.5.4.13", "description"],
  ["2.5.4.15", "businessCategory"],
  ["2.5.4.17", "postalCode"],
  ["2.5.4.41", "name"],
  ["2.5.4.42", "GN"],
  ["2.5.4.43", "initials"],
  ["2.5.4.44", "generationQualifier"],
  ["2.5.4.46", "dnQualifier"],
  ["2.5.4.65", "pseudonym"],
  ["2.5.4.97", "organizationIdentifier"],
  ["1.2.840.113549.1.9.1", "emailAddress"],
  ["1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"],
  ["1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"],
  ["1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"],
]);

export const OID_BASIC_CONSTRAINTS = "2.5.29.19";
