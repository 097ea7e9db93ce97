import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StringArena, StringIndex } from "../../src/core/string-index.ts";
import { DuplicateKeys } from "../../src/audit/rules/group.ts";

describe("StringIndex", () => {
  it("numbers keys densely in first-seen order and agrees with a Map over many keys", () => {
    const index = new StringIndex();
    const reference = new Map<string, number>();
    // Keys that differ only in their last characters, Unicode, the empty string and repeats.
    const keys = [...Array.from({ length: 50_000 }, (_, i) => `35407116${String(i % 30_000).padStart(7, "0")}`), "", "ünïcødé ☃", "x".repeat(10_000), "x\u2603", "x\u0003", "x\u2603"];
    for (const k of keys) {
      if (!reference.has(k)) reference.set(k, reference.size);
      assert.equal(index.add(k), reference.get(k));
    }
    assert.equal(index.size, reference.size);
    for (const [k, n] of reference) assert.equal(index.keyAt(n), k);
  });

  it("keeps strings exactly in the arena", () => {
    const arena = new StringArena();
    // Latin-1 strings go to the byte arena, wider ones aside; "\u2603" must not be taken for its low byte "\u0003".
    const words = ["", "a", "😀 surrogate pair", "y".repeat(9000), "é\u00ff", "\u2603", "\u0003"];
    const ns = words.map((w) => arena.push(w));
    ns.forEach((n, i) => {
      assert.equal(arena.get(n), words[i]);
      assert.ok(arena.equals(n, words[i]!));
      assert.ok(!arena.equals(n, `${words[i]}z`));
    });
  });
});

describe("DuplicateKeys", () => {
  it("reports only keys seen on several devices, with every device and its detail, in key order", () => {
    const d = new DuplicateKeys();
    for (let i = 0; i < 10_000; i++) d.add(`imei-${i}`, `dev-${i}`, `detail-${i}`);
    d.add("imei-7", "dev-x", "other");
    d.add("imei-3", "dev-y");
    d.add("imei-7", "dev-z", "third");
    assert.deepEqual([...d.entries()], [
      ["imei-3", { devices: ["dev-3", "dev-y"], details: ["detail-3", ""] }],
      ["imei-7", { devices: ["dev-7", "dev-x", "dev-z"], details: ["detail-7", "other", "third"] }],
    ]);
  });
});
