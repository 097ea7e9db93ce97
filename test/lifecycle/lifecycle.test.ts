import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lifecycleRules } from "../../src/audit/rules/lifecycle.ts";
import type { RuleSettings } from "../../src/audit/config.ts";
import type { CertificateInfo, DeviceModel } from "../../src/core/fleet.ts";
import { parseIsoDate } from "../../src/core/dates.ts";
import { computeForecast, fromStored } from "../../src/lifecycle/forecast.ts";
import { loadCryptoPolicy, shippedPolicy } from "../../src/lifecycle/policy.ts";
import { LifecycleAssessor } from "../../src/lifecycle/secure-until.ts";
import { forecastHeadline, renderForecastPage, renderForecastSvg } from "../../src/report/forecast-html.ts";
import type { StoredDevice } from "../../src/store/store.ts";
import { allRules } from "../../src/audit/rules/index.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { audit, storeWith } from "../helpers/fleet.ts";
import { importRows } from "../helpers/store.ts";

const NOW = "2026-11-25";
const d = (s: string) => parseIsoDate(s)!;

function cert(fp: string, over: Partial<CertificateInfo>): CertificateInfo {
  return {
    fingerprint: fp,
    subject: `CN=${fp}`,
    issuer: "CN=Fleet CA",
    serial: "01",
    not_before: "2024-01-01",
    not_after: "2034-01-01",
    key_type: "ec",
    key_bits: 256,
    curve: "prime256v1",
    sig_alg: "ecdsa-with-SHA256",
    sig_hash: "sha256",
    self_issued: false,
    self_signed: false,
    is_ca: false,
    roca: false,
    chain_length: 2,
    issuer_not_after: "2040-01-01",
    ...over,
  };
}

const models: DeviceModel[] = [
  // Updatable gateway with classical crypto, supported to 2032, meant to live 15 years.
  { model_id: "gw", ota_capable: true, support_end: "2032-12-31", field_life_years: 15, crypto: { key_exchange: ["ecdh-p256"], signature: ["ecdsa-p256"], agile: false } },
  // Sealed meter: no OTA, not agile, RSA-2048, supported to 2040.
  { model_id: "meter", ota_capable: false, support_end: "2040-12-31", crypto: { key_exchange: ["rsa-2048"], signature: ["rsa-2048"], agile: false } },
  // A legacy sensor with 1024-bit DH: already disallowed.
  { model_id: "legacy", ota_capable: false, support_end: "2030-01-01", crypto: { key_exchange: ["dh-1024"] } },
  // Post-quantum ready: hybrid key exchange, PQC signatures.
  { model_id: "pq", ota_capable: true, support_end: "2050-01-01", crypto: { key_exchange: ["x25519", "ml-kem-768"], signature: ["ml-dsa-65"], agile: true } },
];

const devices: StoredDevice[] = [
  { device_id: "gw-1", model_id: "gw", deployed_at: "2025-01-01", cert_fingerprint: "c-gw-1" },
  { device_id: "gw-2", model_id: "gw", deployed_at: "2020-01-01", retire_at: "2030-06-01", cert_fingerprint: "c-gw-2" },
  { device_id: "meter-1", model_id: "meter", deployed_at: "2024-01-01", retire_at: "2044-01-01", cert_fingerprint: "c-meter-1" },
  { device_id: "legacy-1", model_id: "legacy", retire_at: "2028-01-01" },
  { device_id: "pq-1", model_id: "pq", retire_at: "2045-01-01", cert_fingerprint: "c-pq-1" },
  { device_id: "loose", retire_at: "2040-01-01" },
];

const certificates = [
  cert("c-gw-1", { not_after: "2029-05-01" }),
  cert("c-gw-2", {}),
  cert("c-meter-1", { key_type: "rsa", key_bits: 2048, curve: undefined as unknown as string, sig_hash: "sha1", not_after: "2044-06-01" }),
  cert("c-pq-1", { key_type: "ed25519", key_bits: 256, not_after: "2049-01-01", issuer_not_after: "2049-01-01" }),
];

const fleet = () => storeWith({ models, devices, certificates });

describe("secure until", () => {
  const a = new LifecycleAssessor(shippedPolicy());
  const view = (id: string) => {
    const dev = devices.find((x) => x.device_id === id)!;
    const m = models.find((x) => x.model_id === dev.model_id);
    const c = certificates.find((x) => x.fingerprint === dev.cert_fingerprint);
    return a.assess({ device: dev, ...(m ? { model: m } : {}), ...(c ? { certificate: c } : {}) });
  };

  it("is the earliest of certificate expiry, CA expiry, support end and crypto disallowance", () => {
    const gw = view("gw-1");
    assert.equal(gw.secure_until, d("2029-05-01"));
    assert.equal(gw.limiting!.kind, "certificate");
    assert.deepEqual(gw.limits.map((l) => [l.kind, new Date(l.at).toISOString().slice(0, 10)]), [
      ["certificate", "2029-05-01"],
      ["issuer_certificate", "2040-01-01"],
      ["support", "2032-12-31"],
      ["crypto", "2036-01-01"],
    ]);
    assert.equal(gw.retirement, d("2040-01-01"));
    assert.equal(gw.migratable, true);
  });

  it("counts the certificate's signature hash: SHA-1 is already disallowed", () => {
    const m = view("meter-1");
    assert.equal(m.limiting!.kind, "crypto");
    assert.equal(m.secure_until, d("2014-01-01"));
    assert.equal(m.crypto.limiting!.name, "sha1 signature");
    assert.equal(m.migratable, false);
  });

  it("treats classical algorithms next to a post-quantum one as a hybrid that does not end security", () => {
    const pq = view("pq-1");
    assert.equal(pq.crypto.disallowed_from, d("2036-01-01"), "the certificate's Ed25519 key is still classical");
    assert.equal(pq.crypto.algorithms.find((u) => u.name === "x25519")!.hybrid_with, "ml-kem-768");
    assert.deepEqual(pq.crypto.quantum_vulnerable_key_exchange, []);
  });
});

describe("lifecycle findings", () => {
  it("outlives-security: devices in the field after their security ends, by how many years", async () => {
    const { findings } = await audit(await fleet(), lifecycleRules, { now: NOW });
    const f = findings.filter((x) => x.rule === "outlives-security").map((x) => [x.model_id, x.devices, x.severity, x.evidence.limited_by, x.evidence.years_unsecured_max]);
    assert.deepEqual(f, [
      ["gw", ["gw-1"], "high", "certificate", 10.7],
      ["legacy", ["legacy-1"], "high", "crypto", 1.1],
      ["meter", ["meter-1"], "high", "crypto", 17.1],
      // Updatable, but until it is migrated its Ed25519 identity key is disallowed from 2036.
      ["pq", ["pq-1"], "high", "crypto", 9],
    ]);
  });

  it("crypto-disallowed-before-retirement: critical when already disallowed, medium when migratable", async () => {
    const { findings } = await audit(await fleet(), lifecycleRules, { now: NOW });
    const f = findings.filter((x) => x.rule === "crypto-disallowed-before-retirement");
    assert.deepEqual(f.map((x) => [x.model_id, x.evidence.algorithm, x.severity, x.evidence.disallowed_from]), [
      ["gw", "ecdh-p256", "medium", "2036-01-01"],
      ["legacy", "dh-1024", "critical", "2014-01-01"],
      ["meter", "sha1 signature", "critical", "2014-01-01"],
      ["pq", "ed25519", "medium", "2036-01-01"],
    ]);
    assert.equal(f[0]!.evidence.policy_version, "2024-11-12+sp800-131a-r2");
  });

  it("not-migratable: sealed models with classical crypto, high when devices outlive the crypto", async () => {
    const { findings } = await audit(await fleet(), lifecycleRules, { now: NOW });
    const f = findings.filter((x) => x.rule === "not-migratable");
    assert.deepEqual(f.map((x) => [x.model_id, x.severity, x.evidence.devices_in_field_after_disallowed]), [
      ["legacy", "high", 1],
      ["meter", "high", 1],
    ]);
  });

  it("harvest-now-decrypt-later follows Mosca: X + Y > Z", async () => {
    const store = await fleet();
    const run = async (params: Record<string, unknown>) =>
      (await audit(store, lifecycleRules, { now: NOW, settings: new Map<string, RuleSettings>([["harvest-now-decrypt-later", { params: lifecycleRules[3]!.params.parse(params) }]]) })).findings
        .filter((x) => x.rule === "harvest-now-decrypt-later")
        .map((x) => [x.model_id ?? "(none)", x.devices?.length, x.evidence.years_too_late]);
    // Z = 2035-01-01 minus 2026-11-25 ≈ 8.1 years. gw is updatable: Y = 2; X = 5 → 7 < 8.1, not flagged.
    // meter cannot be updated: Y = 17.1 years left in the field → flagged. pq uses hybrid ML-KEM: never flagged.
    // The device without a model is never flagged: nothing is known about it.
    assert.deepEqual(await run({}), [["meter", 1, 14]]);
    assert.deepEqual(await run({ data_shelf_life_years: 7 }), [
      ["gw", 2, 0.9],
      ["meter", 1, 16],
    ]);
    assert.deepEqual(await run({ crqc_year: 2060, data_shelf_life_by_model: { meter: 20 } }), [["meter", 1, 4]]);
    assert.deepEqual(await run({ assume_classical_key_exchange: false }), [["meter", 1, 14]]);
  });
});

describe("forecast", () => {
  it("counts, per year, devices in the field, in support, with valid identity and allowed crypto", async () => {
    const f = await computeForecast(await fleet(), { now: d(NOW), until: 2045, policy: shippedPolicy() });
    assert.equal(f.rows.length, 20);
    const row = (y: number) => f.rows.find((r) => r.year === y)!;
    const pick = (y: number) => {
      const r = row(y);
      return [r.in_field, r.retired, r.in_support, r.valid_identity, r.crypto_allowed, r.crypto_migratable, r.securable, r.at_risk];
    };
    // 2026 (today): legacy (dh-1024) and meter (SHA-1 certificate) already fail on crypto; loose has no data at all.
    assert.deepEqual(pick(2026), [6, 0, 5, 4, 3, 0, 4, 2]);
    // 2030-01-01: legacy retired (2028); gw-1's certificate expired (2029-05-01); legacy support ended.
    assert.deepEqual(pick(2030), [5, 1, 4, 3, 3, 0, 3, 2]);
    // 2036-01-01: classical crypto disallowed; gw-1 and pq-1 can migrate it; gw-2 retired in 2030; gw support ended in
    // 2032; loose has no data, so nothing is known to fail.
    assert.deepEqual(pick(2036), [4, 2, 2, 2, 0, 2, 2, 2]);
    assert.equal(row(2026).date, "2026-11-25");
    assert.equal(row(2036).date, "2036-01-01");
    assert.equal(f.devices_without_retirement, 0);
  });

  it("draws a self-contained chart with the NIST milestones and a headline", async () => {
    const f = await computeForecast(await fleet(), { now: d(NOW), until: 2040, policy: loadCryptoPolicy() });
    const svg = renderForecastSvg(f);
    assert.ok(svg.startsWith("<svg") && svg.includes("classical public-key disallowed") && svg.includes("112-bit RSA/ECC deprecated"));
    assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(svg), "no external references");
    const page = renderForecastPage(f);
    assert.ok(page.includes("Content-Security-Policy") && !page.includes("<script"));
    assert.match(forecastHeadline(f), /^2 of 6 devices in the field cannot be kept secure today; in \d{4}, \d of the \d still in the field/);
  });

  it("is tallied by every scan as it audits the fleet and stored, equal to one computed over the store", async () => {
    const store = await fleet();
    assert.equal(await store.findings.latestForecast(), undefined);
    // All rules (the lifecycle ones share the tally's assessor) and a config policy file for none: the shipped policy.
    await audit(store, allRules, { now: NOW });
    const stored = await store.findings.latestForecast();
    assert.ok(stored, "the scan stored its forecast");
    assert.equal(stored.stale, false);
    assert.equal(stored.scan_id, (await store.findings.latestScan())!.id);
    const computed = await computeForecast(store, { now: d(NOW), until: 2046, policy: loadCryptoPolicy(), byModel: true });
    assert.deepEqual(stored.doc, computed);
    const plain = await computeForecast(store, { now: d(NOW), until: 2046, policy: loadCryptoPolicy() });
    assert.deepEqual(computed.rows, plain.rows, "the fleet's rows are those of a forecast counted without models");
    // Per model: every model's rows, and they add up to the fleet's (the device without a model under null).
    assert.deepEqual(computed.by_model!.map((m) => m.model_id), [null, "gw", "legacy", "meter", "pq"]);
    for (const [i, row] of computed.rows.entries()) {
      for (const k of ["devices", "retired", "in_field", "in_support", "valid_identity", "crypto_allowed", "crypto_migratable", "securable", "at_risk"] as const) {
        assert.equal(computed.by_model!.reduce((n, m) => n + m.rows[i]![k], 0), row[k], `${row.year} ${k}`);
      }
    }
    const gw2031 = computed.by_model!.find((m) => m.model_id === "gw")!.rows.find((r) => r.year === 2031)!;
    assert.deepEqual([gw2031.in_field, gw2031.retired, gw2031.valid_identity, gw2031.securable, gw2031.at_risk], [1, 1, 0, 0, 1], "on 2031-01-01 gw-2 has retired (2030-06) and gw-1 has an expired certificate (2029-05)");
    // Cut to what a request asks for; a different year, a longer horizon or another policy is not answered from it.
    const cut = fromStored(computed, { now: d("2026-12-03"), until: 2035, policyVersion: computed.policy_version });
    assert.deepEqual(cut?.rows, computed.rows.filter((r) => r.year <= 2035));
    assert.equal(cut && "by_model" in cut, false, "the fleet forecast leaves the per-model rows out");
    assert.equal(cut?.until, 2035);
    assert.equal(fromStored(computed, { now: d("2027-01-02"), until: 2035, policyVersion: computed.policy_version }), undefined);
    assert.equal(fromStored(computed, { now: d(NOW), until: 2050, policyVersion: computed.policy_version }), undefined);
    assert.equal(fromStored(computed, { now: d(NOW), until: 2035, policyVersion: "other" }), undefined);
    // Devices imported after the scan make it stale; the next scan replaces it (one row kept).
    await importRows(store, [serializeDevice({ device_id: "late", model_id: "gw", deployed_at: "2026-01-01" })]);
    assert.equal((await store.findings.latestForecast())?.stale, true);
    await audit(store, allRules, { now: NOW });
    const next = (await store.findings.latestForecast())!;
    assert.equal(next.stale, false);
    assert.equal((next.doc as { devices: number }).devices, 7);
    assert.deepEqual((await store.tables.list()).find((t) => t.name === "scan_forecasts")?.rows, 1);
  });
});
