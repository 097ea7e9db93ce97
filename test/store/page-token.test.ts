/** Page tokens: a round trip gives the key back; anything edited, cut or made for another query is refused. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isLongwatchError } from "../../src/core/errors.ts";
import { decodePageToken, encodePageToken, exportPages, pageSize, sortOf, totalCap } from "../../src/store/page.ts";
import type { Page } from "../../src/store/lists.ts";
import { rng } from "../../src/core/random.ts";

const refused = (fn: () => unknown) => assert.throws(fn, (e) => isLongwatchError(e, "usage") && (e.detail as { field?: string }).field === "page_token");

test("a token gives back the key it was made with, for the same list, filter and sort", () => {
  const q = { model_id: "m-1", page_size: 10 };
  const t = encodePageToken("devices", q, "device_id", "asc", ["dev-0042"]);
  // Page size and total cap are not part of the query: a client may change them between pages.
  assert.deepEqual(decodePageToken(t, "devices", { model_id: "m-1", page_size: 100, total_cap: 0 }, "device_id", "asc", ["string"]), ["dev-0042"]);
  assert.equal(decodePageToken(undefined, "devices", q, "device_id", "asc", ["string"]), undefined);
  const t2 = encodePageToken("alerts", {}, "last_seen", "desc", ["2026-12-01T00:00:00Z", "a-1", 3, null]);
  assert.deepEqual(decodePageToken(t2, "alerts", {}, "last_seen", "desc", ["string", "string", "number", "nullable-string"]), ["2026-12-01T00:00:00Z", "a-1", 3, null]);
});

test("a token for another list, filter, sort or order is refused", () => {
  const t = encodePageToken("devices", { model_id: "m-1" }, "device_id", "asc", ["x"]);
  refused(() => decodePageToken(t, "findings", { model_id: "m-1" }, "device_id", "asc", ["string"]));
  refused(() => decodePageToken(t, "devices", { model_id: "m-2" }, "device_id", "asc", ["string"]));
  refused(() => decodePageToken(t, "devices", {}, "device_id", "asc", ["string"]));
  refused(() => decodePageToken(t, "devices", { model_id: "m-1", country: "DE" }, "device_id", "asc", ["string"]));
  refused(() => decodePageToken(t, "devices", { model_id: "m-1" }, "country", "asc", ["string"]));
  refused(() => decodePageToken(t, "devices", { model_id: "m-1" }, "device_id", "desc", ["string"]));
  // The right query but a key of another shape.
  refused(() => decodePageToken(t, "devices", { model_id: "m-1" }, "device_id", "asc", ["number"]));
  refused(() => decodePageToken(t, "devices", { model_id: "m-1" }, "device_id", "asc", ["string", "string"]));
});

test("an edited, cut or random token is refused (fuzzed)", () => {
  const t = encodePageToken("devices", {}, "device_id", "asc", ["dev-1"]);
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const chars = [...t];
    const at = Math.floor(r() * chars.length);
    const mode = i % 3;
    let s: string;
    if (mode === 0) {
      const c = "ABCxyz019-_.="[Math.floor(r() * 13)]!;
      if (chars[at] === c) continue;
      chars[at] = c;
      s = chars.join("");
    } else if (mode === 1) s = t.slice(0, at);
    else s = Array.from({ length: at + 1 }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join("");
    refused(() => decodePageToken(s, "devices", {}, "device_id", "asc", ["string"]));
  }
  refused(() => decodePageToken("x".repeat(5000), "devices", {}, "device_id", "asc", ["string"]));
});

test("page size, total cap and sort are checked", () => {
  assert.equal(pageSize({}), 50);
  assert.equal(pageSize({ page_size: 1000 }), 1000);
  for (const n of [0, 1001, 2.5, -1]) assert.throws(() => pageSize({ page_size: n }), (e) => isLongwatchError(e, "usage"));
  assert.equal(totalCap({}), 10_000);
  assert.equal(totalCap({ total_cap: 0 }), 0);
  assert.throws(() => totalCap({ total_cap: 100_001 }), (e) => isLongwatchError(e, "usage"));
  const orders = { a: "desc", b: "asc" } as const;
  assert.deepEqual(sortOf({}, orders, "a"), { sort: "a", order: "desc" });
  assert.deepEqual(sortOf({ sort: "b" }, orders, "a"), { sort: "b", order: "asc" });
  assert.deepEqual(sortOf({ sort: "a", order: "asc" }, orders, "a"), { sort: "a", order: "asc" });
  assert.throws(() => sortOf({ sort: "c" as "a" }, orders, "a"), (e) => isLongwatchError(e, "usage"));
  assert.throws(() => sortOf({ sort: "toString" as "a" }, orders, "a"), (e) => isLongwatchError(e, "usage"));
  assert.throws(() => sortOf({ order: "up" as "asc" }, orders, "a"), (e) => isLongwatchError(e, "usage"));
});

test("exportPages walks every page once, without totals", async () => {
  const rows = Array.from({ length: 2345 }, (_, i) => i);
  const seen: { size: number | undefined; cap: number | undefined }[] = [];
  const list = async (q: { page_size?: number; page_token?: string; total_cap?: number }): Promise<Page<number>> => {
    seen.push({ size: q.page_size, cap: q.total_cap });
    const from = q.page_token ? Number(q.page_token) : 0;
    const items = rows.slice(from, from + q.page_size!);
    return { items, next_page_token: from + items.length < rows.length ? String(from + items.length) : null };
  };
  const out: number[] = [];
  for await (const page of exportPages(list, {})) out.push(...page);
  assert.deepEqual(out, rows);
  assert.equal(seen.length, 3);
  assert.ok(seen.every((s) => s.size === 1000 && s.cap === 0));
});
