/**
 * Secrets stay secret: a fleet full of known passwords, plaintext and hashed, scanned with every rule Longwatch has;
 * no finding may contain a password, its keyed digest or its hash.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { desCrypt } from "../../src/audit/credentials/crypt/descrypt.ts";
import { md5Crypt } from "../../src/audit/credentials/crypt/md5crypt.ts";
import { shaCrypt } from "../../src/audit/credentials/crypt/shacrypt.ts";
import { allRules } from "../../src/audit/rules/index.ts";
import { device, testFleet, type CredentialSpec } from "../helpers/credentials-fleet.ts";

describe("credential findings never carry a secret", () => {
  it("scans a leaky fleet with all rules", async () => {
    const passwords = ["xc3511", "7ujMko0vizxv", "juantech", "Zte521", "realtek", "dreambox", "Shared-Secret-99"];
    const creds: CredentialSpec[] = [];
    const secrets: string[] = [...passwords];
    passwords.forEach((pw, i) => {
      // Hashes only of dictionary passwords: a hash that is never matched costs its whole guess budget.
      const hashes = pw.startsWith("Shared") ? [] : [md5Crypt(pw, `s${i}`), shaCrypt("sha256", pw, `t${i}`, 1000), desCrypt(pw, `a${i}`)];
      secrets.push(...hashes);
      creds.push({ device_id: `p${i}`, service: "telnet", username: "root", password: pw }, { device_id: `q${i}`, service: "ssh", username: "root", password: pw });
      hashes.forEach((hash, j) => creds.push({ device_id: `h${i}-${j}`, service: "ftp", username: "root", hash }));
    });
    const ids = [...new Set(creds.map((c) => c.device_id!))];
    const fleet = await testFleet(ids.map((id) => device(id, { model_id: "M" })), creds, [{ model_id: "M" }]);
    secrets.push(...passwords.map((pw) => fleet.digest(pw).slice(5)));

    // A small guess budget keeps the test fast; every password here is found within a few guesses.
    const findings = await fleet.scan(allRules, { "default-password": { crypt_budget_ms_per_hash: 500 } });
    const rules = new Set(findings.map((f) => f.rule));
    for (const r of ["default-password", "universal-password", "cleartext-remote-admin"]) assert.ok(rules.has(r), `${r} found nothing`);
    // All 6 dictionary passwords are found in all three hash schemes and as plaintext (2 devices each).
    assert.equal(findings.filter((f) => f.rule === "default-password").length, 6 * 5);
    const text = JSON.stringify(findings);
    for (const s of secrets) assert.ok(!text.includes(s), `a finding contains ${s.slice(0, 4)}…`);
  });
});
