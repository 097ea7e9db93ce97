/**
 * `longwatch certify` end to end: a store on disk scanned by the real engine, the CLI run in-process, the answers
 * written by `certify init`, and one real PDF rendered by Debian's Chromium and read back with pdftotext.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { findChromium } from "../../src/report/pdf.ts";
import { cli } from "../cli/run-cli.ts";
import { certifyFleet } from "../helpers/certify-fleet.ts";
import { tmpDir } from "../helpers/tmp.ts";

const tmp = tmpDir();
const data = join(tmp.dir, "data");
const env = { LONGWATCH_NOW: "2026-11-25" };
const run = (args: string[], extraEnv: Record<string, string> = {}) => cli(["--data", data, ...args], { ...env, ...extraEnv }, tmp.dir);

before(async () => {
  const store = await certifyFleet({ dataDir: data });
  await store.close();
});

describe("longwatch certify", () => {
  it("prints the assessment with its failures, the findings behind them and three next steps", async () => {
    const r = await run(["certify", "--standard", "etsi-en-303-645", "--model", "GATE-B"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ETSI EN 303 645 V3\.1\.3 — self-assessment of GATE-B \(Gateway, Acme\)/);
    assert.match(r.stdout, /FAIL 4 {3}INCONCLUSIVE \d+ {3}NOT ASSESSED \d+ {3}PASS 0 {3}NOT APPLICABLE 0/);
    assert.match(r.stdout, /Your three most important next steps\n {2}1\. Fix: insecure network service exposed/);
    assert.match(r.stdout, /5\.5-1 {2}\[M\] Communication uses current, well-reviewed cryptography[\s\S]*telnet open on port 23[\s\S]*longwatch explain insecure-service/);
    assert.match(r.stdout, /Saved as assessment #1/);
    assert.ok(!r.stdout.includes("\u001b["), "NO_COLOR is respected");
  });

  it("--fail-on mandatory exits 4 when a mandatory provision fails; --version selects V2.1.1", async () => {
    const r = await run(["certify", "--standard", "etsi-en-303-645", "--version", "2.1.1", "--model", "GATE-B", "--fail-on", "mandatory", "--no-save"]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, /ETSI EN 303 645 V2\.1\.1/);
    const v = await cli(["--version"]);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/, "the program's own --version still works");
    const bad = await run(["certify", "--standard", "etsi-en-303-645", "--version", "9"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /has no version "9": use 2\.1\.1 or 3\.1\.3/);
  });

  it("summarises every model when none is named, and prints a fleet matrix", async () => {
    const r = await run(["certify", "--standard", "owasp-iot-2018", "--no-save"]);
    assert.match(r.stdout, /self-assessment of 3 models[\s\S]*GATE-B +2 +0% +3 +0 +7 +Fix: firmware cannot be updated over the air/);
    const m = await run(["certify", "matrix"]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /MODEL +DEVICES +ETSI 303 645 v3\.1\.3 +EU-CRA +GDPR +NISTIR-8259A +OWASP-IOT-2018 +UK-PSTI/);
    assert.match(m.stdout, /SENSOR-A +2 +0% \(0\/78\)/);
  });

  it("assesses a product line made of several models", async () => {
    const r = await run(["certify", "--standard", "owasp-iot-2018", "--model", "SENSOR-A", "METER-C", "--product-line", "SENSORS", "--no-save"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /OWASP Internet of Things Top 10 \(2018\) — self-assessment of product line SENSORS \(models SENSOR-A, METER-C\)\n3 devices/);
    const clash = await run(["certify", "--standard", "owasp-iot-2018", "--model", "SENSOR-A", "--product-line", "GATE-B"]);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /already a device model id/);
  });

  it("init writes every question; answers are validated with line numbers and used", async () => {
    const init = await run(["certify", "init", "--model", "SENSOR-A", "--standard", "uk-psti"]);
    assert.equal(init.code, 0, init.stderr);
    const file = join(tmp.dir, "certify", "SENSOR-A.yaml");
    assert.match(init.stdout, /Wrote 5 questions for uk-psti to .*SENSOR-A\.yaml/);
    const again = await run(["certify", "init", "--model", "SENSOR-A", "--standard", "uk-psti"]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already has a uk-psti section/);
    const v2 = await run(["certify", "init", "--model", "SENSOR-A", "--standard", "etsi-en-303-645", "--version", "2.1.1"]);
    assert.equal(v2.code, 0, v2.stderr);

    // Answer in the file the way a user would: fill in the empty values.
    let text = readFileSync(file, "utf8");
    text = text.replace(/( {4}uses-passwords:\n {6}holds:) [^\n]*\n {6}why:/, "$1 no\n      why: devices authenticate with per-device certificates only");
    text = text.replace(/( {4}"2":\n {6}answer:) [^\n]*\n {6}evidence:[^\n]*/, "$1 yes\n      evidence: https://acme.example/security");
    text = text.replace(/( {4}"3":\n {6}answer:) [^\n]*/, "$1 sometimes");
    text = text.replace(/( {2}statement:\n {4}product_type:)/, "$1 Air sensor AS-2");
    writeFileSync(file, text);
    const r = await run(["certify", "--standard", "uk-psti", "--model", "SENSOR-A", "--format", "json", "--no-save"]);
    assert.equal(r.code, 3, "an invalid answer is left out and reported");
    const line = text.split("\n").findIndex((l) => l.includes("sometimes")) + 1;
    assert.match(r.stderr, new RegExp(`certify/SENSOR-A\\.yaml:${line}:15: error: 3\\.answer: "sometimes" is not one of yes, no, partly`));
    const a = JSON.parse(r.stdout);
    assert.equal(a.schema, "longwatch/certify-assessment@1");
    assert.deepEqual(a.results.map((x: { id: string; verdict: string }) => [x.id, x.verdict]), [["1", "not_applicable"], ["2", "pass"], ["3", "inconclusive"]]);
    assert.equal(a.answers.rejected, 1);
    assert.equal(a.psti_statement.fields[0].value, "Air sensor AS-2");
  });

  it("diffs the last two saved assessments", async () => {
    await run(["certify", "--standard", "nistir-8259a", "--model", "GATE-B"]);
    // An answers file that does not exist yet is a missing file (issue 18.13), not an assessment without answers.
    const early = await run(["certify", "--standard", "nistir-8259a", "--model", "GATE-B", "--answers", "answers-nist.yaml"]);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /^longwatch: answers-nist\.yaml: no such file\n$/);
    writeFileSync(join(tmp.dir, "answers-nist.yaml"), "model: GATE-B\nnistir-8259a:\n  provisions:\n    device-identification: {answer: yes, evidence: label + certificate CN}\n");
    await run(["certify", "--standard", "nistir-8259a", "--model", "GATE-B", "--answers", "answers-nist.yaml"]);
    const d = await run(["certify", "diff", "--model", "GATE-B", "--standard", "nistir-8259a", "--format", "json"]);
    assert.equal(d.code, 0, d.stderr);
    const diff = JSON.parse(d.stdout);
    assert.deepEqual(diff.changes.map((c: { id: string; direction: string }) => [c.id, c.direction]), [["device-identification", "improved"]]);
    const files = await run(["certify", "diff", "nope.json", "#1"]);
    // A missing file reads as in every command (issue 18.13): exit 1, `PATH: no such file` (it was exit 2 and ENOENT).
    assert.equal(files.code, 1);
    assert.match(files.stderr, /nope\.json: no such file\n$/);
  });

  it("writes an HTML report where every FAIL links to the findings behind it", async () => {
    const r = await run(["certify", "--standard", "eu-cra", "--model", "GATE-B", "--format", "html", "--out", "cra.html", "--no-save"]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(join(tmp.dir, "cra.html"), "utf8");
    const row = html.match(/<tr id="p-GATE-B-I_1_2_j">[\s\S]*?<\/tr>/)?.[0] ?? "";
    assert.match(row, /<span class="v fail">FAIL<\/span>/);
    const link = row.match(/href="#(rule-GATE-B-insecure-service)"/);
    assert.ok(link, "the FAIL row links to its findings");
    assert.match(html, new RegExp(`id="${link[1]}"[\\s\\S]*?What to do:</em> Disable the service`));
    assert.match(html, /Reporting to ENISA and the CSIRT[\s\S]*24 hours[\s\S]*72 hours[\s\S]*14 days[\s\S]*one month/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!acme\.example|eur-lex)[^"<\s]*\.(js|css)/, "self-contained");
  });

  it("says clearly when no Chromium is available for PDF output", async () => {
    const r = await run(["certify", "--standard", "uk-psti", "--model", "GATE-B", "--format", "pdf", "--out", "x.pdf", "--no-save"], { LONGWATCH_CHROMIUM: join(tmp.dir, "no-such-chromium") });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PDF output needs Chromium, and none was found[\s\S]*apt-get install chromium[\s\S]*--format html/);
    assert.ok(!existsSync(join(tmp.dir, "x.pdf")));
  });

  const chromium = findChromium();
  const pdftotext = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"].find((p) => existsSync(p));
  const skip = !chromium ? "Chromium is not installed (apt-get install chromium); .ci/run installs it" : !pdftotext ? "pdftotext is not installed (apt-get install poppler-utils)" : false;

  it("renders the PDF in Chromium and the PDF says what the report says", { skip }, async () => {
    const r = await run(["certify", "--standard", "etsi-en-303-645", "--model", "GATE-B", "--format", "pdf", "--out", "gate.pdf", "--no-save"]);
    assert.equal(r.code, 0, r.stderr);
    const pdf = readFileSync(join(tmp.dir, "gate.pdf"));
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    const text = execFileSync(pdftotext!, ["-layout", join(tmp.dir, "gate.pdf"), "-"], { encoding: "utf8" }).replace(/[ \t]+/g, " ");
    assert.match(text, /ETSI EN 303 645 V3\.1\.3 — self-assessment/);
    assert.match(text, /GATE-B \(Gateway, Acme\)/);
    assert.match(text, /Your three most important next steps\s+1\. Fix: insecure network service exposed/);
    assert.match(text, /5\.5-1 M Communication uses current, well-reviewed/);
    assert.match(text, /FAIL/);
    assert.match(text, /telnet open on port 23/);
    assert.match(text, /Self-assessment, not a certificate/);
    assert.match(text, /1 \/ \d+/, "page numbers in the footer");
  });
});
