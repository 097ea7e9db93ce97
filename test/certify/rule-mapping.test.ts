import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allRules } from "../../src/audit/rules/index.ts";
import { catalogues } from "../../src/certify/catalogue.ts";
import { observedByProblems, ruleRefProblems, rulesByProvision } from "../../src/certify/rule-map.ts";
import type { StandardRef } from "../../src/core/standards.ts";

const set = catalogues();

describe("rule → provision mapping", () => {
  it("every standards ref of every shipped rule names a provision that exists", () => {
    assert.deepEqual(ruleRefProblems(allRules, set), []);
  });

  it("every rule a catalogue lists as observing a whole provision exists and declares that provision", () => {
    assert.deepEqual(observedByProblems(allRules, set), []);
    const renamed = allRules.map((r) => (r.id === "insecure-service" ? { id: r.id, standards: [] } : r));
    assert.deepEqual(observedByProblems(renamed, set), ["owasp-iot-2018 I2: observed_by rule insecure-service does not declare this provision in its standards"]);
  });

  it("reports a rule that points at a provision that does not exist, or is malformed", () => {
    const bad = [
      { id: "fake-a", standards: ["ETSI-EN-303-645:5.1-9", "EU-CRA:I.2.9"] as StandardRef[] },
      { id: "fake-b", standards: ["ETSI-EN-303-645:5.6-4"] as StandardRef[] }, // a V2.1.1 id: rules use V3.1.3 ids
      { id: "fake-c", standards: ["NISTIR-8259A:"] as unknown as StandardRef[] },
    ];
    const problems = ruleRefProblems(bad, set);
    assert.equal(problems.length, 4, problems.join("\n"));
    assert.match(problems[0]!, /fake-a: ETSI-EN-303-645:5\.1-9 is not a provision of etsi-en-303-645-v3\.1\.3; did you mean 5\.1-1\?/);
    assert.match(problems[1]!, /fake-a: EU-CRA:I\.2\.9 .*did you mean I\.2\.1/);
    assert.match(problems[2]!, /fake-b: .*5\.6-4 .*did you mean 5\.6-4A or 5\.6-4B/);
    assert.match(problems[3]!, /fake-c: "NISTIR-8259A:" is not <STANDARD>:<provision>/);
  });

  it("contains every provision the shipped rules reference (the list from the issue)", () => {
    const expected: Record<string, string[]> = {
      "etsi-en-303-645-v3.1.3": ["5.2-1", "5.3-1", "5.3-2", "5.3-8", "5.3-13", "5.5-1", "5.6-1"],
      "eu-cra": ["I.1.2.c", "I.1.2.d", "I.1.2.j", "I.2.2", "I.2.5", "I.2.6"],
      "uk-psti": ["2", "3"],
      "nistir-8259a": ["software-update"],
      "owasp-iot-2018": ["I2", "I4", "I8", "I9", "I10"],
    };
    for (const [key, ids] of Object.entries(expected)) for (const id of ids) assert.ok(set.get(key)!.byId.has(id), `${key} ${id}`);
  });

  it("carries V3.1.3 rule refs over to V2.1.1 through the version mapping", () => {
    const v2 = set.get("etsi-en-303-645-v2.1.1")!;
    const rules = [{ id: "debug-port", standards: ["ETSI-EN-303-645:5.6-4B", "ETSI-EN-303-645:5.13-1B"] as StandardRef[] }];
    const m = rulesByProvision(v2, rules);
    assert.deepEqual(m.get("5.6-4"), ["debug-port"]);
    assert.deepEqual(m.get("5.13-1"), ["debug-port"]);
    assert.equal(m.size, 2);
    // The shipped rules' refs land on the same V2.1.1 ids where nothing was split.
    assert.ok(rulesByProvision(v2, allRules).get("5.2-1")!.includes("no-disclosure-policy"));
  });
});
