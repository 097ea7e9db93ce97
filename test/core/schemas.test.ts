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
