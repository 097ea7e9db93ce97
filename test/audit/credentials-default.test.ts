/** default-password through the real engine and store: keyed digests, every crypt scheme, scopes, budgets, extra lists. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import bcryptjs from "bcryptjs";
import { desCrypt } from "../../src/audit/credentials/crypt/descrypt.ts";
import { md5Crypt } from "../../src/audit/credentials/crypt/md5crypt.ts";
import { shaCrypt } from "../../src/audit/credentials/crypt/shacrypt.ts";
import { listOf, loadDictionary } from "../../src/audit/credentials/dictionary.ts";
import { defaultPassword } from "../../src/audit/rules/credentials.ts";
import { device, testFleet } from "../helpers/credentials-fleet.ts";

const rules = [defaultPassword];
const STRONG = "k3Q!v9#Tz-2026-unique-per-device";

/** A password some vendor list has, that neither Mirai nor any list pairs with user `svc-ops`. */
function vendorOnlyPassword(): string {
  const dict = loadDictionary();
  const p = dict.passwords.find((pw) => pw.length >= 6 && dict.byPassword.get(pw)!.every((e) => e.vendor !== "" && !e.sources.some((s) => listOf(s) === "mirai") && e.username.toLowerCase() !== "svc-ops"));
  assert.ok(p);
  return p;
}

describe("default-password", () => {
  it("finds a Mirai password given as plaintext, as critical, without revealing it", async () => {
    const fleet = await testFleet([device("d1", { model_id: "cam" }), device("d2")], [
      { device_id: "d1", service: "telnet", username: "root", password: "xc3511" },
      { device_id: "d2", service: "ssh", username: "root", password: STRONG },
    ]);
    const findings = await fleet.scan(rules);
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.rule, "default-password");
    assert.equal(f.device_id, "d1");
    assert.equal(f.model_id, "cam");
    assert.equal(f.severity, "critical");
    assert.match(f.title, /root \(telnet\) is a published default password/);
    assert.equal(f.evidence.on_public_default_lists, true);
    assert.equal(f.evidence.secret, "keyed");
    assert.deepEqual(f.evidence.lists_checked, ["defaultcreds", "mirai", "routersploit", "seclists"]);
    assert.ok(!JSON.stringify(f).includes("xc3511"));
    assert.ok(f.standards.includes("ETSI-EN-303-645:5.1-1") && f.standards.includes("UK-PSTI:1"));
  });

  it("rates a listed password that no list pairs with this user as high", async () => {
    const pw = vendorOnlyPassword();
    const fleet = await testFleet([device("d1")], [{ device_id: "d1", service: "http", username: "svc-ops", password: pw }]);
    const [f, ...rest] = await fleet.scan(rules);
    assert.equal(rest.length, 0);
    assert.equal(f!.severity, "high");
    assert.equal(f!.evidence.on_public_default_lists, true);
    assert.ok(!JSON.stringify(f).includes(pw));
  });

  it("says no more than that the password is on the lists checked: every password of a severity reads the same (issue 18.14)", async () => {
    // Each of these, with the lists that hold it, "listed for username" and the vendors, used to pin the password.
    const passwords = ["xc3511", "vizxv", "admin", "888888", "default", "1234", "12345", "password", "juantech"];
    const fleet = await testFleet(passwords.map((_, i) => device(`d${i}`)), passwords.map((password, i) => ({ device_id: `d${i}`, service: "telnet" as const, username: "root", password })));
    const findings = await fleet.scan(rules);
    assert.equal(findings.length, passwords.length);
    const shapes = new Set(findings.map((f) => JSON.stringify({ severity: f.severity, title: f.title.replace(/^Password of .*? is/, ""), evidence: f.evidence })));
    assert.equal(shapes.size, 1, [...shapes].join("\n"));
    for (const f of findings) for (const key of ["lists", "vendors", "vendor_count", "listed_for_username", "mirai"]) assert.ok(!(key in f.evidence), key);
  });

  it("guesses crypt hashes of every scheme, same-user pairs first", async () => {
    const hashes = {
      md5: md5Crypt("vizxv", "Xy12"),
      sha256: shaCrypt("sha256", "admin", "abcdefgh"),
      sha512: shaCrypt("sha512", "xmhdipc", "q9w8e7r6"),
      bcrypt: bcryptjs.hashSync("juantech", 4),
      des: desCrypt("888888", "zz"),
    };
    const fleet = await testFleet(
      Object.keys(hashes).map((k) => device(k)),
      Object.entries(hashes).map(([k, hash]) => ({ device_id: k, service: "ssh" as const, username: "root", hash })),
    );
    const findings = await fleet.scan(rules);
    assert.deepEqual(findings.map((f) => f.device_id).sort(), Object.keys(hashes).sort());
    const schemes = Object.fromEntries(findings.map((f) => [f.device_id, f.evidence.scheme]));
    assert.deepEqual(schemes, { md5: "md5crypt", sha256: "sha256crypt", sha512: "sha512crypt", bcrypt: "bcrypt", des: "des" });
    for (const f of findings) {
      assert.equal(f.evidence.secret, "crypt");
      assert.match(String(f.evidence.checked), /^guess \d+ of the most likely passwords$/);
      // Root's Mirai passwords come first, so each is found within root's own ~20 pairs.
      assert.ok(Number(/\d+/.exec(String(f.evidence.checked))![0]) <= 30, String(f.evidence.checked));
    }
  });

  it("stays quiet on strong passwords, hashed or not, and on locked accounts", async () => {
    const fleet = await testFleet([device("d1"), device("d2"), device("d3")], [
      { device_id: "d1", service: "ssh", username: "root", hash: md5Crypt(STRONG, "abcd") },
      { device_id: "d2", service: "ssh", username: "root", password: STRONG },
      { device_id: "d3", service: "telnet", username: "root", locked: true },
    ]);
    assert.deepEqual(await fleet.scan(rules), []);
  });

  it("reports a model-wide default once, listing the devices of that model (and firmware)", async () => {
    const fleet = await testFleet(
      [device("a1", { model_id: "M", firmware_version: "1.0" }), device("a2", { model_id: "M", firmware_version: "1.0" }), device("a3", { model_id: "M", firmware_version: "2.0" }), device("b1", { model_id: "N" })],
      [{ model_id: "M", firmware_version: "1.0", service: "telnet", username: "admin", password: "admin" }],
      [{ model_id: "M" }, { model_id: "N" }],
    );
    const findings = await fleet.scan(rules);
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.model_id, "M");
    assert.equal(f.device_id, undefined);
    assert.deepEqual(f.devices, ["a1", "a2"]);
    assert.equal(f.evidence.scope, "model");
    assert.equal(f.evidence.firmware_version, "1.0");
    assert.match(f.title, /Model M .* admin \(telnet\) \(2 devices\)/);
  });

  it("keeps fingerprints stable across scans and marks a changed password fixed", async () => {
    const fleet = await testFleet([device("d1")], [{ device_id: "d1", service: "telnet", username: "root", password: "vizxv" }]);
    const first = await fleet.scan(rules);
    const second = await fleet.scan(rules);
    assert.equal(first[0]!.status, "new");
    assert.equal(second[0]!.status, "unchanged");
    assert.equal(first[0]!.fingerprint, second[0]!.fingerprint);
    await fleet.store.fleet.upsertCredentials([{ device_id: "d1", service: "telnet", username: "root", secret: { kind: "keyed", digest: fleet.digest(STRONG) } }]);
    assert.deepEqual(await fleet.scan(rules), []);
  });

  it("tells when hashes were too costly to check, instead of staying silently quiet", async () => {
    const fleet = await testFleet([device("d1"), device("d2"), device("d3")], [
      { device_id: "d1", service: "ssh", username: "root", hash: "$2b$12$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm" },
      { device_id: "d2", service: "ssh", username: "root", hash: md5Crypt(STRONG, "s1") },
      { device_id: "d3", service: "ssh", username: "root", hash: md5Crypt(STRONG, "s2") },
    ]);
    // bcrypt cost 12 ≈ 360 ms per guess > 100 ms per hash; then 10 MD5-crypt guesses (25 ms) exhaust the scan budget.
    const findings = await fleet.scan(rules, { "default-password": { crypt_budget_ms_per_hash: 100, crypt_budget_ms_per_scan: 25 } });
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.severity, "info");
    assert.equal(f.device_id, undefined);
    assert.equal(f.evidence.too_costly_for_one_guess, 1);
    assert.equal(f.evidence.stopped_by_scan_budget, 2);
    assert.match(f.title, /3 password hashes could not be checked fully/);
  });

  it("checks the user's extra dictionaries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lw-dict-"));
    const file = join(dir, "acme.csv");
    writeFileSync(file, "vendor,product,service,username,password,source\nACME,Meter 3000,http,installer,Acme-Meter-3000!,acme:manual-p12\n");
    const fleet = await testFleet([device("d1")], [{ device_id: "d1", service: "http", username: "installer", hash: shaCrypt("sha512", "Acme-Meter-3000!", "salt", 1000) }]);
    assert.deepEqual(await fleet.scan(rules), []);
    const findings = await fleet.scan(rules, { "default-password": { extra_dictionaries: [file] } });
    assert.equal(findings.length, 1);
    assert.ok((findings[0]!.evidence.lists_checked as string[]).includes("acme"));
    assert.equal(findings[0]!.evidence.vendors, undefined);
    assert.equal(findings[0]!.evidence.checked, "guess 1 of the most likely passwords");
  });
});
