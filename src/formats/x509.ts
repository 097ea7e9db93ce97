/**
 * X.509 certificates to CertificateInfo: a hand-written DER reader rather than node's X509Certificate, which is several
 * times slower and (on Node 20) cannot name the signature algorithm. Entry points:
 *
 * - `parseCertificateChain(pem)`: a PEM file (leaf first, any text around the blocks) → the leaf's info, with
 *   `chain_length` and `issuer_not_after` taken from the rest of the file;
 * - `parseCertificateFile(bytes)`: the same for file contents that may be PEM or binary DER;
 * - `parseDer(der)`: one DER certificate.
 *
 * None of them throws (each catches at its boundary): input that is not a certificate gives `{ error }` with a reason
 * a person can act on, and problems with the rest of a chain come back as `warnings` next to the leaf's info.
 */
import { hash } from "node:crypto";
import type { CertificateInfo } from "../core/fleet.ts";
import { DerError, readTlv, TAG, type Tlv } from "./der.ts";
import { type PemBlock, pemBlocks } from "./pem.ts";
import { decodeCertificate, type CertificateLayout } from "./x509-cert.ts";
import { isCa, readSignatureAlgorithm, readSerial } from "./x509-fields.ts";
import { readPublicKey } from "./x509-key.ts";
import { renderName, renderRepeatedName } from "./x509-name.ts";
import { readTime } from "./x509-time.ts";
import { hasRocaFingerprint } from "./roca.ts";
import { verifiesWithOwnKey } from "./x509-verify.ts";

export type CertificateResult = { certificate: CertificateInfo; warnings?: string[] } | { error: string };

export interface ParseOptions {
  /**
   * Verify the signature of self-issued certificates to decide `self_signed` (default true). Turning it off makes
   * `self_signed` equal to `self_issued`; only worth it when the same self-issued certificates are parsed repeatedly.
   */
  verifySelfSigned?: boolean;
}

/** PEM labels that hold a certificate; TRUSTED CERTIFICATE is OpenSSL's certificate followed by trust settings. */
const CERT_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);
const KEY_LABEL = /PRIVATE KEY$/;

/** Parses one DER-encoded certificate. */
export function parseDer(der: Uint8Array, opts: ParseOptions = {}): { certificate: CertificateInfo } | { error: string } {
  try {
    const b = asBuffer(der);
    const layout = decodeCertificate(b, 0, b.length);
    if (layout.cert.end !== b.length) return { error: `${b.length - layout.cert.end} bytes of unexpected data after the certificate` };
    return { certificate: describe(b, layout, opts) };
  } catch (err) {
    return { error: messageOf(err) };
  }
}

/** Parses a PEM file: the first certificate is the device's, the ones after it its chain. */
export function parseCertificateChain(pem: string, opts: ParseOptions = {}): CertificateResult {
  try {
    const warnings: string[] = [];
    const entries: Entry[] = [];
    const scan = pemBlocks(pem);
    for (const block of scan.blocks) {
      if (CERT_LABELS.has(block.label)) entries.push({ block, trailingAllowed: block.label === "TRUSTED CERTIFICATE" });
      else if (KEY_LABEL.test(block.label)) warnings.push(`the file also holds a ${block.label}: private keys do not belong in an inventory folder`);
    }
    if (scan.truncated) warnings.push("the file ends inside a PEM block (was it cut off?)");
    if (entries.length === 0) {
      return { error: pem.includes("-----BEGIN") ? "no complete PEM certificate block in the file" : "not a PEM certificate (no -----BEGIN CERTIFICATE----- line)" };
    }
    return chainResult(entries, warnings, opts);
  } catch (err) {
    return { error: messageOf(err) };
  }
}

/** Parses file contents that are either PEM text or binary DER (one certificate, or several concatenated). */
export function parseCertificateFile(bytes: Uint8Array, opts: ParseOptions = {}): CertificateResult {
  try {
    const b = asBuffer(bytes);
    if (b.length === 0) return { error: "the file is empty" };
    if (b.indexOf("-----BEGIN") !== -1) return parseCertificateChain(b.toString("latin1"), opts);
    if (b[0] !== TAG.SEQUENCE) return { error: "not a certificate: neither PEM (no -----BEGIN CERTIFICATE----- line) nor DER (binary, starting with an ASN.1 SEQUENCE)" };
    const entries: Entry[] = [];
    for (let p = 0; p < b.length; ) {
      const end = readTlv(b, p, b.length).end;
      const der = b.subarray(p, end);
      entries.push({ block: { label: "DER", decode: () => ({ der }) }, trailingAllowed: false });
      p = end;
    }
    return chainResult(entries, [], opts);
  } catch (err) {
    return { error: messageOf(err) };
  }
}

interface Entry {
  block: PemBlock;
  trailingAllowed: boolean;
}

function chainResult(entries: Entry[], warnings: string[], opts: ParseOptions): CertificateResult {
  const n = entries.length;
  const leaf = decodeEntry(entries[0]!);
  if ("error" in leaf) return { error: where(0, n) + leaf.error };
  let info: CertificateInfo;
  try {
    info = describe(leaf.der, leaf.layout, opts);
  } catch (err) {
    return { error: where(0, n) + messageOf(err) };
  }
  info.chain_length = n;

  // The issuer is normally the next certificate; search the rest of the file in case the chain is out of order.
  let issuerFound = n === 1;
  for (let i = 1; i < n && !issuerFound; i++) {
    const c = decodeEntry(entries[i]!);
    if ("error" in c) {
      warnings.push(where(i, n) + c.error);
      continue;
    }
    try {
      if (!sameName(leaf.der, leaf.layout.issuer, c.der, c.layout.subject)) continue;
      issuerFound = true;
      info.issuer_not_after = readTime(c.der, c.layout.notAfter);
      info.issuer_fingerprint = hash("sha256", c.der.subarray(c.layout.cert.start, c.layout.cert.end), "hex");
    } catch (err) {
      warnings.push(where(i, n) + messageOf(err));
    }
  }
  if (!issuerFound) warnings.push("no certificate in the file is the leaf's issuer (none has the leaf's issuer name as its subject)");
  return warnings.length > 0 ? { certificate: info, warnings } : { certificate: info };
}

function where(i: number, n: number): string {
  return n > 1 ? `certificate ${i + 1} of ${n}: ` : "";
}

function decodeEntry(e: Entry): { der: Buffer; layout: CertificateLayout } | { error: string } {
  const d = e.block.decode();
  if ("error" in d) return d;
  try {
    const layout = decodeCertificate(d.der, 0, d.der.length);
    if (layout.cert.end !== d.der.length && !e.trailingAllowed) return { error: `${d.der.length - layout.cert.end} bytes of unexpected data after the certificate` };
    return { der: d.der, layout };
  } catch (err) {
    return { error: messageOf(err) };
  }
}

/** Interprets the decoded fields of a certificate (chain_length 1; the chain parser fills in the rest). */
function describe(b: Buffer, l: CertificateLayout, opts: ParseOptions): CertificateInfo {
  const key = readPublicKey(b, l.spki);
  const sig = readSignatureAlgorithm(b, l.sigAlg);
  const subject = renderName(b, l.subject);
  const issuer = renderRepeatedName(b, l.issuer);
  const selfIssued = sameBytes(b, l.subject, l.issuer) || (subject.length === issuer.length && subject.toLowerCase() === issuer.toLowerCase());
  const selfSigned =
    selfIssued &&
    (opts.verifySelfSigned === false ||
      verifiesWithOwnKey(
        {
          key,
          hash: sig.hash,
          pss: sig.pss,
          pssSalt: sig.pssSalt,
          spki: b.subarray(l.spki.start, l.spki.end),
          tbs: b.subarray(l.tbs.start, l.tbs.end),
          signature: b.subarray(l.signature.start, l.signature.end),
        },
        b,
      ));
  const info: CertificateInfo = {
    fingerprint: hash("sha256", b.subarray(l.cert.start, l.cert.end), "hex"),
    subject,
    issuer,
    serial: readSerial(b, l.serial),
    not_before: readTime(b, l.notBefore),
    not_after: readTime(b, l.notAfter),
    key_type: key.keyType,
    key_bits: key.keyBits,
    sig_alg: sig.name,
    sig_hash: sig.hash,
    self_issued: selfIssued,
    self_signed: selfSigned,
    is_ca: l.extensions !== undefined && isCa(b, l.extensions),
    roca: key.modulus !== undefined && hasRocaFingerprint(b, key.modulus.start, key.modulus.end),
    chain_length: 1,
    version: l.version,
    key_fingerprint: hash("sha256", b.subarray(l.spki.start, l.spki.end), "hex"),
  };
  if (key.curve !== undefined) info.curve = key.curve;
  return info;
}

/** RFC 5280 compares names attribute by attribute, case-insensitively; identical bytes or rendering is close enough. */
function sameName(a: Buffer, an: Tlv, b: Buffer, bn: Tlv): boolean {
  if (a.subarray(an.start, an.end).equals(b.subarray(bn.start, bn.end))) return true;
  return renderName(a, an).toLowerCase() === renderName(b, bn).toLowerCase();
}

function sameBytes(b: Buffer, x: { start: number; end: number }, y: { start: number; end: number }): boolean {
  return b.compare(b, x.start, x.end, y.start, y.end) === 0;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function messageOf(err: unknown): string {
  if (err instanceof DerError) return `malformed certificate: ${err.message}`;
  return `could not read the certificate: ${err instanceof Error ? err.message : String(err)}`;
}
