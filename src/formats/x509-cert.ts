/**
 * The layout of one X.509 certificate (RFC 5280 4.1): where each TBSCertificate field sits in the DER. Decoding only
 * records offsets; the fields are interpreted later, and only those the caller needs (an issuer certificate in a chain
 * needs its validity and subject, not a fingerprint or a signature check).
 */
import { DerError, expect, readTlv, smallInt, TAG, type Tlv } from "./der.ts";

export interface CertificateLayout {
  /** The whole certificate. */
  cert: Tlv;
  tbs: Tlv;
  /** 1, 2 or 3. */
  version: number;
  serial: Tlv;
  issuer: Tlv;
  notBefore: Tlv;
  notAfter: Tlv;
  subject: Tlv;
  spki: Tlv;
  /** The `[3]` extensions SEQUENCE, when present. */
  extensions?: Tlv;
  /** The outer signatureAlgorithm (the one the signature was made with). */
  sigAlg: Tlv;
  /** Signature bytes (BIT STRING contents after the unused-bits byte). */
  signature: { start: number; end: number };
}

const CONTEXT_0 = 0xa0;
const CONTEXT_3 = 0xa3;
/** issuerUniqueID [1] and subjectUniqueID [2]: IMPLICIT BIT STRINGs, primitive or (leniently) constructed. */
const UNIQUE_IDS = new Set([0x81, 0x82, 0xa1, 0xa2]);

export function decodeCertificate(b: Uint8Array, start: number, limit: number): CertificateLayout {
  const cert = expect(b, start, limit, TAG.SEQUENCE, "Certificate SEQUENCE");
  const tbs = expect(b, cert.body, cert.end, TAG.SEQUENCE, "TBSCertificate SEQUENCE");
  const sigAlg = expect(b, tbs.end, cert.end, TAG.SEQUENCE, "signatureAlgorithm");
  const sigBits = expect(b, sigAlg.end, cert.end, TAG.BIT_STRING, "signatureValue");
  if (sigBits.end !== cert.end) throw new DerError("unexpected data after the signature", sigBits.end);
  if (sigBits.end === sigBits.body || b[sigBits.body] !== 0) throw new DerError("signature must be a whole number of bytes", sigBits.start);

  let p = tbs.body;
  let t = readTlv(b, p, tbs.end);
  let version = 1;
  if (t.tag === CONTEXT_0) {
    const v = smallInt(b, expect(b, t.body, t.end, TAG.INTEGER, "version"));
    if (v > 2) throw new DerError(`unknown certificate version ${v + 1}`, t.body);
    version = v + 1;
    p = t.end;
    t = readTlv(b, p, tbs.end);
  }
  if (t.tag !== TAG.INTEGER || t.end === t.body) throw new DerError("expected the serial number INTEGER", t.start);
  const serial = t;
  const innerSigAlg = expect(b, serial.end, tbs.end, TAG.SEQUENCE, "signature AlgorithmIdentifier");
  const issuer = expect(b, innerSigAlg.end, tbs.end, TAG.SEQUENCE, "issuer Name");
  const validity = expect(b, issuer.end, tbs.end, TAG.SEQUENCE, "validity SEQUENCE");
  const notBefore = readTlv(b, validity.body, validity.end);
  const notAfter = readTlv(b, notBefore.end, validity.end);
  if (notAfter.end !== validity.end) throw new DerError("validity must hold exactly notBefore and notAfter", validity.start);
  const subject = expect(b, validity.end, tbs.end, TAG.SEQUENCE, "subject Name");
  const spki = expect(b, subject.end, tbs.end, TAG.SEQUENCE, "SubjectPublicKeyInfo");

  const layout: CertificateLayout = {
    cert,
    tbs,
    version,
    serial,
    issuer,
    notBefore,
    notAfter,
    subject,
    spki,
    sigAlg,
    signature: { start: sigBits.body + 1, end: sigBits.end },
  };
  for (p = spki.end; p < tbs.end; ) {
    t = readTlv(b, p, tbs.end);
    if (t.tag === CONTEXT_3) layout.extensions = expect(b, t.body, t.end, TAG.SEQUENCE, "Extensions SEQUENCE");
    else if (!UNIQUE_IDS.has(t.tag)) throw new DerError(`unexpected field with tag 0x${t.tag.toString(16)} in TBSCertificate`, t.start);
    p = t.end;
  }
  return layout;
}
