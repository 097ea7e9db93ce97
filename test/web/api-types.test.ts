/** The dashboard's typed client is generated from the OpenAPI document; this keeps the two from drifting. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { typesFromOpenApi } from "../../scripts/openapi-types.ts";
import { openApiText } from "../../src/serve/http/openapi-text.ts";

describe("dashboard API types", () => {
  it("web/src/api/schema.ts is generated from the current OpenAPI document (npm run gen:openapi)", () => {
    assert.equal(readFileSync(join(import.meta.dirname, "..", "..", "web", "src", "api", "schema.ts"), "utf8"), typesFromOpenApi(JSON.parse(openApiText())));
  });

  it("turns schemas into types: objects with optional fields, enums, arrays, records, refs, nullables", () => {
    const text = typesFromOpenApi({
      paths: { "/api/v1/x/{id}": { get: { operationId: "x.get", responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/X" } } } } } } } },
      components: { schemas: { X: { type: "object", properties: { id: { type: "string" }, n: { type: ["integer", "null"] }, tags: { type: "array", items: { type: "string", enum: ["a", "b"] } }, m: { type: "object", additionalProperties: { type: "number" } } }, required: ["id"], additionalProperties: false } } },
    });
    assert.match(text, /export type X = \{\n {2}id: string;\n {2}n\?: number \| null;\n {2}tags\?: \("a" \| "b"\)\[\];\n {2}m\?: Record<string, number>;\n\};/);
    assert.match(text, /"x.get": X;/);
    assert.match(text, /"x.get": "GET \/api\/v1\/x\/\{id\}",/);
  });
});
