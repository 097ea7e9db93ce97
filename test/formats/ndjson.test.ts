import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonArrayParser, type JsonRecord, NdjsonParser } from "../../src/formats/ndjson.ts";
import { chunks, pick, rng } from "../helpers/random.ts";

function run(p: { push(c: string): JsonRecord[]; end(): JsonRecord[] }, parts: string[]): JsonRecord[] {
  const out: JsonRecord[] = [];
  for (const c of parts) out.push(...p.push(c));
  out.push(...p.end());
  return out;
}

describe("NdjsonParser", () => {
  it("reads one value per line, skips blank lines, reports bad lines with their number", () => {
    const out = run(new NdjsonParser(), ['{"a":1}\r\n\n{"a":', '2}\n{bad\n{"a":3}']);
    assert.deepEqual(out.map((r) => ("value" in r ? r.value : r.line)), [{ a: 1 }, { a: 2 }, 4, { a: 3 }]);
    assert.match((out[2] as { error: string }).error, /not valid JSON/);
  });
});

describe("JsonArrayParser", () => {
  it("streams the elements of a top-level array with their start lines", () => {
    const text = '[\n {"id": "a,]}"},\n {"id": "b", "x": [1, {"y": 2}]}\n]\n';
    const out = run(new JsonArrayParser(), [text]);
    assert.deepEqual(out, [
      { line: 2, value: { id: "a,]}" } },
      { line: 3, value: { id: "b", x: [1, { y: 2 }] } },
    ]);
  });

  it("finds the array inside a wrapping object and reports a truncated file", () => {
    const out = run(new JsonArrayParser(), ['{"devices": [{"id": 1}, {"id": 2']);
    assert.deepEqual(out[0], { line: 1, value: { id: 1 } });
    assert.match((out[1] as { error: string }).error, /not closed/);
  });

  it("fuzz: chunking never changes the result, and garbage never throws", () => {
    const pieces = ["{", "}", "[", "]", ",", '"', "\\", "a", "1", "\n", ' "k": ', "null"];
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const text = "[" + Array.from({ length: Math.floor(r() * 30) }, () => pick(r, pieces)).join("") + "]";
      const whole = run(new JsonArrayParser(), [text]);
      const split = run(new JsonArrayParser(), chunks(r, text));
      assert.deepEqual(split, whole, `seed ${seed}`);
    }
    for (let seed = 1; seed <= 100; seed++) {
      const r = rng(seed);
      const items = Array.from({ length: Math.floor(r() * 10) }, (_, i) => ({ i, s: "x\n\"},]".repeat(Math.floor(r() * 3)) }));
      const text = JSON.stringify(items, null, r() < 0.5 ? 2 : undefined);
      const got = run(new JsonArrayParser(), chunks(r, text));
      assert.deepEqual(got.map((g) => ("value" in g ? g.value : g.error)), items, `seed ${seed}`);
    }
  });
});
