/**
 * The parser against real certificates from badssl.com (test/fixtures/x509-badssl, Apache-2.0): every row of the
 * folder's manifest, plus node's own X509Certificate as a second opinion on the fields both can read.
 */
import assert from "node:assert/strict";
import { X509Certificate, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CsvParser } from "../../src/formats/csv.ts";
import { parseCertificateChain } from "../../src/formats/x509.ts";

const dir = join(import.meta.dirname, "../fixtures/x509-badssl");

function manifest(): Record<string, string>[] {
  const p = new CsvParser();
  const recs = [...p.push(readFileSync(join(dir, "manifest.csv"), "utf8")), ...p.end()];
  const rows = recs.map((r) => {
    if (!("cells" in r)) throw new Error(`manifest line ${r.line}: ${r.error}`);
    return r.cells;
  });
  const [header, ...body] = rows;
  return body.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? ""])));
}

const SEC_NAMES: Record<string, string> = { secp256r1: "secp256r1", secp384r1: "secp384r1", prime256v1: "secp256r1" };

describe("parseCertificateChain on the badssl.com certificates", () => {
  const rows = manifest();

  it("covers every file of the manifest", () => {
    assert.equal(rows.length, 27);
  });

  for (const row of rows) {
    it(`${row.file}: matches the manifest`, () => {
      const pem = readFileSync(join(dir, row.file!), "utf8");
      const r = parseCertificateChain(pem);
      assert.ok("certificate" in r, `parse failed: ${"error" in r ? r.error : ""}`);
      const c = r.certificate;
      assert.equal(c.chain_length, Number(row.certs_in_file));
      assert.equal(c.key_type, row.key_type!.toLowerCase());
      if (c.key_type === "ec") assert.equal(c.curve, SEC_NAMES[row.key_bits_or_curve!]);
      else assert.equal(c.key_bits, Number(row.key_bits_or_curve));
      assert.equal(c.sig_hash, row.sig_hash);
      assert.equal(c.not_before, row.not_before!.replace("+00:00", "Z"));
      assert.equal(c.not_after, row.not_after!.replace("+00:00", "Z"));
      assert.equal(c.self_issued, row.self_issued === "true");
      assert.equal(`v${c.version}`, row.version);
      const cn = /(?:^|,)CN=((?:[^,\\]|\\.)*)/.exec(c.subject)?.[1]?.replace(/\\(.)/g, "$1") ?? "";
      assert.equal(cn, row.subject_cn);
    });

    it(`${row.file}: agrees with node's X509Certificate`, () => {
      const pem = readFileSync(join(dir, row.file!), "utf8");
      const r = parseCertificateChain(pem);
      assert.ok("certificate" in r);
      const c = r.certificate;
      const x = new X509Certificate(pem);
      assert.equal(c.fingerprint, x.fingerprint256.replaceAll(":", "").toLowerCase());
      assert.equal(c.not_after, new Date(x.validTo).toISOString().replace(".000Z", "Z"));
      assert.equal(c.is_ca, x.ca);
      const details = x.publicKey.asymmetricKeyDetails ?? {};
      if (details.modulusLength !== undefined) assert.equal(c.key_bits, details.modulusLength);
      if (details.namedCurve !== undefined) assert.equal(c.curve, SEC_NAMES[details.namedCurve]);
      assert.equal(c.key_fingerprint, createHash("sha256").update(x.publicKey.export({ type: "spki", format: "der" })).digest("hex"));
      // Self-signed = self-issued and verifiable with its own key; node can answer that too.
      assert.equal(c.self_signed, x.checkIssued(x) && x.verify(x.publicKey));
    });
  }

  it("reads the issuer's expiry from the next certificate of a chain", () => {
    const r = parseCertificateChain(readFileSync(join(dir, "wildcard-rsa2048.pem"), "utf8"));
    assert.ok("certificate" in r);
    const [, issuerPem] = readFileSync(join(dir, "wildcard-rsa2048.pem"), "utf8").split(/(?=-----BEGIN CERTIFICATE-----)/);
    assert.equal(r.certificate.issuer_not_after, new Date(new X509Certificate(issuerPem!).validTo).toISOString().replace(".000Z", "Z"));
  });

  it("escapes commas in names the way RFC 4514 does", () => {
    const r = parseCertificateChain(readFileSync(join(dir, "ca-superfish.crt.pem"), "utf8"));
    assert.ok("certificate" in r);
    assert.equal(r.certificate.subject, "CN=Superfish\\, Inc.,C=US,ST=CA,L=SF,O=Superfish\\, Inc.");
  });

  it("reads a UTF-8 issuer name and an empty subject", () => {
    const r = parseCertificateChain(readFileSync(join(dir, "subdomain-no-subject.pem"), "utf8"));
    assert.ok("certificate" in r);
    assert.equal(r.certificate.subject, "");
    assert.match(r.certificate.issuer, /^CN=UbiquiTLS™ DV RSA Server CA,/);
  });
});
