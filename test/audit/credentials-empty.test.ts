/** empty-password through the real engine and store. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import bcryptjs from "bcryptjs";
import { desCrypt } from "../../src/audit/credentials/crypt/descrypt.ts";
import { md5Crypt } from "../../src/audit/credentials/crypt/md5crypt.ts";
import { shaCrypt } from "../../src/audit/credentials/crypt/shacrypt.ts";
import { emptyPassword } from "../../src/audit/rules/credentials.ts";
import { device, testFleet } from "../helpers/credentials-fleet.ts";

const rules = [emptyPassword];

describe("empty-password", () => {
  it("finds plaintext-imported empty passwords, whichever way the file wrote them", async () => {
    const fleet = await testFleet([device("d1"), device("d2"), device("d3")], [
      { device_id: "d1", service: "telnet", username: "root", password: "" },
      { device_id: "d2", service: "http", username: "admin", password: "<empty>" },
      { device_id: "d3", service: "http", username: "admin", password: "not-empty" },
    ]);
    const findings = await fleet.scan(rules);
    assert.deepEqual(findings.map((f) => f.device_id).sort(), ["d1", "d2"]);
    const root = findings.find((f) => f.device_id === "d1")!;
    assert.equal(root.severity, "critical");
    assert.equal(root.title, "root (telnet) has no password");
    // Mirai tries root with no password; the evidence says so.
    assert.ok((root.evidence.on_default_lists as string[]).includes("mirai"));
  });

  it("verifies crypt hashes of the empty password in every scheme", async () => {
    const empty = { md5: md5Crypt("", "ab"), sha256: shaCrypt("sha256", "", "x"), sha512: shaCrypt("sha512", "", "y"), bcrypt: bcryptjs.hashSync("", 4), des: desCrypt("", "zz") };
    const fleet = await testFleet(
      [...Object.keys(empty).map((k) => device(k)), device("set"), device("locked")],
      [
        ...Object.entries(empty).map(([k, hash]) => ({ device_id: k, service: "ssh" as const, username: "svc-ops-7", hash })),
        { device_id: "set", service: "ssh", username: "svc-ops-7", hash: md5Crypt("x", "ab") },
        { device_id: "locked", service: "ssh", username: "svc-ops-7", hash: "!" },
      ],
    );
    const findings = await fleet.scan(rules);
    assert.deepEqual(findings.map((f) => f.device_id).sort(), Object.keys(empty).sort());
    for (const f of findings) assert.deepEqual(f.evidence.on_default_lists, []);
  });

  it("reports a model-wide empty password as one group finding", async () => {
    const fleet = await testFleet([device("a", { model_id: "M" }), device("b", { model_id: "M" })], [{ model_id: "M", service: "ftp", username: "anonymous", password: "" }], [{ model_id: "M" }]);
    const findings = await fleet.scan(rules);
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.devices, ["a", "b"]);
    assert.equal(findings[0]!.model_id, "M");
  });
});
