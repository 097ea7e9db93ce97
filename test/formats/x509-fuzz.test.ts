/**
 * Fuzzing the certificate parser: random bytes, every truncation, random mutations of real certificates and garbage
 * PEM. Whatever comes in, the parser returns (never throws), and returns either an error message or a certificate
 * whose fields are well-formed. Seeds are fixed so a failure can be replayed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { CertificateInfo } from "../../src/core/fleet.ts";
import { type CertificateResult, parseCertificateChain, parseCertificateFile, parseDer } from "../../src/formats/x509.ts";
import { pick, rng } from "../helpers/random.ts";

const dir = join(import.meta.dirname, "../fixtures/x509-badssl");
const samples = ["wildcard-ecc256.pem", "ca-superfish.crt.pem", "subdomain-no-subject.pem", "subdomain-extended-validation.pem", "wildcard-self-signed.pem"].map((f) =>
  readFileSync(join(dir, f), "utf8"),
);
const ders = samples.map((pem) => Buffer.from(pem.split("-----")[2]!, "base64"));

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The result is one of the two promised shapes, and a certificate's fields have the promised forms. */
function assertWellFormed(r: CertificateResult | { certificate: CertificateInfo } | { error: string }, what: string): void {
  if ("error" in r) {
    assert.equal(typeof r.error, "string", what);
    assert.ok(r.error.length > 0, `${what}: empty error message`);
    return;
  }
  const c = r.certificate;
  assert.match(c.fingerprint, /^[0-9a-f]{64}$/, what);
  assert.match(c.serial, /^[0-9A-F]*$/, what);
  assert.match(c.not_before, ISO, what);
  assert.match(c.not_after, ISO, what);
  assert.ok(["rsa", "rsa-pss", "ec", "dsa", "ed25519", "ed448", "unknown"].includes(c.key_type), what);
  assert.ok(Number.isInteger(c.key_bits) && c.key_bits >= 0, what);
  assert.equal(typeof c.subject, "string", what);
  assert.ok(![...(c.subject + c.issuer)].some((ch) => ch.charCodeAt(0) < 0x20), `${what}: control character in a name`);
  assert.ok(c.chain_length >= 1, what);
}

function mutate(r: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const kind = Math.floor(r() * 4);
  if (kind === 0) {
    for (let n = 1 + Math.floor(r() * 4); n > 0; n--) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  }
  if (kind === 1) {
    const i = Math.floor(r() * out.length);
    out[i] = out[i]! ^ (1 << Math.floor(r() * 8));
    return out;
  }
  const at = Math.floor(r() * out.length);
  const n = 1 + Math.floor(r() * 8);
  if (kind === 2) return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256))), out.subarray(at)]);
  return Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + n))]);
}

describe("x509 parser fuzzing", () => {
  it("random bytes", () => {
    const r = rng(1);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * r() * 3000);
      const b = Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
      // Random bytes that start like a SEQUENCE reach deeper into the DER reader.
      if (len > 0 && r() < 0.5) b[0] = 0x30;
      assertWellFormed(parseDer(b), `seed 1 case ${i}`);
      assertWellFormed(parseCertificateFile(b), `seed 1 case ${i} (file)`);
    }
  });

  it("every truncation of real certificates is an error", () => {
    for (const der of ders) {
      for (let len = 0; len < der.length; len++) {
        const r = parseDer(der.subarray(0, len));
        assert.ok("error" in r, `truncated to ${len} of ${der.length} bytes was accepted`);
      }
    }
  });

  it("random mutations of real certificates", () => {
    const r = rng(2);
    let parsed = 0;
    for (let i = 0; i < 6000; i++) {
      const m = mutate(r, pick(r, ders));
      const res = parseDer(m);
      if ("certificate" in res) parsed++;
      assertWellFormed(res, `seed 2 case ${i}`);
      assertWellFormed(parseCertificateChain(`-----BEGIN CERTIFICATE-----\n${m.toString("base64")}\n-----END CERTIFICATE-----\n`), `seed 2 case ${i} (pem)`);
    }
    // Some mutations land in values (names, key bits) and still parse; most must be rejected.
    assert.ok(parsed > 0 && parsed < 6000, `parsed ${parsed} of 6000 mutants`);
  });

  it("mutations of PEM text", () => {
    const r = rng(3);
    const alphabet = "-----BEGIN END CERTIFICATE PRIVATE KEY\n\r=+/ABCxyz019:é\u0000";
    for (let i = 0; i < 3000; i++) {
      const src = pick(r, samples);
      const chars = [...src];
      for (let n = 1 + Math.floor(r() * 6); n > 0; n--) {
        const at = Math.floor(r() * chars.length);
        const op = r();
        if (op < 0.4) chars[at] = alphabet[Math.floor(r() * alphabet.length)]!;
        else if (op < 0.7) chars.splice(at, Math.floor(r() * 40));
        else chars.splice(at, 0, pick(r, ["-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----", "\n", "Proc-Type: 4,ENCRYPTED\n", src.slice(0, 200)]));
      }
      assertWellFormed(parseCertificateChain(chars.join("")), `seed 3 case ${i}`);
    }
  });

  it("hostile lengths and structures", () => {
    const cases = [
      [0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
      [0x30, 0x85, 1, 0, 0, 0, 0],
      [0x30, 0x80, 0, 0],
      [0x30, 0x03, 0x30, 0x01, 0x30],
      [0x1f, 0x81, 0x01, 0x00],
      [0x30, 0x06, 0x30, 0x04, 0xa0, 0x02, 0x02, 0x09],
      Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? 0x30 : 0x80)),
    ];
    for (const c of cases) {
      const res = parseDer(Buffer.from(c));
      assert.ok("error" in res, `accepted ${Buffer.from(c).toString("hex").slice(0, 40)}`);
    }
  });
});
