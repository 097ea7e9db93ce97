/**
 * SubjectPublicKeyInfo (RFC 5280 4.1.2.7): which kind of key a certificate carries and how strong it is. Sizes follow
 * OpenSSL's notion of "bits": RSA modulus length, DSA prime p length, EC group order length, 256 for Ed25519 and 456
 * for Ed448, so figures match what `openssl x509 -text` shows.
 */
import { bitLength, DerError, expect, OidTable, oidString, readTlv, TAG, type Tlv, unsignedRange } from "./der.ts";
import { NAMED_CURVES } from "./x509-curves.ts";
import { KEY_ALGORITHMS, type KeyType } from "./x509-oids.ts";

const keyTypes = new OidTable(KEY_ALGORITHMS);
const curves = new OidTable(NAMED_CURVES);

export interface PublicKeyInfo {
  keyType: KeyType;
  keyBits: number;
  /** Curve name for EC keys; `explicit` when the certificate spells out its own curve parameters. */
  curve: string | undefined;
  /** Byte range of the RSA modulus (without sign byte) inside the certificate, for the ROCA test. */
  modulus: { start: number; end: number } | undefined;
  /** The subjectPublicKey bytes: RSAPublicKey DER for RSA, the point for EC, the raw key for EdDSA. */
  keyBytes: { start: number; end: number };
}

export function readPublicKey(b: Uint8Array, spki: Tlv): PublicKeyInfo {
  const alg = expect(b, spki.body, spki.end, TAG.SEQUENCE, "public key AlgorithmIdentifier");
  const oidTlv = expect(b, alg.body, alg.end, TAG.OID, "public key algorithm");
  const params = oidTlv.end < alg.end ? readTlv(b, oidTlv.end, alg.end) : undefined;
  const bits = expect(b, alg.end, spki.end, TAG.BIT_STRING, "subjectPublicKey");
  if (bits.end === bits.body || b[bits.body] !== 0) throw new DerError("subjectPublicKey must be a whole number of bytes", bits.start);
  const key = { start: bits.body + 1, end: bits.end };
  const keyType = keyTypes.get(b, oidTlv) ?? "unknown";
  // One object shape for every key type (fields set in place, none added later): keeps property access monomorphic.
  const info: PublicKeyInfo = { keyType, keyBits: 0, curve: undefined, modulus: undefined, keyBytes: key };

  switch (keyType) {
    case "rsa":
    case "rsa-pss": {
      const seq = expect(b, key.start, key.end, TAG.SEQUENCE, "RSAPublicKey");
      const n = unsignedRange(b, expect(b, seq.body, seq.end, TAG.INTEGER, "RSA modulus"));
      info.keyBits = bitLength(b, n.start, n.end);
      info.modulus = n;
      break;
    }
    case "ec": {
      const c = ecCurve(b, params, key);
      info.keyBits = c.keyBits;
      info.curve = c.curve;
      break;
    }
    case "dsa":
      // Dss-Parms { p, q, g }; they may be left out to inherit the issuer's, and then the size is unknown here.
      if (params?.tag === TAG.SEQUENCE) {
        const p = unsignedRange(b, expect(b, params.body, params.end, TAG.INTEGER, "DSA prime p"));
        info.keyBits = bitLength(b, p.start, p.end);
      }
      break;
    case "ed25519":
      info.keyBits = 256;
      break;
    case "ed448":
      info.keyBits = 456;
      break;
  }
  return info;
}

function ecCurve(b: Uint8Array, params: Tlv | undefined, point: { start: number; end: number }): { keyBits: number; curve: string } {
  if (params?.tag === TAG.OID) {
    const known = curves.get(b, params);
    if (known) return { keyBits: known.bits, curve: known.name };
    // An unlisted named curve: estimate its size from an uncompressed point (04 || X || Y).
    const len = point.end - point.start;
    return { keyBits: b[point.start] === 4 && len > 1 ? ((len - 1) / 2) * 8 : 0, curve: oidString(b, params) };
  }
  if (params?.tag === TAG.SEQUENCE) {
    // ECParameters { version, fieldID, curve, base, order, cofactor? }: the size is the order's bit length.
    let p = params.body;
    for (let i = 0; i < 4; i++) p = readTlv(b, p, params.end).end;
    const order = unsignedRange(b, expect(b, p, params.end, TAG.INTEGER, "EC group order"));
    return { keyBits: bitLength(b, order.start, order.end), curve: "explicit" };
  }
  return { keyBits: 0, curve: "implicit" };
}
