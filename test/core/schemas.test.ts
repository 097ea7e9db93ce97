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
