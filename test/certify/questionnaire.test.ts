import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allRules } from "../../src/audit/rules/index.ts";
import { catalogues } from "../../src/certify/catalogue.ts";
import { parseAnswers } from "../../src/certify/questionnaire.ts";
import { rulesByProvision } from "../../src/certify/rule-map.ts";
import { skeletonHeader, skeletonSection } from "../../src/certify/skeleton.ts";
import type { SourceIssue } from "../../src/certify/yaml-source.ts";

const set = catalogues();
const parse = (text: string) => parseAnswers(text, "a.yaml", set);
const where = (issues: SourceIssue[]) => issues.map((i) => `${i.line}:${i.column} ${i.severity} ${i.message}`);

describe("answers skeleton (certify init)", () => {
  it("parses cleanly for every catalogue, with every provision and shared condition present but unanswered", () => {
    let text = skeletonHeader("M-1", "x", "");
    for (const c of set.all) text += skeletonSection(c, { modelId: "M-1", rules: rulesByProvision(c, allRules) });
    const { answers, issues } = parse(text);
    assert.deepEqual(issues, []);
    assert.equal(answers.model, "M-1");
    assert.equal(answers.sections.size, set.all.length);
    for (const s of answers.sections.values()) assert.equal(s.provisions.size + s.conditions.size, 0, "nothing is answered on the user's behalf");
    for (const c of set.all) for (const p of c.provisions) assert.ok(text.includes(`    ${/^[A-Za-z]/.test(p.id) ? p.id : `"${p.id}"`}:\n`), `${c.key} ${p.id} is asked`);
  });

  it("explains each question and says what Longwatch already knows from the fleet", () => {
    const c = set.get("etsi-en-303-645-v3.1.3")!;
    const text = skeletonSection(c, { modelId: "M", model: { model_id: "M", ota_capable: true }, rules: rulesByProvision(c, allRules) });
    assert.match(text, /# 5\.1-1 \[MF\(a\): mandatory if F\(a\)\] Passwords are unique per device/);
    assert.match(text, /Longwatch already knows: the model record says ota_capable: true, so this holds/);
    assert.match(text, /Longwatch also checks this in your fleet with no-disclosure-policy/);
  });
});

describe("answers file validation", () => {
  it("reports each mistake with its line and column and keeps the valid answers", () => {
    const text = [
      "model: M", //                                                  1
      "etsi-en-303-645-v3.1.3:", //                                   2
      "  conditions:", //                                             3
      "    feature-a:", //                                            4
      "      holds: no", //                                           5
      "      why: the device has no passwords at all", //             6
      "    feature-zz:", //                                           7
      "      holds: yes", //                                          8
      "    condition-3:", //                                          9
      "      holds: no", //                                           10
      "  provisions:", //                                             11
      "    5.2-1:", //                                                12
      "      answer: yes", //                                         13
      "      evidence: https://example.org/security", //              14
      "    5.13-1:", //                                               15
      "      answer: yes", //                                         16
      "    5.3-13:", //                                               17
      "      answer: maybe", //                                       18
      "    5.5-1:", //                                                19
      "      answer: not-applicable", //                              20
      "    5.1-1:", //                                                21
      "      answer: n/a", //                                         22
      "    5.4-3:", //                                                23
      "      answer: yes", //                                         24
      "      evidance: docs/secrets.md", //                           25
      "    5.6-2:", //                                                26
      "      answer: yes", //                                         27
      "etsi-en-303-645:", //                                          28
      "  provisions: {}", //                                          29
      "answered_on: last week", //                                    30
    ].join("\n");
    const { answers, issues } = parse(text);
    assert.deepEqual(where(issues), [
      `7:5 error etsi-en-303-645-v3.1.3: no condition "feature-zz" (this standard has ${[...set.get("etsi-en-303-645-v3.1.3")!.conditions.keys()].join(", ")})`,
      "9:5 error condition-3: holds is no, so every provision that depends on it becomes not applicable; say why in \"why\" (a justification is required)",
      "15:5 error etsi-en-303-645-v3.1.3: no provision \"5.13-1\"; did you mean 5.13-1A or 5.13-1B?",
      "18:15 error 5.3-13.answer: \"maybe\" is not one of yes, no, partly (or not-applicable where the provision allows it)",
      "20:7 error 5.5-1: answer must be yes, no or partly; it has no condition, so it always applies (mandatory)",
      "22:7 error 5.1-1: answer must be yes, no or partly; it is not applicable only when one of its conditions (feature-a) is answered as not holding under conditions:",
      "25:7 error 5.4-3: unknown field \"evidance\" (expected answer, evidence, note, why)",
      "24:7 warning 5.4-3: answered yes without evidence; it stays INCONCLUSIVE until \"evidence\" says where the proof is",
      "27:7 warning 5.6-2: answered yes without evidence; it stays INCONCLUSIVE until \"evidence\" says where the proof is",
      "28:1 error \"etsi-en-303-645\": say which version this section answers: etsi-en-303-645-v2.1.1 or etsi-en-303-645-v3.1.3",
      "30:14 error answered_on: \"last week\" is not a date like 2026-11-25",
    ]);
    const s = answers.sections.get("etsi-en-303-645-v3.1.3")!;
    assert.deepEqual([...s.conditions.keys()], ["feature-a"]);
    assert.deepEqual([...s.provisions.keys()], ["5.2-1", "5.4-3", "5.6-2"], "valid answers are kept");
    assert.deepEqual(s.provisions.get("5.2-1"), { answer: "yes", evidence: "https://example.org/security", line: 12 });
  });

  it("reports YAML syntax errors and repeated keys with their position", () => {
    const broken = parse("model: M\nuk-psti:\n  provisions:\n    \"2\": answer: yes\n");
    assert.equal(broken.issues[0]?.severity, "error");
    assert.equal(broken.issues[0]?.line, 4);
    const dup = parse("model: M\nuk-psti:\n  provisions:\n    \"2\":\n      answer: yes\n    \"2\":\n      answer: no\n");
    assert.deepEqual(dup.issues.map((i) => [i.line, i.severity]), [[6, "error"]]);
    assert.match(dup.issues[0]!.message, /unique/i);
  });

  it("allows not-applicable only where the standard decides applicability per provision (EU CRA), with a reason", () => {
    const { answers, issues } = parse(
      ["eu-cra:", "  provisions:", "    I.1.2.g:", "      answer: not-applicable", "      why: processes no personal data", "    I.1.2.m:", "      answer: not-applicable", "    I.2.5:", "      answer: n/a", "      why: x"].join("\n"),
    );
    assert.deepEqual(where(issues), [
      "7:7 error I.1.2.m: not-applicable needs \"why\" (the reason from your risk assessment)",
      "9:7 error I.2.5: answer must be yes, no or partly; it has no condition, so it always applies (mandatory)",
    ]);
    assert.deepEqual(answers.sections.get("eu-cra")!.provisions.get("I.1.2.g"), { answer: "not-applicable", why: "processes no personal data", line: 3 });
  });

  it("reads numeric ids, list evidence, booleans and the documentation and statement sections", () => {
    const { answers, issues } = parse(
      [
        "uk-psti:",
        "  provisions:",
        "    2: {answer: true, evidence: [https://a.example/vdp, security.txt]}",
        "  statement: {manufacturer: Acme, place: Leeds}",
        "eu-cra:",
        "  documentation:",
        "    VII.3: {answer: partly, evidence: draft v0.3}",
        "    VII.9: {answer: yes}",
      ].join("\n"),
    );
    assert.deepEqual(where(issues), ['8:5 error eu-cra.documentation: no item "VII.9" (items are VII.1, VII.2, VII.3, VII.4, VII.5, VII.6, VII.7, VII.8)']);
    const psti = answers.sections.get("uk-psti")!;
    assert.deepEqual(psti.provisions.get("2"), { answer: "yes", evidence: "https://a.example/vdp; security.txt", line: 3 });
    assert.deepEqual(psti.statement, { manufacturer: "Acme", place: "Leeds" });
    assert.equal(answers.sections.get("eu-cra")!.documentation.get("VII.3")!.answer, "partly");
  });
});
