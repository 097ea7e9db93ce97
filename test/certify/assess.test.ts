import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { allRules } from "../../src/audit/rules/index.ts";
import { assess } from "../../src/certify/assess.ts";
import { catalogues } from "../../src/certify/catalogue.ts";
import { diffAssessments } from "../../src/certify/diff.ts";
import { gatherEvidence, productLine } from "../../src/certify/evidence.ts";
import { buildMatrix, cellText } from "../../src/certify/matrix.ts";
import { parseAnswers } from "../../src/certify/questionnaire.ts";
import type { Store } from "../../src/store/store.ts";
import { assessModel, certifyFleet, MODELS, NOW, result } from "../helpers/certify-fleet.ts";

const ETSI = "etsi-en-303-645-v3.1.3";
let store: Store;
before(async () => {
  store = await certifyFleet();
});

describe("evidence from findings", () => {
  it("FAILs the provisions of open findings on the model's devices, and links the findings", async () => {
    const a = await assessModel(store, ETSI, "GATE-B");
    const fails = a.results.filter((r) => r.verdict === "fail").map((r) => r.id);
    assert.deepEqual(fails, ["5.2-1", "5.3-13", "5.5-1", "5.6-1"]);
    const r = result(a, "5.5-1");
    assert.deepEqual(r.rules.filter((e) => e.state === "open").map((e) => [e.rule, e.open, e.devices]), [["insecure-service", 1, 1]]);
    assert.match(r.reason, /1 open finding .*insecure-service/);
    assert.match(r.todo!, /Disable the service/, "the FAIL says what to do, from the rule's remediation");
    // The finding about device b1 reaches the model through the device (it has no model_id of its own).
    const g = a.findings.find((f) => f.rule === "insecure-service")!;
    assert.deepEqual(g.samples.map((s) => [s.device_id, s.title]), [["b1", "telnet open on port 23"]]);
    assert.deepEqual(g.provisions, ["5.5-1", "5.6-1"]);
    assert.ok(g.remediation && g.rationale);
  });

  it("PASSes a provision on observation alone only when its observers saw every device with the data they need", async () => {
    assert.equal(result(await assessModel(store, "owasp-iot-2018", "SENSOR-A"), "I2").verdict, "pass");
    const meter = result(await assessModel(store, "owasp-iot-2018", "METER-C"), "I2");
    assert.equal(meter.verdict, "inconclusive");
    assert.match(meter.reason, /could only check 0 of 1 devices \(device\.open_services is not recorded/);
    // A clean rule that covers only part of a provision is partial evidence, never a PASS.
    const partial = result(await assessModel(store, ETSI, "SENSOR-A"), "5.2-1");
    assert.equal(partial.verdict, "inconclusive");
    assert.match(partial.reason, /Partly observed: no-disclosure-policy ran and found nothing/);
  });

  it("is NOT ASSESSED without a scan, and says so", async () => {
    const bare = await certifyFleet({ scan: false });
    const a = await assessModel(bare, ETSI, "GATE-B");
    assert.equal(a.summary.not_assessed, 78);
    assert.match(a.notes[0]!, /No scan has been run yet/);
    assert.match(result(a, "5.5-1").reason, /insecure-service \(not run in the latest scan\)/);
  });

  it("treats suppressed findings as INCONCLUSIVE, never as a FAIL or a PASS", async () => {
    const s = await certifyFleet({ suppressions: [{ id: 1, rule: "insecure-service", reason: "telnet only on the lab VLAN", created_at: "2026-11-01" }] });
    const r = result(await assessModel(s, ETSI, "GATE-B"), "5.5-1");
    assert.equal(r.verdict, "inconclusive");
    assert.match(r.reason, /only findings are suppressed .*telnet only on the lab VLAN/);
  });
});

describe("answers", () => {
  const answers = `
model: SENSOR-A
${ETSI}:
  conditions:
    feature-a: {holds: no, why: "no passwords: devices log in with per-device certificates"}
    condition-3: {holds: no, why: every component is updatable}
  provisions:
    5.2-1: {answer: yes, evidence: "https://acme.example/security"}
    5.3-13: {answer: yes}
    5.4-3: {answer: no}
    5.6-2: {answer: partly, note: banner still shows the build number}
    5.5-1: {answer: yes, evidence: TLS 1.3 only, see design doc §4}
`;

  it("yes with evidence PASSes, yes without evidence and partly are INCONCLUSIVE, no FAILs", async () => {
    const a = await assessModel(store, ETSI, "SENSOR-A", answers);
    const v = (id: string) => result(a, id).verdict;
    assert.equal(v("5.2-1"), "pass");
    assert.match(result(a, "5.2-1").reason, /Met, with evidence: https:\/\/acme\.example\/security\. The scan found no problems \(no-disclosure-policy\)/);
    assert.equal(v("5.3-13"), "inconclusive");
    assert.equal(v("5.4-3"), "fail");
    assert.equal(v("5.6-2"), "inconclusive");
    assert.equal(v("5.5-1"), "pass");
  });

  it("open findings win over an answer that says the provision is met", async () => {
    const r = result(await assessModel(store, ETSI, "GATE-B", answers.replace("SENSOR-A", "GATE-B")), "5.5-1");
    assert.equal(r.verdict, "fail");
    assert.ok(r.caveats.some((c) => /answers say this is met, but the scan contradicts it/.test(c)));
  });

  it("makes a provision NOT APPLICABLE only through a condition that does not hold, naming it and the reason", async () => {
    const a = await assessModel(store, ETSI, "SENSOR-A", answers);
    const r = result(a, "5.1-1");
    assert.equal(r.verdict, "not_applicable");
    assert.deepEqual(r.not_applicable, { condition: "feature-a", label: "F(a)", text: r.conditions[0]!.text, why: "no passwords: devices log in with per-device certificates", source: "answers" });
    assert.deepEqual(a.results.filter((x) => x.verdict === "not_applicable").map((x) => x.id), ["5.1-1", "5.3-14", "5.3-15A", "5.3-15B"]);
  });

  it("never makes an unconditional provision not applicable, whatever is answered, in any standard", async () => {
    const set = catalogues();
    for (const c of set.all) {
      // Every condition answered "does not hold", every per-provision one answered not-applicable.
      const lines = [`${c.key}:`, "  conditions:"];
      for (const cond of c.conditions.values()) if (!cond.per_provision) lines.push(`    ${cond.id}: {holds: no, why: test}`);
      lines.push("  provisions:");
      for (const p of c.provisions) lines.push(`    "${p.id}": {answer: not-applicable, why: test}`);
      const parsed = parseAnswers(lines.join("\n"), "all-na.yaml", set);
      const a = assess({ catalogue: c, set, rules: allRules, evidence: await gatherEvidence(store), modelId: "SENSOR-A", answers: parsed.answers, now: NOW, version: "t" });
      for (const r of a.results) {
        const p = c.byId.get(r.id)!;
        if (r.verdict === "not_applicable") {
          assert.ok(p.appliesIf.length > 0, `${c.key} ${r.id} is N/A without a condition`);
          assert.ok(p.appliesIf.some((x) => x.id === r.not_applicable!.condition), `${c.key} ${r.id} names one of its conditions`);
          assert.ok(r.not_applicable!.why.length > 0);
        } else {
          assert.ok(p.appliesIf.length === 0 || r.verdict === "fail", `${c.key} ${r.id}: conditional and not N/A only when a finding fails it (${r.verdict})`);
        }
      }
      const unconditional = c.provisions.filter((p) => p.appliesIf.length === 0).length;
      assert.equal(a.summary.not_applicable, c.provisions.length - unconditional - a.results.filter((r) => r.verdict === "fail" && c.byId.get(r.id)!.appliesIf.length > 0).length);
    }
  });

  it("reads conditions from fleet data when they are not answered (V2.1.1: a constrained device)", async () => {
    const a = await assessModel(store, "etsi-en-303-645-v2.1.1", "METER-C");
    const r = result(a, "5.1-5");
    assert.equal(r.verdict, "not_applicable");
    assert.equal(r.not_applicable!.source, "fleet");
    assert.equal(r.not_applicable!.why, "the model record says constrained: true");
    assert.equal(result(a, "5.3-14").verdict, "not_assessed", "C(3) is unknown, so it may still apply");
    assert.match(result(a, "5.3-14").todo!, /First say whether C\(3\) holds/);
  });

  it("passes UK PSTI through a verified deemed-compliance route, but never through the unverified one", async () => {
    const yaml = `
etsi-en-303-645-v2.1.1:
  provisions:
    5.2-1: {answer: yes, evidence: "https://acme.example/security"}
    5.3-13: {answer: yes, evidence: "https://acme.example/support"}
`;
    const a = await assessModel(store, "uk-psti", "SENSOR-A", yaml);
    const r2 = result(a, "2");
    assert.equal(r2.verdict, "pass");
    assert.deepEqual(r2.deemed?.via, ["ETSI-EN-303-645:5.2-1 (V2.1.1)"]);
    assert.equal(result(a, "3").verdict, "inconclusive");
    assert.equal(result(a, "3").deemed, undefined);
    const st = a.psti_statement!;
    assert.equal(st.ready, false);
    assert.ok(st.blockers.some((b) => /Requirement 3 .* INCONCLUSIVE/.test(b)));
    assert.ok(st.requirements.find((x) => x.id === "2")!.evidence.some((e) => /Deemed compliance/.test(e)));
  });

  it("builds the EU CRA checklist with days left to each date", async () => {
    const a = await assessModel(store, "eu-cra", "GATE-B", "eu-cra:\n  documentation:\n    VII.1: {answer: yes, evidence: TD-01}\n");
    const cl = a.cra_checklist!;
    assert.deepEqual(cl.dates.find((d) => d.date === "2026-09-11")?.days_left, -75);
    assert.equal(cl.dates.find((d) => d.date === "2027-12-11")?.days_left, 381);
    assert.deepEqual(cl.documentation[0], { id: "VII.1", text: cl.documentation[0]!.text, state: "done", evidence: "TD-01" });
    assert.deepEqual(cl.annex_i.map((p) => p.part), ["I", "II"]);
  });
});

describe("product lines", () => {
  it("assesses several models as one subject: devices and findings add up, model facts only where all agree", async () => {
    const evidence = await gatherEvidence(store);
    const line = productLine(evidence, "SENSORS", ["SENSOR-A", "METER-C"]);
    assert.equal(line.devices, 3);
    assert.equal(line.deviceFields.get("open_services"), 2);
    assert.deepEqual(line.model, { model_id: "SENSORS", name: "product line SENSORS: SENSOR-A, METER-C", manufacturer: "Acme", ota_capable: true, vuln_disclosure_url: "https://acme.example/security", support_end: "2030-01-01" });
    evidence.models.set("SENSORS", line);
    const set = catalogues();
    const a = assess({ catalogue: set.get("owasp-iot-2018")!, set, rules: allRules, evidence, modelId: "SENSORS", now: NOW, version: "t" });
    assert.match(result(a, "I2").reason, /could only check 2 of 3 devices/);
    const mixed = productLine(evidence, "ALL", ["SENSOR-A", "GATE-B"]);
    assert.equal(mixed.rules.get("insecure-service")!.open, 1);
    assert.equal(mixed.model!.ota_capable, undefined, "the models disagree");
    assert.equal(mixed.model!.support_end, undefined, "GATE-B has no support period");
  });
});

describe("next steps, diff and matrix", () => {
  it("names exactly three next steps, most important first, each with something to do", async () => {
    const a = await assessModel(store, ETSI, "GATE-B");
    assert.equal(a.next_steps.length, 3);
    assert.deepEqual(a.next_steps.map((s) => [s.kind, s.rule]), [["fix-findings", "insecure-service"], ["fix-findings", "no-disclosure-policy"], ["fix-findings", "no-support-period"]]);
    for (const s of a.next_steps) assert.ok(s.action.length > 40 && s.why.length > 20);
    const sensor = await assessModel(store, ETSI, "SENSOR-A");
    assert.equal(sensor.next_steps[0]!.kind, "answer-questions");
    assert.match(sensor.next_steps[0]!.action, /longwatch certify init --model SENSOR-A --standard etsi-en-303-645 --version 3\.1\.3/);
    assert.equal(sensor.next_steps.length, 3);
  });

  it("diffs two assessments: fixing the disclosure policy improves 5.2-1", async () => {
    const beforeFix = await assessModel(store, ETSI, "GATE-B");
    const fixed = await certifyFleet({ models: MODELS.map((m) => (m.model_id === "GATE-B" ? { ...m, vuln_disclosure_url: "https://acme.example/security" } : m)) });
    const afterFix = await assessModel(fixed, ETSI, "GATE-B", "etsi-en-303-645-v3.1.3:\n  provisions:\n    5.2-1: {answer: yes, evidence: https://acme.example/security}\n");
    const d = diffAssessments(beforeFix, afterFix);
    assert.deepEqual(d.changes.map((c) => [c.id, c.before, c.after, c.direction]), [["5.2-1", "fail", "pass", "improved"]]);
    assert.equal(d.improved, 1);
    assert.equal(d.regressed, 0);
    assert.deepEqual(diffAssessments(afterFix, beforeFix).changes[0]!.direction, "regressed");
  });

  it("builds the fleet matrix of models × standards with pass rates", async () => {
    const set = catalogues();
    const evidence = await gatherEvidence(store);
    const all = ["GATE-B", "METER-C", "SENSOR-A"].flatMap((m) =>
      set.standards().map((cli) => assess({ catalogue: set.find(cli)!, set, rules: allRules, evidence, modelId: m, now: NOW, version: "t" })),
    );
    const m = buildMatrix(all, "2026-11-25T00:00:00Z");
    assert.deepEqual(m.rows.map((r) => r.model_id), ["GATE-B", "METER-C", "SENSOR-A"]);
    assert.deepEqual(m.standards.map((s) => s.key), ["etsi-en-303-645-v3.1.3", "eu-cra", "gdpr", "nistir-8259a", "owasp-iot-2018", "uk-psti"]);
    const owasp = m.rows[2]!.cells.find((c) => c.key === "owasp-iot-2018")!;
    assert.equal(cellText(owasp), "10% (1/10)");
    assert.equal(cellText(m.rows[0]!.cells[0]!), "0% (0/78) 4 fail");
  });
});
