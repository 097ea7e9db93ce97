/**
 * The X.509 parser against certificates openssl makes here and now: every key type and signature algorithm the rules
 * care about, compared field by field with what openssl prints and what node's X509Certificate reads.
 */
import assert from "node:assert/strict";
import { X509Certificate, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { CertificateInfo } from "../../src/core/fleet.ts";
import { parseCertificateChain, parseCertificateFile, parseDer } from "../../src/formats/x509.ts";
import { type Issued, type KeySpec, OpenSsl } from "../helpers/openssl.ts";

const NODE_CURVES: Record<string, string> = { prime256v1: "secp256r1", prime192v1: "secp192r1" };

function leaf(pem: string): CertificateInfo {
  const r = parseCertificateChain(pem);
  assert.ok("certificate" in r, `parse failed: ${"error" in r ? r.error : ""}`);
  return r.certificate;
}

/** Everything openssl and node can tell about the certificate must match the parser's reading. */
function assertMatchesReference(o: OpenSsl, cert: Issued, c: CertificateInfo): void {
  const x = new X509Certificate(cert.pem);
  const text = o.text(cert.certPath);
  assert.equal(c.fingerprint, x.fingerprint256.replaceAll(":", "").toLowerCase(), "fingerprint");
  assert.equal(c.serial, x.serialNumber.replace(/^(00)+(?=.)/, ""), "serial");
  assert.equal(c.subject, o.name(cert.certPath, "subject"), "subject");
  assert.equal(c.issuer, o.name(cert.certPath, "issuer"), "issuer");
  assert.equal(c.not_before, new Date(x.validFrom).toISOString().replace(".000Z", "Z"), "not_before");
  assert.equal(c.not_after, new Date(x.validTo).toISOString().replace(".000Z", "Z"), "not_after");
  assert.equal(c.key_type, x.publicKey.asymmetricKeyType, "key_type");
  const bits = /Public-Key: \((\d+) bit\)/.exec(text)?.[1];
  if (bits !== undefined) assert.equal(c.key_bits, Number(bits), "key_bits");
  const curve = x.publicKey.asymmetricKeyDetails?.namedCurve;
  if (curve !== undefined) assert.equal(c.curve, NODE_CURVES[curve] ?? curve, "curve");
  assert.equal(c.sig_alg, /Signature Algorithm: (\S+)/.exec(text)?.[1], "sig_alg");
  assert.equal(c.is_ca, x.ca, "is_ca");
  assert.equal(c.key_fingerprint, createHash("sha256").update(x.publicKey.export({ type: "spki", format: "der" })).digest("hex"), "key_fingerprint");
  assert.equal(c.self_signed, x.checkIssued(x) && x.verify(x.publicKey), "self_signed");
}

describe("parseCertificateChain on openssl-made certificates", () => {
  const o = new OpenSsl();
  let ca: Issued;
  before(() => {
    ca = o.selfSigned(o.key({ type: "ec", curve: "prime256v1" }), { subject: "/C=DE/O=Longwatch Test/CN=Device CA", ca: true, days: 3650 });
  });
  after(() => o.cleanup());

  const cases: { name: string; key: KeySpec; digest?: string; sigopts?: string[]; expect: Partial<CertificateInfo> }[] = [
    { name: "RSA-1024 / SHA-1", key: { type: "rsa", bits: 1024 }, digest: "sha1", expect: { key_type: "rsa", key_bits: 1024, sig_hash: "sha1", sig_alg: "sha1WithRSAEncryption" } },
    { name: "RSA-2048 / SHA-256", key: { type: "rsa", bits: 2048 }, digest: "sha256", expect: { key_type: "rsa", key_bits: 2048, sig_hash: "sha256" } },
    { name: "RSA-2048 / MD5", key: { type: "rsa", bits: 2048 }, digest: "md5", expect: { sig_hash: "md5", sig_alg: "md5WithRSAEncryption" } },
    { name: "RSA / RSASSA-PSS signature", key: { type: "rsa", bits: 2048 }, digest: "sha384", sigopts: ["rsa_padding_mode:pss", "rsa_pss_saltlen:48"], expect: { key_type: "rsa", sig_alg: "rsassaPss", sig_hash: "sha384" } },
    { name: "RSA-PSS key", key: { type: "rsa-pss", bits: 2048 }, digest: "sha256", expect: { key_type: "rsa-pss", key_bits: 2048, sig_alg: "rsassaPss", sig_hash: "sha256" } },
    { name: "EC P-256 / SHA-256", key: { type: "ec", curve: "prime256v1" }, digest: "sha256", expect: { key_type: "ec", key_bits: 256, curve: "secp256r1", sig_alg: "ecdsa-with-SHA256" } },
    { name: "EC P-384 / SHA-384", key: { type: "ec", curve: "secp384r1" }, digest: "sha384", expect: { key_bits: 384, curve: "secp384r1", sig_hash: "sha384" } },
    { name: "EC P-521 / SHA-512", key: { type: "ec", curve: "secp521r1" }, digest: "sha512", expect: { key_bits: 521, curve: "secp521r1", sig_hash: "sha512" } },
    { name: "EC P-224 / SHA-1", key: { type: "ec", curve: "secp224r1" }, digest: "sha1", expect: { key_bits: 224, curve: "secp224r1", sig_alg: "ecdsa-with-SHA1" } },
    { name: "EC P-192", key: { type: "ec", curve: "prime192v1" }, digest: "sha256", expect: { key_bits: 192, curve: "secp192r1" } },
    { name: "EC secp256k1", key: { type: "ec", curve: "secp256k1" }, digest: "sha256", expect: { key_bits: 256, curve: "secp256k1" } },
    { name: "EC brainpoolP256r1", key: { type: "ec", curve: "brainpoolP256r1" }, digest: "sha256", expect: { key_bits: 256, curve: "brainpoolP256r1" } },
    { name: "DSA-2048 / SHA-256", key: { type: "dsa", bits: 2048 }, digest: "sha256", expect: { key_type: "dsa", key_bits: 2048, sig_alg: "dsa_with_SHA256" } },
    { name: "DSA-1024 / SHA-1", key: { type: "dsa", bits: 1024 }, digest: "sha1", expect: { key_type: "dsa", key_bits: 1024, sig_alg: "dsaWithSHA1", sig_hash: "sha1" } },
    { name: "Ed25519", key: { type: "ed25519" }, expect: { key_type: "ed25519", key_bits: 256, sig_alg: "ED25519", sig_hash: "sha512" } },
    { name: "Ed448", key: { type: "ed448" }, expect: { key_type: "ed448", key_bits: 456, sig_alg: "ED448", sig_hash: "shake256" } },
  ];

  for (const tc of cases) {
    it(`${tc.name}: self-signed`, () => {
      const cert = o.selfSigned(o.key(tc.key), { subject: `/CN=${tc.name.replaceAll("/", "with")}/O=Longwatch Test`, ...(tc.digest ? { digest: tc.digest } : {}), ...(tc.sigopts ? { sigopts: tc.sigopts } : {}) });
      const c = leaf(cert.pem);
      assert.deepEqual({ ...c, ...tc.expect }, c);
      assert.equal(c.self_issued, true);
      assert.equal(c.self_signed, true);
      assert.equal(c.chain_length, 1);
      assertMatchesReference(o, cert, c);
    });
  }

  for (const tc of cases.filter((c) => c.sigopts === undefined)) {
    it(`${tc.name} key: issued by a CA, chain in the file`, () => {
      const cert = o.issue(ca, o.key(tc.key), { subject: `/CN=device-${tc.name.replace(/\W+/g, "-")}` });
      const c = leaf(cert.pem + ca.pem);
      assert.equal(c.key_type, tc.expect.key_type ?? c.key_type);
      assert.equal(c.self_issued, false);
      assert.equal(c.self_signed, false);
      assert.equal(c.sig_alg, "ecdsa-with-SHA256");
      assert.equal(c.chain_length, 2);
      assert.equal(c.issuer_not_after, leaf(ca.pem).not_after);
      assertMatchesReference(o, cert, c);
    });
  }

  it("reads exact validity dates, UTCTime before 2000 and GeneralizedTime from 2050", () => {
    const k = o.key({ type: "ec", curve: "prime256v1" });
    const old = leaf(o.issue(ca, k, { subject: "/CN=old", startdate: "19990101000000Z", enddate: "20491231235959Z" }).pem);
    assert.equal(old.not_before, "1999-01-01T00:00:00Z");
    assert.equal(old.not_after, "2049-12-31T23:59:59Z");
    const far = leaf(o.issue(ca, k, { subject: "/CN=far", startdate: "20300615120000Z", enddate: "20550101000000Z" }).pem);
    assert.equal(far.not_before, "2030-06-15T12:00:00Z");
    assert.equal(far.not_after, "2055-01-01T00:00:00Z");
  });

  it("renders names with RFC 4514 escapes, multi-valued RDNs, UTF-8 and control characters", () => {
    const k = o.key({ type: "ec", curve: "prime256v1" });
    const cases = ["/CN=a,b+c/O=x\"y;z<w>/OU= lead#/L=#x", "/CN=dev 1+serialNumber=42/O=Zürich Café ✓", "/CN=esc\x1b[31mred/O=semi;colon"];
    // RFC 4514 leaves the order inside a multi-valued RDN open (OpenSSL prints it reversed), so compare those as sets.
    const canonical = (dn: string) => dn.split(/(?<!\\),/).map((rdn) => rdn.split(/(?<!\\)\+/).sort().join("+")).join(",");
    for (const subject of cases) {
      const cert = o.selfSigned(k, { subject, multivalueRdn: subject.includes("+serialNumber") });
      const c = leaf(cert.pem);
      assert.equal(canonical(c.subject), canonical(o.name(cert.certPath, "subject")));
      assert.ok(!c.subject.includes("\x1b"), "no raw control characters");
    }
    assert.equal(leaf(o.selfSigned(k, { subject: cases[1]!, multivalueRdn: true }).pem).subject, "O=Zürich Café ✓,serialNumber=42+CN=dev 1");
    assert.equal(leaf(o.selfSigned(k, { subject: cases[2]! }).pem).subject, "O=semi\\;colon,CN=esc\\1B[31mred");
  });

  it("sets is_ca from basicConstraints", () => {
    assert.equal(leaf(ca.pem).is_ca, true);
    assert.equal(leaf(o.issue(ca, o.key({ type: "ed25519" }), { subject: "/CN=leaf" }).pem).is_ca, false);
  });

  it("is not self-signed when self-issued but signed by another key", () => {
    // Same name as the CA, signed by the CA: self-issued (RFC 5280 6.1) but not self-signed.
    const cert = o.issue(ca, o.key({ type: "ec", curve: "prime256v1" }), { subject: "/C=DE/O=Longwatch Test/CN=Device CA" });
    const c = leaf(cert.pem);
    assert.equal(c.self_issued, true);
    assert.equal(c.self_signed, false);
    const unchecked = parseCertificateChain(cert.pem, { verifySelfSigned: false });
    assert.ok("certificate" in unchecked && unchecked.certificate.self_signed);
  });

  it("finds the issuer anywhere in the file and reports a chain without it", () => {
    const other = o.selfSigned(o.key({ type: "ed25519" }), { subject: "/CN=Unrelated Root", ca: true, days: 10 });
    const cert = o.issue(ca, o.key({ type: "ed25519" }), { subject: "/CN=dev" });
    const outOfOrder = parseCertificateChain(cert.pem + other.pem + ca.pem);
    assert.ok("certificate" in outOfOrder);
    assert.equal(outOfOrder.certificate.issuer_not_after, leaf(ca.pem).not_after);
    assert.equal(outOfOrder.certificate.chain_length, 3);
    assert.equal(outOfOrder.warnings, undefined);
    const wrong = parseCertificateChain(cert.pem + other.pem);
    assert.ok("certificate" in wrong);
    assert.equal(wrong.certificate.issuer_not_after, undefined);
    assert.match(wrong.warnings?.join() ?? "", /no certificate in the file is the leaf's issuer/);
  });

  it("accepts text around and between the blocks, and warns about a private key in the file", () => {
    const cert = o.issue(ca, o.key({ type: "ec", curve: "prime256v1" }), { subject: "/CN=dev" });
    const dump = o.text(cert.certPath);
    const key = readFileSync(cert.keyPath, "utf8");
    const file = `Bag Attributes\n    friendlyName: dev\n${dump}\n${cert.pem}\nsubject=/CN=Device CA\n${ca.pem}\n${key}`;
    const r = parseCertificateChain(file);
    assert.ok("certificate" in r);
    assert.equal(r.certificate.fingerprint, leaf(cert.pem).fingerprint);
    assert.equal(r.certificate.chain_length, 2);
    assert.match(r.warnings?.join() ?? "", /PRIVATE KEY/);
  });

  it("reads CRLF line endings, TRUSTED CERTIFICATE blocks and binary DER", () => {
    const cert = o.issue(ca, o.key({ type: "ec", curve: "prime256v1" }), { subject: "/CN=dev" });
    const want = leaf(cert.pem).fingerprint;
    assert.equal(leaf(cert.pem.replaceAll("\n", "\r\n")).fingerprint, want);
    const trusted = o.run(["x509", "-in", cert.certPath, "-addtrust", "clientAuth", "-trustout"]);
    assert.match(trusted, /BEGIN TRUSTED CERTIFICATE/);
    assert.equal(leaf(trusted).fingerprint, want);
    const der = Buffer.from(o.runBinary(["x509", "-in", cert.certPath, "-outform", "DER"]));
    const caDer = Buffer.from(o.runBinary(["x509", "-in", ca.certPath, "-outform", "DER"]));
    const single = parseDer(der);
    assert.ok("certificate" in single && single.certificate.fingerprint === want);
    const file = parseCertificateFile(Buffer.concat([der, caDer]));
    assert.ok("certificate" in file);
    assert.equal(file.certificate.chain_length, 2);
    assert.equal(file.certificate.issuer_not_after, leaf(ca.pem).not_after);
    const pemFile = parseCertificateFile(Buffer.from(cert.pem));
    assert.ok("certificate" in pemFile && pemFile.certificate.fingerprint === want);
  });

  it("returns a reason for input that is not a certificate", () => {
    const cert = o.issue(ca, o.key({ type: "ec", curve: "prime256v1" }), { subject: "/CN=dev" });
    const cut = cert.pem.slice(0, cert.pem.length / 2);
    const expectError = (r: ReturnType<typeof parseCertificateChain>, re: RegExp) => {
      assert.ok("error" in r, "expected an error");
      assert.match(r.error, re);
    };
    expectError(parseCertificateChain(""), /not a PEM certificate/);
    expectError(parseCertificateChain("hello world"), /not a PEM certificate/);
    expectError(parseCertificateChain(cut), /no complete PEM certificate block/);
    expectError(parseCertificateChain(readFileSync(cert.keyPath, "utf8")), /no complete PEM certificate block/);
    expectError(parseCertificateChain("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"), /empty/);
    expectError(parseCertificateChain("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), /malformed certificate/);
    expectError(parseCertificateChain(`${cut}\n${ca.pem}`), /certificate 1 of 2: .*no END line/);
    expectError(parseCertificateFile(new Uint8Array()), /empty/);
    const body = cert.pem.split("\n").slice(1, -2).join("");
    const extra = Buffer.concat([Buffer.from(body, "base64"), Buffer.from([0, 0])]).toString("base64");
    expectError(parseCertificateChain(`-----BEGIN CERTIFICATE-----\n${extra}\n-----END CERTIFICATE-----\n`), /2 bytes of unexpected data after the certificate/);
  });

  it("keeps the leaf when a later certificate of the chain is broken", () => {
    const cert = o.issue(ca, o.key({ type: "ec", curve: "prime256v1" }), { subject: "/CN=dev" });
    const r = parseCertificateChain(`${cert.pem}-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n`);
    assert.ok("certificate" in r);
    assert.equal(r.certificate.chain_length, 2);
    assert.match(r.warnings?.join("\n") ?? "", /certificate 2 of 2: malformed certificate/);
  });
});
