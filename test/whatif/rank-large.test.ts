/** rankAll's perKind cut on a large ranking: the kept nodes are not spread as arguments (that overflowed the stack). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StoreTx } from "../../src/store/store.ts";
import { rankAll } from "../../src/whatif/rank.ts";

describe("rankAll: perKind on a large ranking", () => {
  it("keeps 300,000 endpoints without overflowing the stack", async () => {
    const n = 300_000;
    const endpoints = Array.from({ length: n }, (_, i) => ({ destination: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:443`, devices: 1 + (i % 7) }));
    // Only what ranking endpoints asks of the store.
    const store = { graph: { deviceCount: async () => n, endpoints: async () => endpoints } } as unknown as StoreTx;
    const r = await rankAll(store, { kinds: ["endpoint"], perKind: n });
    assert.equal(r.nodes.length, n);
    assert.equal(r.nodes[0]!.devices, 7);
    const top = await rankAll(store, { kinds: ["endpoint"], perKind: 5 });
    assert.equal(top.nodes.length, 5);
  });
});
