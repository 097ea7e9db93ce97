/**
 * hashUtf8 must give exactly the hash of the string's UTF-8 bytes: detection state stores these hashes (destination
 * groups, metric names), so a different value would make a saved state disagree with the records read after it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashBytes, hashUtf8 } from "../../src/detect/read/bytes.ts";

const viaEncoder = (s: string) => {
  const b = new TextEncoder().encode(s);
  return hashBytes(b, 0, b.length);
};

describe("hashUtf8", () => {
  it("equals FNV-1a over TextEncoder's bytes for ASCII, two-, three- and four-byte characters and lone surrogates", () => {
    for (const s of ["", "a", "example.com", "straße", "東京.jp", "😀", "a\ud800", "\udc00b", "\ud83d", "x\ud83d\ude00y", "\u0080\u07ff\u0800\uffff"]) {
      assert.equal(hashUtf8(s), viaEncoder(s), JSON.stringify(s));
    }
  });

  it("equals it on 20,000 random strings drawn from every UTF-16 code unit range", () => {
    let seed = 42;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const ranges = [[0x20, 0x7f], [0x80, 0x7ff], [0x800, 0xd7ff], [0xd800, 0xdbff], [0xdc00, 0xdfff], [0xe000, 0xffff]] as const;
    for (let n = 0; n < 20_000; n++) {
      let s = "";
      const len = Math.floor(rnd() * 12);
      for (let i = 0; i < len; i++) {
        const [lo, hi] = ranges[Math.floor(rnd() * ranges.length)]!;
        s += String.fromCharCode(lo + Math.floor(rnd() * (hi - lo + 1)));
      }
      assert.equal(hashUtf8(s), viaEncoder(s), JSON.stringify(s));
    }
  });
});
