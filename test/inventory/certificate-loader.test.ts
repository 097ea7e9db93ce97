import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rng } from "../../src/core/random.ts";
import { ed25519Key } from "../../src/demo/keys.ts";
import { buildCertificate, spkiOf, toPem } from "../../src/demo/x509-build.ts";
import { parseCertificateFile } from "../../src/formats/x509.ts";
import { certificateLoader } from "../../src/inventory/certificate-loader.ts";
import { tmpDir } from "../helpers/tmp.ts";

function pem(cn: string): string {
  const key = ed25519Key(rng(cn.length));
  const subject = { cn };
  return toPem(buildCertificate({ subject, issuer: subject, serial: 1n, notBefore: Date.UTC(2025, 0, 1), notAfter: Date.UTC(2030, 0, 1), spki: spkiOf(key), signWith: { key, alg: "ed25519" } }));
}

describe("certificate loader", () => {
  const t = tmpDir();
  const inv = join(t.dir, "inventory");
  const outside = join(t.dir, "outside");
  mkdirSync(join(inv, "certs"), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(inv, "certs", "ok.pem"), pem("device-1"));
  writeFileSync(join(outside, "secret.pem"), pem("elsewhere"));
  symlinkSync(join(outside, "secret.pem"), join(inv, "certs", "link.pem"));
  symlinkSync(outside, join(inv, "escape"));
  writeFileSync(join(inv, "certs", "big.pem"), "x".repeat(2 << 20));
  writeFileSync(join(inv, "certs", "junk.pem"), "not a certificate");

  it("loads a certificate inside the inventory's folder, once per path", () => {
    const loader = certificateLoader(parseCertificateFile);
    const a = loader.load("certs/ok.pem", inv);
    assert.ok("fingerprint" in a);
    assert.deepEqual(loader.load("./certs/../certs/ok.pem", inv), a);
    assert.equal(loader.drain().length, 1);
    assert.equal(loader.drain().length, 0);
  });

  it("refuses paths that leave the inventory's folder: .., absolute, symlinked file or folder", () => {
    const loader = certificateLoader(parseCertificateFile);
    for (const p of ["../outside/secret.pem", join(outside, "secret.pem"), "certs/link.pem", "escape/secret.pem"]) {
      const r = loader.load(p, inv);
      assert.ok("error" in r && /outside the inventory's folder/.test(r.error), `${p}: ${JSON.stringify(r)}`);
    }
    const allowed = certificateLoader(parseCertificateFile, { allowOutside: true });
    assert.ok("fingerprint" in allowed.load("escape/secret.pem", inv));
  });

  it("reports missing, oversized, non-file and unparseable certificates as errors, never throws", () => {
    const loader = certificateLoader(parseCertificateFile);
    const msg = (p: string) => (loader.load(p, inv) as { error: string }).error;
    assert.match(msg("certs/none.pem"), /not found/);
    assert.match(msg("certs/big.pem"), /larger than 1 MiB/);
    assert.match(msg("certs"), /not a file/);
    assert.match(msg("certs/junk.pem"), /^certificate file certs\/junk\.pem: /);
  });
});
