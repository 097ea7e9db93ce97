import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { z } from "zod";
import type { Finding, FindingSchema } from "../../src/core/finding.ts";
import { jsonSchemaOf, publicSchemas } from "../../src/core/public-schemas.ts";

// The Finding interface and its schema must describe the same thing.
const _fromInterface: z.input<typeof FindingSchema> = {} as Finding;
void _fromInterface;

describe("JSON Schemas in docs/schemas", () => {
  for (const name of Object.keys(publicSchemas)) {
    it(`${name}.schema.json matches the code (run \`npm run gen:schemas\` after changing a schema)`, () => {
      const file = join(import.meta.dirname, "..", "..", "docs", "schemas", `${name}.schema.json`);
      assert.ok(existsSync(file), `${file} is missing`);
      assert.equal(readFileSync(file, "utf8"), jsonSchemaOf(name));
    });
  }
});

describe("docs/rules.md", () => {
  it("matches the rule registry (run `npm run gen:docs` after changing a rule)", async () => {
    const { allRules } = await import("../../src/audit/rules/index.ts");
    const { rulesMarkdown } = await import("../../src/report/rules-doc.ts");
    assert.equal(readFileSync(join(import.meta.dirname, "..", "..", "docs", "rules.md"), "utf8"), rulesMarkdown(allRules));
  });
});

describe("FindingSchema standards", () => {
  it("takes every standards reference FORMATS.md names and every rule declares, and refuses malformed ones", async () => {
    const { FindingSchema } = await import("../../src/core/finding.ts");
    const { allRules } = await import("../../src/audit/rules/index.ts");
    const item = FindingSchema.shape.standards.element;
    const refs = new Set(["ETSI-EN-303-645:5.1-1", "UK-PSTI:1", "EU-CRA:I.1.2.a", "NISTIR-8259A:device-identification", "OWASP-IoT-2018:I1", ...allRules.flatMap((r) => r.standards)]);
    assert.ok([...refs].some((r) => r.startsWith("OWASP-IoT-2018:")), "the rules map to OWASP IoT Top 10 items");
    for (const ref of refs) assert.ok(item.safeParse(ref).success, ref);
    for (const bad of ["", "ETSI", ":5.1-1", "ETSI-EN-303-645:", "ETSI EN 303 645:5.1-1", "OWASP-IoT-2018: I1"]) assert.equal(item.safeParse(bad).success, false, JSON.stringify(bad));
  });
});
