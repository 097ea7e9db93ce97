import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InputIssue } from "../../src/core/input-issue.ts";
import { readModels } from "../../src/inventory/models.ts";
import { tmpDir } from "../helpers/tmp.ts";

describe("models import", () => {
  it("reads YAML and JSON lists, reports each bad model with its line and field", () => {
    const t = tmpDir();
    const yaml = t.write(
      "models.yaml",
      `models:
  - model_id: ok
    ota_capable: true
    crypto: { signature: [ecdsa-p256], agile: false }
  - model_id: typo
    ota_capabel: true
  - model_id: bad-date
    support_end: next year
  - manufacturer: no id
  - model_id: ok
`,
    );
    const issues: InputIssue[] = [];
    const r = readModels(yaml, (i) => issues.push(i));
    assert.deepEqual(r.models.map((m) => m.model_id), ["ok"]);
    assert.deepEqual(issues.map((i) => `${i.line}|${i.path}|${i.reason}`), [
      "5|$.models[1]|unknown field ota_capabel",
      "8|$.models[2].support_end|is not an ISO 8601 date (e.g. 2026-11-25 or 2026-11-25T10:00:00Z)",
      "9|$.models[3].model_id|is required",
      '10|undefined|model_id "ok" is defined twice (first on line 2)',
    ]);
    const json = t.write("models.json", JSON.stringify([{ model_id: "j", ota_capable: "yes" }]));
    const ji: InputIssue[] = [];
    readModels(json, (i) => ji.push(i));
    assert.match(ji[0]!.reason, /expected boolean/);
  });

  it("reports YAML syntax errors with their line", () => {
    const t = tmpDir();
    const issues: InputIssue[] = [];
    readModels(t.write("bad.yaml", "- model_id: a\n  x: [unclosed\n"), (i) => issues.push(i));
    assert.equal(issues.length >= 1, true);
    assert.ok(issues[0]!.line! >= 2);
  });
});
