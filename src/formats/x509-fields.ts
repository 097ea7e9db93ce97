/** Small certificate fields: the signature algorithm (with RSASSA-PSS parameters), the serial number, the CA flag. */
import { children, DerError, expect, OidTable, oidString, readTlv, smallInt, TAG, type Tlv } from "./der.ts";
import { HASH_ALGORITHMS, OID_BASIC_CONSTRAINTS, OID_RSASSA_PSS, SIGNATURE_ALGORITHMS } from "./x509-oids.ts";

const signatureAlgorithms = new OidTable(SIGNATURE_ALGORITHMS);
const hashAlgorithms = new OidTable(HASH_ALGORITHMS);
const basicConstraints = new OidTable([[OID_BASIC_CONSTRAINTS, true]]);
const rsassaPss = new OidTable([[OID_RSASSA_PSS, true]]);

export interface SignatureAlgorithm {
  name: string;
  hash: string;
  pss: boolean;
  pssSalt?: number;
}

export function readSignatureAlgorithm(b: Uint8Array, alg: Tlv): SignatureAlgorithm {
  const oidTlv = expect(b, alg.body, alg.end, TAG.OID, "signature algorithm OID");
  const known = signatureAlgorithms.get(b, oidTlv);
  if (!known) return { name: oidString(b, oidTlv), hash: "unknown", pss: false };
  if (rsassaPss.get(b, oidTlv) === undefined) return { name: known.name, hash: known.hash, pss: false };
  // RSASSA-PSS-params (RFC 4055): [0] hashAlgorithm DEFAULT sha1, [1] maskGen, [2] saltLength DEFAULT 20, [3] trailer.
  let hash = "sha1";
  let salt = 20;
  const params = oidTlv.end < alg.end ? readTlv(b, oidTlv.end, alg.end) : undefined;
  if (params?.tag === TAG.SEQUENCE) {
    for (const field of children(b, params)) {
      if (field.tag === 0xa0) {
        const h = expect(b, field.body, field.end, TAG.SEQUENCE, "PSS hashAlgorithm");
        hash = hashAlgorithms.get(b, expect(b, h.body, h.end, TAG.OID, "PSS hash OID")) ?? "unknown";
      } else if (field.tag === 0xa2) {
        salt = smallInt(b, expect(b, field.body, field.end, TAG.INTEGER, "PSS saltLength"));
      }
    }
  }
  return { name: known.name, hash, pss: true, pssSalt: salt };
}

/** Serial number as uppercase hex without leading zero bytes (as OpenSSL and node print it). */
export function readSerial(b: Uint8Array, serial: Tlv): string {
  let s = serial.body;
  while (s < serial.end - 1 && b[s] === 0) s++;
  let out = "";
  for (let i = s; i < serial.end; i++) out += HEX[b[i]!];
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, "0"));

/** The cA flag of the basicConstraints extension (RFC 5280 4.2.1.9); absent means not a CA. */
export function isCa(b: Uint8Array, extensions: Tlv): boolean {
  for (const ext of children(b, extensions)) {
    if (ext.tag !== TAG.SEQUENCE) throw new DerError("an extension must be a SEQUENCE", ext.start);
    const id = expect(b, ext.body, ext.end, TAG.OID, "extension OID");
    if (basicConstraints.get(b, id) === undefined) continue;
    let p = id.end;
    let t = readTlv(b, p, ext.end);
    if (t.tag === TAG.BOOLEAN) {
      p = t.end;
      t = readTlv(b, p, ext.end);
    }
    if (t.tag !== TAG.OCTET_STRING) throw new DerError("basicConstraints value must be an OCTET STRING", t.start);
    const seq = expect(b, t.body, t.end, TAG.SEQUENCE, "BasicConstraints SEQUENCE");
    if (seq.body === seq.end) return false;
    const first = readTlv(b, seq.body, seq.end);
    // DER writes TRUE as 0xff; any non-zero byte is read as true, as BER allows.
    return first.tag === TAG.BOOLEAN && first.end > first.body && b[first.body] !== 0;
  }
  return false;
}
