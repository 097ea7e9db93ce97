/**
 * Slow and crashing inputs (issue 18 item 18): each of these stopped a scan or an import, took minutes, or lost a file
 * without saying where. The fixture certificate is badssl.com's (test/fixtures/x509-badssl, its licence and source there).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { InputIssue } from "../../src/core/input-issue.ts";
import { parseJsonText } from "../../src/formats/json-path.ts";
import { pemBlocks } from "../../src/formats/pem.ts";
import { readYamlText } from "../../src/formats/yaml.ts";
import { readModels } from "../../src/inventory/models.ts";
import { readTable } from "../../src/inventory/read-records.ts";
import { decodeText } from "../../src/vulns/read-input.ts";
import { cli } from "../cli/run-cli.ts";
import { tmpDir } from "../helpers/tmp.ts";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "x509-badssl", "ca-superfish.crt.pem");

/** Nine aliases, each of nine of the one before: 9^10 nodes from a dozen lines. */
function aliasBomb(): string {
  const lines = ['  a: &a ["x","x","x","x","x","x","x","x","x"]'];
  let prev = "a";
  for (let i = 0; i < 9; i++) {
    const n = String.fromCharCode(98 + i);
    lines.push(`  ${n}: &${n} [${Array(9).fill(`*${prev}`).join(",")}]`);
    prev = n;
  }
  return `- model_id: m1\n  name: bomb\n  extra:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
}

describe("hostile inputs", () => {
  it("a header of 100,000 columns is checked for duplicates in linear time", async () => {
    const tmp = tmpDir();
    const cols = ["device_id", ...Array.from({ length: 100_000 }, (_, i) => `c${i}`), "c77"];
    const f = tmp.write("wide.csv", `${cols.join(",")}\n${["d1", ...cols.slice(1).map(() => "x")].join(",")}\n`);
    const t0 = performance.now();
    const issues: InputIssue[] = [];
    let records = 0;
    for await (const b of readTable(f)) {
      issues.push(...b.issues);
      records += b.records.length;
    }
    const ms = performance.now() - t0;
    assert.equal(records, 1);
    assert.deepEqual(
      issues.map((i) => i.reason),
      ['column "c77" appears twice in the header; the later one wins'],
    );
    // n² comparisons took 6-8 s here (75 s on the issue's machine); one pass takes well under a second.
    assert.ok(ms < 2500, `${ms.toFixed(0)} ms`);
  });

  it("a JSON syntax error after 10,000 (and 200,000) nested brackets is located, not a stack overflow", () => {
    for (const depth of [10_000, 200_000]) {
      const text = `{"a":\n${"[".repeat(depth)}1,}${"]".repeat(depth - 1)}}`;
      const r = parseJsonText(text);
      assert.equal(r.ok, false);
      if (r.ok) continue;
      assert.equal(r.line, 2);
      assert.equal(r.column, depth + 3);
      assert.match(r.reason, /is not valid JSON: unexpected character "}"/);
    }
    // Valid deep nesting still parses.
    assert.equal(parseJsonText(`${"[".repeat(5000)}${"]".repeat(5000)}`).ok, true);
  });

  it("JSON errors never quote the text: a file that is not JSON is not shown", () => {
    const r = parseJsonText("root:$6$secret-hash:19000:0:99999:7:::\n");
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.line, 1);
      assert.doesNotMatch(r.reason, /secret|root/);
    }
  });

  it("a record that is not JSON is rejected with its line and column, never quoted: not on stderr, not in the rejects file", async () => {
    // V8's own message repeats the text around the error ("Unexpected token 'H', ..."password":Hunter2Sec"..."), and
    // a credentials line holds a password in plaintext.
    const t = tmpDir();
    const data = join(t.dir, "data");
    const secret = /Hunter2|Sec"|daemon/;
    const creds = t.write("creds.ndjson", '{"device_id":"d1","service":"ssh","username":"admin","password":Hunter2Secret}\n');
    const rejects = join(t.dir, "rejects.csv");
    const imp = await cli(["--data", data, "import", "credentials", creds, "--rejects", rejects]);
    assert.equal(imp.code, 3, imp.stderr);
    assert.match(imp.stderr, /creds\.ndjson:1: not valid JSON at column 65: /);
    assert.doesNotMatch(imp.stderr + imp.stdout, secret);
    assert.doesNotMatch(readFileSync(rejects, "utf8"), secret);
    const devices = await cli(["--data", data, "import", "devices", t.write("d.json", '[{"device_id":"d1"},\n {"device_id":"d2","note":Hunter2Secret}]\n')]);
    assert.match(devices.stderr, /d\.json:2: not valid JSON: .* \(character 26 of the record\)/);
    assert.doesNotMatch(devices.stderr, secret);
    // Detection's NDJSON (the full parser's path) and whole-document JSON readers.
    const nd = await cli(["--data", data, "detect", t.write("r.ndjson", '{"ts":"2026-11-02T00:00:00Z","nested":{"key":Hunter2Secret}}\n'), "--no-store"]);
    assert.match(nd.stderr, /r\.ndjson:1: not valid JSON at column 46: /);
    assert.doesNotMatch(nd.stderr, secret);
    const doc = await cli(["--data", data, "detect", t.write("r.json", '{"report": {"key": Hunter2Secret}}'), "--no-store"]);
    assert.match(doc.stderr, /r\.json:1: not valid JSON at column 20: /);
    assert.doesNotMatch(doc.stderr, secret);
    // certify diff reads assessments from files: the same, and a missing one is a missing file.
    const diff = await cli(["--data", data, "certify", "diff", t.write("a.json", "root:Hunter2Secret:19000\n\tdaemon:*\n"), join(t.dir, "nope.json")]);
    assert.match(diff.stderr, /a\.json:1:1: is not valid JSON/);
    assert.doesNotMatch(diff.stderr, secret);
  });

  it("an alias bomb and an alias naming no anchor are problems with their line, and never stop the models file's reader", () => {
    const bomb = readYamlText(aliasBomb());
    assert.equal(bomb.ok, false);
    if (!bomb.ok) {
      assert.equal(bomb.line, 5); // the first alias
      assert.match(bomb.reason, /aliases expand to more than 10,000 nodes \(an alias bomb\?\)/);
    }
    const unresolved = readYamlText("- model_id: m1\n  crypto: *nope\n");
    assert.equal(unresolved.ok, false);
    if (!unresolved.ok) {
      assert.equal(unresolved.line, 2);
      assert.match(unresolved.reason, /names no anchor/);
      assert.doesNotMatch(unresolved.reason, /nope/);
    }
    // Ordinary anchors still work.
    const fine = readYamlText("- &m {model_id: m1, ota_capable: true}\n- {model_id: m2, ota_capable: *t}\n".replace("*t", "true"));
    assert.equal(fine.ok, true);

    const tmp = tmpDir();
    const issues: InputIssue[] = [];
    const r = readModels(tmp.write("models.yaml", aliasBomb()), (i) => issues.push(i));
    assert.equal(r.models.length, 0);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.line, 5);
  });

  it("a scan whose models file is an alias bomb goes on, with the models file's problem and its line", async () => {
    const tmp = tmpDir();
    const inv = tmp.write("devices.csv", "device_id,model_id\nd1,m1\n");
    const models = tmp.write("models.yaml", aliasBomb());
    const r = await cli(["--data", join(tmp.dir, "data"), "scan", inv, "--models", models]);
    assert.notEqual(r.code, 1, r.stderr);
    assert.match(r.stderr, /models\.yaml:5\b.*alias bomb/);
    assert.match(r.stdout + r.stderr, /1 devices/);
  });

  it("one NUL byte in an advisory feed is located (line and column), not 'a binary file'; real binary files still are, with the offset", async () => {
    const doc = `{"vulnerabilities": [\n  {"cve": {"id": "CVE-2024-0001", "descriptions": [{"lang": "en", "value": "bad\u0000byte"}]}}\n]}\n`;
    const text = decodeText(Buffer.from(doc));
    assert.equal(typeof text, "string");
    const r = parseJsonText(text as string);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.line, 2);
      assert.equal(r.column, doc.split("\n")[1]!.indexOf("\u0000") + 1);
      assert.match(r.reason, /a NUL byte inside a string/);
    }
    const binary = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64), Buffer.from("IHDR")]);
    const refused = decodeText(binary);
    assert.equal(typeof refused, "object");
    assert.match((refused as { error: string }).error, /is a binary file, not text \(NUL bytes from offset 8/);

    const tmp = tmpDir();
    const feed = tmp.write("nvd.json", doc);
    const imp = await cli(["--data", join(tmp.dir, "data"), "import", "advisories", feed]);
    assert.match(imp.stderr, /nvd\.json:2.*NUL byte inside a string/);
    assert.doesNotMatch(imp.stderr, /binary file/);
  });

  it("a DER certificate named by cert_file is read like a PEM one", async () => {
    const tmp = tmpDir();
    const block = pemBlocks(readFileSync(FIXTURE, "latin1")).blocks[0]!.decode();
    assert.ok("der" in block);
    tmp.write("device.der", block.der);
    tmp.write("device.pem", readFileSync(FIXTURE));
    const inv = tmp.write("devices.csv", "device_id,cert_file\nd-der,device.der\nd-pem,device.pem\n");
    const r = await cli(["--data", join(tmp.dir, "data"), "scan", inv, "--format", "json"]);
    assert.doesNotMatch(r.stderr, /not a PEM certificate|certificate file/, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { rule: string; device_id?: string; evidence: Record<string, unknown> }[] };
    const rulesOf = (id: string) => report.findings.filter((f) => f.device_id === id && f.rule.startsWith("cert-")).map((f) => f.rule).sort();
    assert.ok(rulesOf("d-der").length > 0, JSON.stringify(report.findings.map((f) => [f.rule, f.device_id])));
    assert.deepEqual(rulesOf("d-der"), rulesOf("d-pem"));
  });
});
