/**
 * The identity rules through the real engine over a real SQLite store, with certificates made by openssl and read by
 * the real parser. Every rule has cases that must be reported and cases that must not.
 */
import { serializeDevice } from "../../src/store/store.ts";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseRuleSettings } from "../../src/audit/config.ts";
import { runAudit } from "../../src/audit/engine.ts";
import { identityRules } from "../../src/audit/rules/identity.ts";
import { allRules } from "../../src/audit/rules/index.ts";
import type { CertificateInfo } from "../../src/core/fleet.ts";
import type { Finding } from "../../src/core/finding.ts";
import { parseStandardRef } from "../../src/core/standards.ts";
import { parseCertificateChain } from "../../src/formats/x509.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { StoredDevice } from "../../src/store/store.ts";
import { type Issued, type KeySpec, OpenSsl } from "../helpers/openssl.ts";
import { rocaPrivateKey } from "../helpers/roca-key.ts";
import { importRows } from "../helpers/store.ts";

const NOW = Date.parse("2030-06-01T00:00:00Z");

interface Fleet {
  devices: StoredDevice[];
  certs: CertificateInfo[];
}

function certificate(pem: string): CertificateInfo {
  const r = parseCertificateChain(pem);
  assert.ok("certificate" in r, "error" in r ? r.error : "");
  return r.certificate;
}

/** Devices with optional certificates (PEM, leaf first) and identifiers. */
function fleet(entries: { id: string; pem?: string; mqtt?: string; imei?: string; iccid?: string }[]): Fleet {
  const certs = new Map<string, CertificateInfo>();
  const devices = entries.map((e) => {
    const d: StoredDevice = { device_id: e.id };
    if (e.pem !== undefined) {
      const c = certificate(e.pem);
      certs.set(c.fingerprint, c);
      d.cert_fingerprint = c.fingerprint;
    }
    if (e.mqtt !== undefined) d.mqtt_client_id = e.mqtt;
    if (e.imei !== undefined) d.imei = e.imei;
    if (e.iccid !== undefined) d.iccid = e.iccid;
    return d;
  });
  return { devices, certs: [...certs.values()] };
}

async function audit(f: Fleet, opts: { rules?: Record<string, unknown>; store?: ReturnType<typeof openSqliteStore>; now?: number } = {}): Promise<Finding[]> {
  const store = opts.store ?? openSqliteStore(":memory:");
  await store.fleet.upsertCertificates(f.certs);
  await importRows(store, f.devices.map(serializeDevice), { source: "test", prune: true });
  const parsed = parseRuleSettings(opts.rules ?? {}, identityRules);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.errors.join("; "));
  const findings: Finding[] = [];
  await runAudit({ store, rules: identityRules, now: opts.now ?? NOW, keyedDigest: () => "", settings: parsed.settings, onFinding: (x) => findings.push(x) });
  if (!opts.store) await store.close();
  return findings;
}

function only(findings: Finding[], rule: string): Finding[] {
  return findings.filter((f) => f.rule === rule);
}

function one(findings: Finding[], rule: string, device: string): Finding {
  const hits = findings.filter((f) => f.rule === rule && (f.device_id === device || f.devices?.includes(device)));
  assert.equal(hits.length, 1, `${rule} on ${device}: ${hits.length} findings (${findings.map((f) => `${f.rule}:${f.device_id ?? f.devices?.join("+")}`).join(", ")})`);
  return hits[0]!;
}

function none(findings: Finding[], rule: string, device: string): void {
  const hits = findings.filter((f) => f.rule === rule && (f.device_id === device || f.devices?.includes(device)));
  assert.deepEqual(hits.map((h) => h.title), [], `${rule} must not report ${device}`);
}

describe("identity rules", () => {
  const o = new OpenSsl();
  let ca: Issued;
  /** A CA-issued certificate valid 2020–2099 unless dates are given. */
  const issue = (key: KeySpec | string, subject: string, extra: { digest?: string; startdate?: string; enddate?: string; issuer?: Issued } = {}) =>
    o.issue(extra.issuer ?? ca, typeof key === "string" ? key : o.key(key), {
      subject,
      startdate: extra.startdate ?? "20200101000000Z",
      enddate: extra.enddate ?? "20991231235959Z",
      ...(extra.digest !== undefined ? { digest: extra.digest } : {}),
    });
  const selfSigned = (key: KeySpec, subject: string, digest?: string) =>
    o.selfSigned(o.key(key), { subject, startdate: "20200101000000Z", enddate: "20991231235959Z", ...(digest !== undefined ? { digest } : {}) });

  before(() => {
    ca = o.selfSigned(o.key({ type: "ec", curve: "prime256v1" }), { subject: "/O=Longwatch Test/CN=Device CA", ca: true, startdate: "20200101000000Z", enddate: "20991231235959Z" });
  });
  after(() => o.cleanup());

  it("are all registered", () => {
    const ids = identityRules.map((r) => r.id);
    assert.deepEqual(ids, ["weak-key", "roca-key", "weak-signature", "cert-expired", "cert-expiring", "cert-not-yet-valid", "cert-self-signed", "cert-shared", "client-id-shared", "imei-duplicate", "iccid-duplicate"]);
    for (const id of ids) assert.ok(allRules.some((r) => r.id === id), id);
    for (const r of identityRules) {
      assert.ok(r.rationale.length > 150 && r.remediation.length > 100, `${r.id} explains itself`);
      assert.doesNotThrow(() => r.params.parse({}));
      for (const ref of r.standards) assert.ok(parseStandardRef(ref), `${r.id}: ${ref}`);
    }
  });

  it("weak-key: grades keys by strength and honours its parameters", async () => {
    const f = fleet([
      { id: "rsa512", pem: issue({ type: "rsa", bits: 512 }, "/CN=rsa512").pem },
      { id: "rsa1024", pem: issue({ type: "rsa", bits: 1024 }, "/CN=rsa1024").pem },
      { id: "rsa2048", pem: issue({ type: "rsa", bits: 2048 }, "/CN=rsa2048").pem },
      { id: "p192", pem: issue({ type: "ec", curve: "prime192v1" }, "/CN=p192").pem },
      { id: "p224", pem: issue({ type: "ec", curve: "secp224r1" }, "/CN=p224").pem },
      { id: "p256", pem: issue({ type: "ec", curve: "prime256v1" }, "/CN=p256").pem },
      { id: "dsa", pem: issue({ type: "dsa", bits: 2048 }, "/CN=dsa").pem },
      { id: "ed25519", pem: issue({ type: "ed25519" }, "/CN=ed25519").pem },
      { id: "nocert" },
    ]);
    const findings = await audit(f);
    assert.equal(one(findings, "weak-key", "rsa512").severity, "critical");
    assert.equal(one(findings, "weak-key", "rsa1024").severity, "high");
    assert.equal(one(findings, "weak-key", "p192").severity, "high");
    assert.equal(one(findings, "weak-key", "p224").severity, "medium");
    const dsa = one(findings, "weak-key", "dsa");
    assert.match(dsa.title, /DSA/);
    assert.equal(dsa.severity, "medium");
    assert.deepEqual(dsa.standards.slice(0, 1), ["ETSI-EN-303-645:5.5-1"]);
    assert.equal(only(findings, "weak-key").length, 5);
    for (const id of ["rsa2048", "p256", "ed25519", "nocert"]) none(findings, "weak-key", id);
    assert.equal(one(findings, "weak-key", "rsa1024").evidence.key_bits, 1024);

    const strict = await audit(f, { rules: { "weak-key": { params: { min_rsa_bits: 3072, min_ec_bits: 224, allow_dsa: true } } } });
    assert.equal(one(strict, "weak-key", "rsa2048").severity, "medium");
    none(strict, "weak-key", "p224");
    // DSA allowed, but 2048 bits is under the raised RSA/DSA minimum.
    assert.match(one(strict, "weak-key", "dsa").title, /minimum of 3072/);
  });

  it("roca-key: reports a key with the ROCA structure and nothing else", async () => {
    const keyPath = join(o.dir, "roca-rule.key");
    writeFileSync(keyPath, rocaPrivateKey(1024).export({ type: "pkcs8", format: "pem" }));
    const f = fleet([
      { id: "infineon", pem: issue(keyPath, "/CN=infineon").pem },
      { id: "normal", pem: issue({ type: "rsa", bits: 2048 }, "/CN=normal").pem },
    ]);
    const findings = await audit(f);
    const hit = one(findings, "roca-key", "infineon");
    assert.equal(hit.severity, "critical");
    assert.equal(hit.evidence.cve, "CVE-2017-15361");
    none(findings, "roca-key", "normal");
  });

  it("weak-signature: MD5 high, SHA-1 medium, SHA-1 on a self-signed certificate low, SHA-256 fine", async () => {
    const rsa = o.key({ type: "rsa", bits: 2048 });
    const rsaCa = o.selfSigned(rsa, { subject: "/CN=RSA CA", ca: true, startdate: "20200101000000Z", enddate: "20991231235959Z" });
    const f = fleet([
      { id: "md5", pem: issue({ type: "ec", curve: "prime256v1" }, "/CN=md5", { issuer: rsaCa, digest: "md5" }).pem },
      { id: "sha1", pem: issue({ type: "ec", curve: "prime256v1" }, "/CN=sha1", { issuer: rsaCa, digest: "sha1" }).pem },
      { id: "ecdsa-sha1", pem: issue({ type: "ec", curve: "prime256v1" }, "/CN=ecdsa-sha1", { digest: "sha1" }).pem },
      { id: "self-sha1", pem: selfSigned({ type: "rsa", bits: 2048 }, "/CN=self-sha1", "sha1").pem },
      { id: "sha256", pem: issue({ type: "ec", curve: "prime256v1" }, "/CN=sha256", { issuer: rsaCa, digest: "sha256" }).pem },
    ]);
    const findings = await audit(f);
    assert.equal(one(findings, "weak-signature", "md5").severity, "high");
    assert.equal(one(findings, "weak-signature", "sha1").severity, "medium");
    assert.match(one(findings, "weak-signature", "ecdsa-sha1").title, /ecdsa-with-SHA1/);
    assert.equal(one(findings, "weak-signature", "self-sha1").severity, "low");
    none(findings, "weak-signature", "sha256");
    const md5Only = await audit(f, { rules: { "weak-signature": { params: { hashes: ["md5"] } } } });
    assert.deepEqual(only(md5Only, "weak-signature").map((x) => x.device_id), ["md5"]);
  });

  it("cert-expired, cert-expiring, cert-not-yet-valid: by the scan's clock, including the issuing CA's expiry", async () => {
    const shortCa = o.selfSigned(o.key({ type: "ec", curve: "prime256v1" }), { subject: "/CN=Short-lived CA", ca: true, startdate: "20200101000000Z", enddate: "20300620000000Z" });
    const expiredCa = o.selfSigned(o.key({ type: "ec", curve: "prime256v1" }), { subject: "/CN=Expired CA", ca: true, startdate: "20200101000000Z", enddate: "20300101000000Z" });
    const ec = { type: "ec", curve: "prime256v1" } as const;
    const withChain = (leaf: Issued, issuer: Issued) => leaf.pem + issuer.pem;
    const f = fleet([
      { id: "expired", pem: issue(ec, "/CN=expired", { enddate: "20250101000000Z" }).pem },
      { id: "ca-expired", pem: withChain(issue(ec, "/CN=ca-expired", { issuer: expiredCa }), expiredCa) },
      { id: "in-10-days", pem: issue(ec, "/CN=in-10-days", { enddate: "20300611000000Z" }).pem },
      { id: "in-3-days", pem: issue(ec, "/CN=in-3-days", { enddate: "20300604000000Z" }).pem },
      { id: "in-40-days", pem: issue(ec, "/CN=in-40-days", { enddate: "20300711000000Z" }).pem },
      { id: "ca-expiring", pem: withChain(issue(ec, "/CN=ca-expiring", { issuer: shortCa }), shortCa) },
      { id: "future", pem: issue(ec, "/CN=future", { startdate: "20310101000000Z" }).pem },
      { id: "fine", pem: issue(ec, "/CN=fine").pem },
    ]);
    const findings = await audit(f);

    const expired = one(findings, "cert-expired", "expired");
    assert.equal(expired.severity, "high");
    assert.equal(expired.evidence.days_expired, 1977);
    assert.match(one(findings, "cert-expired", "ca-expired").title, /issuing CA certificate expired on 2030-01-01/);
    assert.equal(only(findings, "cert-expired").length, 2);

    assert.equal(one(findings, "cert-expiring", "in-10-days").severity, "medium");
    assert.equal(one(findings, "cert-expiring", "in-10-days").evidence.days_left, 10);
    assert.equal(one(findings, "cert-expiring", "in-3-days").severity, "high");
    assert.match(one(findings, "cert-expiring", "ca-expiring").title, /issuing CA certificate expires on 2030-06-20/);
    for (const id of ["in-40-days", "expired", "fine", "future"]) none(findings, "cert-expiring", id);
    const longer = await audit(f, { rules: { "cert-expiring": { params: { days: 60 } } } });
    one(longer, "cert-expiring", "in-40-days");

    const future = one(findings, "cert-not-yet-valid", "future");
    assert.equal(future.evidence.not_before, "2031-01-01T00:00:00Z");
    assert.equal(only(findings, "cert-not-yet-valid").length, 1);

    // The same fleet scanned in 2021: nothing has expired yet, and 'future' is still in the future.
    const early = await audit(f, { now: Date.parse("2021-06-01T00:00:00Z") });
    assert.equal(only(early, "cert-expired").length, 0);
    one(early, "cert-not-yet-valid", "future");
  });

  it("cert-self-signed: self-signed device certificates only", async () => {
    const f = fleet([
      { id: "self", pem: selfSigned({ type: "ec", curve: "prime256v1" }, "/CN=self").pem },
      { id: "issued", pem: issue({ type: "ec", curve: "prime256v1" }, "/CN=issued").pem },
      // Carries its CA's name but is signed by the CA: self-issued, not self-signed.
      { id: "same-name", pem: issue({ type: "ec", curve: "prime256v1" }, "/O=Longwatch Test/CN=Device CA").pem },
    ]);
    const findings = await audit(f);
    const hit = one(findings, "cert-self-signed", "self");
    assert.equal(hit.severity, "medium");
    assert.equal(hit.evidence.is_ca, false);
    none(findings, "cert-self-signed", "issued");
    none(findings, "cert-self-signed", "same-name");
  });

  it("cert-shared: one certificate, or one key pair under several certificates, on several devices", async () => {
    const shared = issue({ type: "ec", curve: "prime256v1" }, "/CN=batch-7").pem;
    const key = o.key({ type: "ec", curve: "prime256v1" });
    const f = fleet([
      { id: "a1", pem: shared },
      { id: "a2", pem: shared },
      { id: "a3", pem: shared },
      { id: "k1", pem: issue(key, "/CN=k1").pem },
      { id: "k2", pem: issue(key, "/CN=k2").pem },
      { id: "own", pem: issue({ type: "ec", curve: "prime256v1" }, "/CN=own").pem },
    ]);
    const findings = await audit(f);
    const same = one(findings, "cert-shared", "a1");
    assert.deepEqual(same.devices, ["a1", "a2", "a3"]);
    assert.match(same.title, /3 devices use the same certificate/);
    assert.equal(same.severity, "high");
    const sameKey = one(findings, "cert-shared", "k1");
    assert.deepEqual(sameKey.devices, ["k1", "k2"]);
    assert.equal((sameKey.evidence.cert_fingerprints as string[]).length, 2);
    assert.match(sameKey.title, /share one key pair across 2 certificates/);
    none(findings, "cert-shared", "own");
    assert.equal(only(findings, "cert-shared").length, 2);
  });

  it("client-id-shared, imei-duplicate, iccid-duplicate: one finding per shared identifier", async () => {
    const f = fleet([
      { id: "m1", mqtt: "sensor", imei: "490154203237518", iccid: "8944500102198304826" },
      { id: "m2", mqtt: "sensor", imei: "49015420323751", iccid: "8944500102198304826" },
      { id: "m3", mqtt: "Sensor", imei: "4901542032375101", iccid: "8944500102198304827" },
      { id: "m4", mqtt: "m4", imei: "356938035643809" },
    ]);
    const findings = await audit(f);
    const mqtt = one(findings, "client-id-shared", "m1");
    assert.deepEqual(mqtt.devices, ["m1", "m2"]);
    none(findings, "client-id-shared", "m3");
    // The IMEI with and without its check digit, and as an IMEISV, are the same modem.
    const imei = one(findings, "imei-duplicate", "m1");
    assert.deepEqual(imei.devices, ["m1", "m2", "m3"]);
    assert.equal(imei.evidence.tac, "49015420");
    none(findings, "imei-duplicate", "m4");
    assert.deepEqual(one(findings, "iccid-duplicate", "m1").devices, ["m1", "m2"]);
    none(findings, "iccid-duplicate", "m3");
    none(findings, "iccid-duplicate", "m4");
  });

  it("keeps fingerprints stable across scans and closes a finding when the certificate is replaced", async () => {
    const store = openSqliteStore(":memory:");
    const weak = issue({ type: "rsa", bits: 1024 }, "/CN=dev").pem;
    const first = await audit(fleet([{ id: "dev", pem: weak }]), { store });
    const again = await audit(fleet([{ id: "dev", pem: weak }]), { store });
    assert.equal(one(first, "weak-key", "dev").status, "new");
    assert.equal(one(again, "weak-key", "dev").status, "unchanged");
    assert.equal(one(again, "weak-key", "dev").fingerprint, one(first, "weak-key", "dev").fingerprint);
    const replaced = await audit(fleet([{ id: "dev", pem: issue({ type: "rsa", bits: 1536 }, "/CN=dev").pem }]), { store });
    const latest = one(replaced, "weak-key", "dev");
    assert.equal(latest.status, "new");
    assert.notEqual(latest.fingerprint, one(first, "weak-key", "dev").fingerprint);
    await store.close();
  });
});
