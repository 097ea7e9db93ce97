/**
 * Format sniffing of bytes in memory (an MQTT payload, an HTTP body without a type): sniffHead reads the usual
 * payload — one flat JSON record — from its bytes, without decoding it or calling JSON.parse, and its answer is
 * always the one the decoding way gives (sniffText: the implementation before the byte path, which still answers
 * whatever the byte path is not sure of).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openBytes, sniffHead, sniffText as sniffTextOracle } from "../../src/detect/read/open.ts";
import { Rec } from "../../src/detect/read/rec.ts";

const CASES: (string | Uint8Array)[] = [
  "",
  "   \n\t ",
  '{"ts":"2026-12-04T10:00:00Z","kind":"metric","device_id":"d1","metric":"x","value":1}',
  '{"ts":"2026-12-04T10:00:00Z","value":1}\n{"ts":2}',
  '{"ts":"2026-12-04T10:00:00Z","value":1}\r\n{"ts":2}\r\n',
  '  \r\n {"a":1}  \t\r\n',
  '{"a":1}\v',
  '{"a":\v1}',
  '{"a":\r1}',
  '{"a":1,}',
  '{"a":1 "b":2}',
  '{,}',
  "{}",
  "{ }",
  '{"a":[1,2,{"b":null}],"c":{"d":true,"e":false}}',
  '{"a":[1,2,]}',
  '{"a":[]}',
  '{"a":-0,"b":1.5e+10,"c":-2E-3,"d":0.0}',
  '{"a":01}',
  '{"a":1.}',
  '{"a":.5}',
  '{"a":-}',
  '{"a":1e}',
  '{"a":+1}',
  '{"a":tru}',
  '{"a":nulll}',
  '{"a":"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"}',
  '{"a":"\\u00g9"}',
  '{"a":"\\u00e"}',
  '{"a":"\\x"}',
  '{"a":"tab\tinside"}',
  '{"a":"del\x7f"}',
  '{"a":"é"}',
  '{"a":1}\u00a0',
  '\u00a0{"a":1}',
  '\ufeff{"a":1}',
  '\ufeff \ufeff{"a":1}',
  '\ufeff#fields\tts',
  "#separator \\x09\n#fields\tts",
  "#fields\tts\tuid",
  "#sep",
  "#comment\nts,kind",
  "[1,2]",
  ' [{"a":1}]',
  "ts,kind,device_id\n2026-12-04T10:00:00Z,metric,d1",
  '{\n  "thingName": "x",\n  "report": {}\n}',
  '{"a":1',
  '{"a":"1}',
  '{"a"}',
  '{"a":}',
  '{"a" : 1 , "b" : [ 1 , 2 ] }',
  `{"a":"${"x".repeat(5000)}"}`,
  `{"a":"${"x".repeat(4085)}"}`,
  `{"a":"${"x".repeat(4086)}"}`,
  `${" ".repeat(4095)}{`,
  `${"[".repeat(40)}${"]".repeat(40)}`,
  `{"a":${"[".repeat(40)}${"]".repeat(40)}}`,
  `{"a":${"[".repeat(31)}${"]".repeat(31)}}`,
  Uint8Array.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
  Uint8Array.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]),
  Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]),
  Uint8Array.from([0xef, 0xbb]),
  Uint8Array.from([0x20, 0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
];

const bytesOf = (c: string | Uint8Array) => (typeof c === "string" ? Buffer.from(c) : c);

describe("sniffHead", () => {
  it("answers what decoding the head and JSON.parse-ing its first line answer, for the edge cases", () => {
    for (const c of CASES) {
      const b = bytesOf(c);
      for (const name of ["mqtt://h/t", "x.ndjson"]) {
        for (const enc of [undefined, "utf-8", "windows-1252", "utf-16le"] as const) {
          assert.equal(sniffHead(b, name, enc), sniffTextOracle(b, name, enc), `${JSON.stringify(typeof c === "string" ? c.slice(0, 80) : [...c])} as ${name}, ${enc ?? "no encoding"}`);
        }
      }
    }
  });

  it("answers the same as the decoding way for random JSON-like text", () => {
    // A fixed seed: the same inputs every run.
    let s = 0x2545f491;
    const rnd = (n: number) => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), s % n);
    const atoms = ['"ts"', '"a\\"b"', '"\\u12ab"', '"\\q"', "1", "-0", "0.5", "1e9", "01", "1.", "true", "false", "null", "nul", "{", "}", "[", "]", ":", ",", " ", "\t", "\r", "\n", "\v", "é", "\u00a0", "\ufeff", "x", '"', "#fields", "\\"];
    let tried = 0;
    for (let k = 0; k < 20_000; k++) {
      let t = rnd(4) === 0 ? "" : "{";
      const len = rnd(14);
      for (let j = 0; j < len; j++) t += atoms[rnd(atoms.length)];
      if (rnd(3) === 0) t += "}";
      const b = Buffer.from(t);
      assert.equal(sniffHead(b, "p"), sniffTextOracle(b, "p"), JSON.stringify(t));
      tried++;
    }
    // Valid flat records, as devices send them, each with a mutation somewhere.
    for (let k = 0; k < 5000; k++) {
      const t = JSON.stringify({ ts: "2026-12-04T10:00:00Z", kind: "metric", device_id: `d${k}`, value: k / 7, ok: k % 2 === 0, n: null, arr: [k, "x"] });
      const at = rnd(t.length);
      const mutated = t.slice(0, at) + atoms[rnd(atoms.length)] + t.slice(at + rnd(2));
      for (const x of [t, mutated]) assert.equal(sniffHead(Buffer.from(x), "p"), sniffTextOracle(Buffer.from(x), "p"), x);
      tried++;
    }
    assert.ok(tried > 20_000);
  });

  it("reads a flat one-record payload without JSON.parse (the reader scans it; sniffing used to parse it first)", () => {
    const payload = Buffer.from('{"ts":"2026-12-04T10:00:00Z","kind":"metric","device_id":"d1","metric":"bytes_out","value":120}');
    const parse = JSON.parse;
    let calls = 0;
    JSON.parse = ((...a: Parameters<typeof JSON.parse>) => (calls++, parse(...a))) as typeof JSON.parse;
    let n = 0;
    try {
      const { source, format } = openBytes("mqtt://127.0.0.1:1883/fleet/d1/records", payload, { onReject: () => assert.fail("reject") });
      assert.equal(format, "ndjson");
      const rec = new Rec();
      while (source.next(rec)) n++;
      source.close();
    } finally {
      JSON.parse = parse;
    }
    assert.equal(n, 1);
    assert.equal(calls, 0);
  });
});
