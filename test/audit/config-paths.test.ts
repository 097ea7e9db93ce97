/**
 * Config files and the files they name (issue 18 item 17): a scan config's crypto_policy (and every other path in a
 * config) is relative to the config file, not to the working directory; a file that fails to parse is named with its
 * location, never with its content.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadServeConfig } from "../../src/serve/config.ts";
import { parseRespondSettings } from "../../src/respond/config.ts";
import { cli } from "../cli/run-cli.ts";
import { tmpDir } from "../helpers/tmp.ts";

const CONFIG = "rules:\n  crypto-disallowed-before-retirement:\n    params:\n      crypto_policy: policy.yaml\n";
const FLEET = "device_id,model_id,deployed_at,retire_at\nd1,m1,2024-01-01,2045-01-01\n";
const MODELS = "- model_id: m1\n  crypto: { key_exchange: [ECDH-P256], signature: [ECDSA-P256] }\n";

describe("paths in config files", () => {
  it("a scan config's crypto_policy is read from the config file's folder, whatever the working directory", async () => {
    const tmp = tmpDir();
    const site = join(tmp.dir, "site");
    const elsewhere = join(tmp.dir, "elsewhere");
    mkdirSync(site);
    mkdirSync(elsewhere);
    tmp.write("site/longwatch.yaml", CONFIG);
    tmp.write("site/policy.yaml", 'version: "acme-7"\nrules: []\n');
    // A policy.yaml in the working directory must not be the one read.
    tmp.write("elsewhere/policy.yaml", 'version: "wrong-one"\nrules: []\n');
    const inv = tmp.write("site/devices.csv", FLEET);
    const models = tmp.write("site/models.yaml", MODELS);
    const r = await cli(["--data", join(tmp.dir, "data"), "scan", inv, "--models", models, "--config", join(site, "longwatch.yaml"), "--format", "json"], {}, elsewhere);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { rule: string; evidence: Record<string, unknown> }[] };
    const crypto = report.findings.filter((f) => f.rule === "crypto-disallowed-before-retirement");
    assert.ok(crypto.length > 0, JSON.stringify(report.findings.map((f) => f.rule)));
    assert.match(JSON.stringify(crypto[0]!.evidence), /acme-7/);
    assert.doesNotMatch(JSON.stringify(crypto[0]!.evidence), /wrong-one/);
  });

  it("a crypto_policy that is not YAML is reported with its file and line, never with a line of it", async () => {
    const tmp = tmpDir();
    tmp.write("longwatch.yaml", CONFIG);
    tmp.write("policy.yaml", "root:$6$Zx9:19000:0:99999:7:::\n  - hunter2-secret: [unclosed\n\tdaemon:*:19000\n");
    const inv = tmp.write("devices.csv", FLEET);
    const models = tmp.write("models.yaml", MODELS);
    const r = await cli(["--data", join(tmp.dir, "data"), "scan", inv, "--models", models, "--config", join(tmp.dir, "longwatch.yaml")], {}, tmp.dir);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /policy\.yaml:\d+:\d+: is not valid YAML/);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2|Zx9|daemon|unclosed/);
  });

  it("the service's and respond's file paths are relative to their config file", () => {
    const tmp = tmpDir();
    const file = tmp.write("longwatch.yaml", "tls:\n  cert: certs/server.pem\n  key: /abs/server.key\n");
    const c = loadServeConfig(file);
    assert.equal(c.http.tls?.cert, join(tmp.dir, "certs", "server.pem"));
    assert.equal(c.http.tls?.key, "/abs/server.key");
    const s = parseRespondSettings("respond:\n  secrets_file: secrets.yaml\n", join(tmp.dir, "conf", "longwatch.yaml"));
    assert.equal(s.secrets_file, join(tmp.dir, "conf", "secrets.yaml"));
  });

  it("a config file's own syntax error names its line, not its content", () => {
    const tmp = tmpDir();
    const file = tmp.write("bad.yaml", "tls:\n  cert: [a, b\n  key: sekrit-value\n");
    assert.throws(
      () => loadServeConfig(file),
      (e: unknown) => e instanceof Error && /bad\.yaml:\d+:\d+: is not valid YAML/.test(e.message) && !/sekrit/.test(e.message),
    );
  });
});
