import { serializeDevice } from "../../src/store/store.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { InputIssue } from "../../src/core/input-issue.ts";
import { importCredentials } from "../../src/inventory/credentials.ts";
import { keyedDigester, loadSecretKey } from "../../src/inventory/secrets.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { storeWith } from "../helpers/fleet.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { importRows } from "../helpers/store.ts";

describe("credentials import", () => {
  it("never stores a plaintext password: not in the database file, not in any issue", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const store = openSqliteStore(join(data, "longwatch.db"));
    await importRows(store, [{ device_id: "d1" }, { device_id: "d2" }].map(serializeDevice), { source: "x" });
    const secret = "Zebra-Unicorn-8841";
    const issues: InputIssue[] = [];
    const file = t.write(
      "creds.csv",
      ["device_id,model_id,service,username,password,password_hash", `d1,,ssh,root,${secret},`, `d2,,ssh,root,${secret},`, `d3,,telnet,admin,${secret},`, `,,ssh,root,${secret},`, `d1,,web,root,${secret},`, `d2,,http,admin,,${secret}`, "d2,,ftp,anon,<empty>,", "d1,,snmp,x,,$1$abcdefgh$IQtUouv7y7Q9dRWkQEPCc.", "d1,,other,locked,,!"].join("\n"),
    );
    const r = await importCredentials({ store, file, keyedDigest: keyedDigester(loadSecretKey(data)), onIssue: (i) => issues.push(i) });
    assert.equal(r.imported, 6);
    assert.deepEqual(issues.sort((a, b) => a.line! - b.line!).map((i) => `${i.level}|${i.line}|${i.column}`), ["warning|4|device_id", "error|5|device_id", "error|6|service", "error|7|password_hash"]);
    for (const i of issues) assert.ok(!JSON.stringify(i).includes(secret), JSON.stringify(i));
    await store.close();
    for (const f of readdirSync(data)) {
      if (f.startsWith("longwatch.db")) assert.ok(!readFileSync(join(data, f)).includes(Buffer.from(secret)), `${f} contains the password`);
    }
    const again = openSqliteStore(join(data, "longwatch.db"));
    const d1 = (await again.fleet.getDevice("d1"))!;
    const d2 = (await again.fleet.getDevice("d2"))!;
    const ssh1 = d1.credentials.find((c) => c.service === "ssh")!.secret;
    const ssh2 = d2.credentials.find((c) => c.service === "ssh")!.secret;
    assert.equal(ssh1.kind, "keyed");
    assert.deepEqual(ssh1, ssh2, "equal passwords give equal digests");
    assert.deepEqual(d1.credentials.find((c) => c.service === "other")!.secret, { kind: "locked" });
    assert.deepEqual(d1.credentials.find((c) => c.service === "snmp")!.secret, { kind: "crypt", hash: "$1$abcdefgh$IQtUouv7y7Q9dRWkQEPCc." });
    await again.close();
  });

  it("the secret key file is private and stable", () => {
    const t = tmpDir();
    const k1 = loadSecretKey(t.dir);
    const k2 = loadSecretKey(t.dir);
    assert.deepEqual(k1, k2);
    const mode = readdirSync(t.dir).includes("secret.key");
    assert.ok(mode);
  });

  it("processes started together on a new data folder all get the one key that was written", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const src = join(import.meta.dirname, "../../src/inventory/secrets.ts");
    const script = `import { loadSecretKey } from ${JSON.stringify(src)}; process.stdout.write(loadSecretKey(${JSON.stringify(data)}).toString("hex"));`;
    const run = promisify(execFile);
    const keys = await Promise.all(Array.from({ length: 8 }, () => run(process.execPath, ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", script])));
    const seen = new Set(keys.map((k) => k.stdout));
    assert.equal(seen.size, 1, "one key for all");
    assert.equal([...seen][0]!.length, 64);
    assert.equal(readFileSync(join(data, "secret.key"), "utf8").trim(), Buffer.from([...seen][0]!, "hex").toString("base64"));
    assert.deepEqual(readdirSync(data), ["secret.key"], "no temporary files left");
  });

  it("model-scoped credentials apply to every device of the model", async () => {
    const store = await storeWith({ models: [{ model_id: "m" }], devices: [{ device_id: "a", model_id: "m", firmware_version: "1" }] });
    const t = tmpDir();
    await importCredentials({ store, file: t.write("c.csv", "model_id,service,username,password\nm,telnet,root,x\n"), keyedDigest: (p) => `lwk1$${p.length}`, onIssue: () => {} });
    assert.equal((await store.fleet.modelCredentials()).length, 1);
  });
});
