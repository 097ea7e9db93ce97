/** The OpenAPI document: committed = generated from the route table = served; every route is in it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openApiText } from "../../src/serve/http/openapi-text.ts";
import { allRoutes } from "../../src/serve/http/routes/index.ts";
import { startTestService } from "../helpers/serve.ts";

const committed = readFileSync(join(import.meta.dirname, "..", "..", "docs", "openapi.json"), "utf8");

describe("OpenAPI document", () => {
  it("docs/openapi.json is up to date (npm run gen:openapi)", () => {
    assert.equal(committed, openApiText());
  });

  it("describes every route, with its role, and is what the service serves", async () => {
    const doc = JSON.parse(committed) as { openapi: string; paths: Record<string, Record<string, { operationId: string; description: string; responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } };
    assert.equal(doc.openapi, "3.1.0");
    for (const r of allRoutes) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.path}`);
      assert.equal(op.operationId, r.id);
      assert.match(op.description, new RegExp(`Role: ${r.role === "public" ? "none" : r.role}`));
      if (r.role !== "public") assert.ok(op.responses["401"] && op.responses["403"]);
    }
    for (const name of ["Alert", "AlertPage", "Device", "Problem", "ApiToken", "AuditEntry", "Total"]) assert.ok(doc.components.schemas[name], name);
    const refs = [...committed.matchAll(/"\$ref": "#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) assert.ok(doc.components.schemas[ref], `dangling $ref ${ref}`);
    const svc = await startTestService();
    const served = await (await svc.fetch("/api/v1/openapi.json", { token: svc.tokens.viewer })).json();
    assert.deepEqual({ ...(served as object), info: {} }, { ...doc, info: {} });
  });
});
