import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContractContext } from "./context.ts";

export function assessmentsContract(c: ContractContext): void {
  describe(`assessments (${c.target.name})`, () => {
    it("saves whole documents and lists them newest first, filtered", async () => {
      const store = await c.fresh();
      const doc = { verdicts: Array.from({ length: 20_000 }, (_, i) => ({ provision: `5.${i}`, verdict: i % 2 ? "met" : "not met", note: "Prüfung ✓ — 合格" })) };
      const a = await store.assessments.save({ model_id: "m1", standard: "etsi", created_at: "2026-11-01", doc });
      const b = await store.assessments.save({ model_id: "m1", standard: "psti", created_at: "2026-11-02", doc: { n: 1 } });
      const d = await store.assessments.save({ model_id: "m2", standard: "etsi", created_at: "2026-11-03", doc: [] });
      assert.deepEqual((await store.assessments.get(a))!.doc, doc);
      assert.equal(await store.assessments.get(9999), undefined);
      assert.deepEqual((await store.assessments.list({})).map((x) => x.id), [d, b, a]);
      assert.deepEqual((await store.assessments.list({ model_id: "m1" })).map((x) => x.id), [b, a]);
      assert.deepEqual((await store.assessments.list({ standard: "etsi", limit: 1 })).map((x) => x.id), [d]);
      assert.deepEqual(await store.assessments.list({ model_id: "m2", standard: "etsi" }), [{ id: d, model_id: "m2", standard: "etsi", created_at: "2026-11-03" }]);
    });
  });
}
