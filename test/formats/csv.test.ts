import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CsvParser, type CsvRecord, csvDataLine, sniffDelimiter } from "../../src/formats/csv.ts";
import { chunks, pick, rng } from "../helpers/random.ts";

function parseAll(text: string, parts?: string[], delimiter?: string): CsvRecord[] {
  const p = new CsvParser(delimiter ? { delimiter } : {});
  const out: CsvRecord[] = [];
  for (const c of parts ?? [text]) out.push(...p.push(c));
  out.push(...p.end());
  return out;
}

describe("CsvParser", () => {
  it("reads quoted fields with delimiters, doubled quotes and newlines, and keeps line numbers", () => {
    const text = 'a,b,c\r\n1,"x, y",3\r\n2,"say ""hi""",4\n3,"two\nlines",5\n4,,\n';
    assert.deepEqual(parseAll(text), [
      { line: 1, cells: ["a", "b", "c"] },
      { line: 2, cells: ["1", "x, y", "3"] },
      { line: 3, cells: ["2", 'say "hi"', "4"] },
      { line: 4, cells: ["3", "two\nlines", "5"] },
      { line: 6, cells: ["4", "", ""] },
    ]);
  });

  it("strips a BOM, skips blank lines and reads a last line without a newline", () => {
    assert.deepEqual(parseAll("\uFEFFid\n\n\r\nx\ny"), [
      { line: 1, cells: ["id"] },
      { line: 4, cells: ["x"] },
      { line: 5, cells: ["y"] },
    ]);
  });

  it("reports an unterminated quote and resumes on the next line", () => {
    const recs = parseAll('id,n\n1,"open\n2,ok\n');
    assert.deepEqual(recs[0], { line: 1, cells: ["id", "n"] });
    assert.deepEqual(recs[1], { line: 2, error: "quoted field is never closed" });
    assert.deepEqual(recs[2], { line: 3, cells: ["2", "ok"] });
  });

  it("bounds memory: a quote left open for more than maxRecordChars is reported while streaming", () => {
    const p = new CsvParser({ maxRecordChars: 100 });
    const out: CsvRecord[] = [...p.push('id\n"never closed\n')];
    for (let i = 0; i < 50; i++) out.push(...p.push(`row${i}\n`));
    out.push(...p.end());
    assert.ok(out.some((r) => "error" in r && r.line === 2 && /not closed within 100/.test(r.error)));
    assert.ok(out.some((r) => "cells" in r && r.cells[0] === "row49"));
  });

  it("reports text after a closing quote without losing alignment", () => {
    const recs = parseAll('a,b\n"x"y,2\n3,4\n');
    assert.deepEqual(recs[1], { line: 2, error: "unexpected text after a closing quote in field 1" });
    assert.deepEqual(recs[2], { line: 3, cells: ["3", "4"] });
  });

  it("detects ; and tab delimiters from the header", () => {
    assert.equal(sniffDelimiter("device_id;imei;\"a,b\""), ";");
    assert.equal(sniffDelimiter("a\tb\tc"), "\t");
    assert.deepEqual(parseAll("a;b\n1;2\n"), [{ line: 1, cells: ["a", "b"] }, { line: 2, cells: ["1", "2"] }]);
  });

  it("fuzz: random records round-trip through csvDataLine (exact values) whatever the chunk boundaries", () => {
    const alphabet = ["a", "b", ",", '"', "\n", "\r\n", " ", "é", "😀", ";", "x"];
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const width = 1 + Math.floor(r() * 5);
      const rows: string[][] = [];
      for (let k = 0; k < 1 + Math.floor(r() * 8); k++) {
        const row: string[] = Array.from({ length: width }, () => Array.from({ length: Math.floor(r() * 6) }, () => pick(r, alphabet)).join(""));
        if (!row.some((c) => c !== "")) row[0] = "z";
        rows.push(row);
      }
      const text = rows.map(csvDataLine).join(r() < 0.5 ? "\n" : "\r\n") + (r() < 0.5 ? "\n" : "");
      const got = parseAll(text, chunks(r, text), ",");
      assert.deepEqual(got.map((x) => ("cells" in x ? x.cells : x.error)), rows, `seed ${seed}`);
    }
  });

  it("fuzz: garbage never throws, and chunking never changes the result", () => {
    const alphabet = ['"', ",", "\n", "\r", "a", '""', "\uFEFF", ";"];
    for (let seed = 1; seed <= 500; seed++) {
      const r = rng(seed);
      const text = Array.from({ length: Math.floor(r() * 60) }, () => pick(r, alphabet)).join("");
      const whole = parseAll(text, undefined, ",");
      const split = parseAll(text, chunks(r, text), ",");
      assert.deepEqual(split, whole, `seed ${seed}: ${JSON.stringify(text)}`);
      for (const rec of whole) assert.ok(rec.line >= 1, `seed ${seed}`);
    }
  });
});
