/**
 * Generated from the route table: a query parameter a route does not read is refused with a 400 `usage` problem
 * naming it (and the parameter it is nearest to), never ignored — a misspelt filter would otherwise answer the
 * whole list as if it were the filtered one. The parameters a route declares are never refused as unknown.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { knownKeysAt } from "../../src/formats/config-issues.ts";
import { allRoutes } from "../../src/serve/http/routes/index.ts";
import { startTestService } from "../helpers/serve.ts";

const svc = await startTestService();
const concrete = (path: string) => path.replace(/\{\w+\}/g, "1");
const gets = allRoutes.filter((r) => r.method === "GET" && !r.id.startsWith("health."));

describe("unknown query parameters are refused", () => {
  for (const r of gets) {
    it(`${r.id}: ?sevrity=high is a 400 naming it`, async () => {
      const res = await svc.fetch(`${concrete(r.path)}?sevrity=high`);
      const text = await res.text();
      assert.equal(res.status, 400, text);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      const p = JSON.parse(text) as { code: string; detail: string; errors: { field: string }[] };
      assert.equal(p.code, "usage");
      assert.deepEqual(p.errors.map((e) => e.field), ["query.sevrity"]);
      const known = r.query ? knownKeysAt(r.query, []) : [];
      if (known.includes("severity")) assert.match(p.detail, /did you mean severity\?/);
    });
  }

  it("never refuses a parameter a route declares", async () => {
    // The event stream never ends once it is open; its parameters are checked like every route's above.
    for (const r of gets.filter((x) => x.id !== "events.stream")) {
      for (const k of r.query ? knownKeysAt(r.query, []) : []) {
        const res = await svc.fetch(`${concrete(r.path)}?${k}=1`);
        const body = (await res.text()) || "{}";
        const p = JSON.parse(res.headers.get("content-type")?.includes("json") ? body : "{}") as { errors?: { code?: string }[] };
        assert.ok(!p.errors?.some((e) => e.code === "unrecognized_keys"), `${r.id} refused its own ${k}: ${body}`);
      }
    }
  });

  it("lets the health probes take any query (a load balancer's cache-buster)", async () => {
    assert.equal((await svc.fetch("/healthz?probe=1", { token: null })).status, 200);
  });
});
