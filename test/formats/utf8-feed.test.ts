/** The UTF-8 feed under the detection readers (issue 18 item 12), fuzzed against Node's own decoders. */
import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { describe, it } from "node:test";
import { type FeedNotice, firstInvalidUtf8, MIN_READ, toUtf8, Utf8Feed, type Utf8FeedOptions } from "../../src/formats/utf8-feed.ts";
import { rng } from "../../src/core/random.ts";

const PIECES = ["a", "Z", ",", "\n", "\r\n", "é", "ß", "€", "中", "😀", "𝄞", "\u0080", "\uFFFD", "\u07FF", "\u0800", "\uFFFF", "\u{10FFFF}"];

/** Boundary cases of UTF-8 validity: overlong forms, surrogates, past U+10FFFF, cut and stray bytes, and their valid neighbours. */
const TRICKY = [[0xc0, 0x80], [0xc1, 0xbf], [0xc2, 0x80], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xee, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];

function randomText(r: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)]!;
  return s;
}

/** Runs the feed over `bytes` with raw reads and output room of random sizes. */
function feedAll(bytes: Uint8Array, r: () => number, opts: Utf8FeedOptions = {}): { out: Buffer; notices: FeedNotice[] } {
  let pos = 0;
  const notices: FeedNotice[] = [];
  const feed = new Utf8Feed(
    (into, at, len) => {
      const n = Math.min(len, bytes.length - pos, 1 + Math.floor(r() * 40));
      into.set(bytes.subarray(pos, pos + n), at);
      pos += n;
      return n;
    },
    { ...opts, onNotice: (x) => notices.push(x) },
  );
  const out = Buffer.alloc(bytes.length * 3 + 64);
  let len = 0;
  for (;;) {
    const room = Math.min(out.length - len, MIN_READ + Math.floor(r() * 64));
    const n = feed.read(out, len, room);
    assert.ok(n <= room, "never writes past the room given");
    if (n === 0) break;
    len += n;
  }
  return { out: out.subarray(0, len), notices };
}

const cp1252 = { decode: (b: Uint8Array) => new TextDecoder("windows-1252").decode(b, { stream: true }) }; // Node 20 decodes windows-1252 right only when streaming

describe("Utf8Feed", () => {
  it("passes UTF-8 (with or without BOM) through and decodes UTF-16 LE/BE by BOM, in any chunking", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const text = randomText(r, Math.floor(r() * 200));
      const want = Buffer.from(text);
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
      const be = Buffer.from(le).swap16();
      const inputs: [string, Buffer, Utf8FeedOptions][] = [
        ["utf-8", want, {}],
        ["bom", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), want]), {}],
        ["le", le, {}],
        ["be", be, {}],
        ["le given, no BOM", Buffer.from(text, "utf16le"), { encoding: "utf-16le" }],
        // The byte order mark wins over the encoding given (WHATWG decode), and is dropped.
        ["utf-16 (le) given, BE BOM", be, { encoding: "utf-16le" }],
        ["windows-1252 given, UTF-8 BOM", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), want]), { encoding: "windows-1252" }],
        ["latin1 given, LE BOM", le, { encoding: "latin1" }],
      ];
      for (const [what, bytes, opts] of inputs) {
        const { out, notices } = feedAll(bytes, r, opts);
        assert.deepEqual(notices, [], `seed ${seed} ${what}`);
        assert.ok(out.equals(want), `seed ${seed} ${what}`);
      }
    }
  });

  it("reads bytes that are not UTF-8 as Windows-1252 from the first invalid byte, naming it once", () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      // Mostly valid text with a few arbitrary bytes spliced in (or none).
      const parts: Buffer[] = [];
      const n = Math.floor(r() * 12);
      for (let i = 0; i < n; i++) {
        parts.push(Buffer.from(randomText(r, Math.floor(r() * 8))));
        const pick = r();
        if (pick < 0.3) parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 3) }, () => Math.floor(r() * 256))));
        else if (pick < 0.5) parts.push(Buffer.from(TRICKY[Math.floor(r() * TRICKY.length)]!));
      }
      const bytes = Buffer.concat(parts);
      // Reference: WHATWG UTF-8 decoding puts its first U+FFFD where the first ill-formed sequence starts.
      const decoded = new TextDecoder().decode(bytes);
      const genuine = bytes.indexOf(Buffer.from("\uFFFD"));
      const bad = firstInvalidUtf8(bytes, 0, bytes.length);
      assert.equal(bad === bytes.length, isUtf8(bytes), `seed ${seed}: firstInvalidUtf8 agrees with isUtf8`);
      if (genuine < 0 || genuine > bad) assert.equal(bad, Buffer.byteLength(decoded.slice(0, decoded.indexOf("\uFFFD") < 0 ? decoded.length : decoded.indexOf("\uFFFD"))), `seed ${seed}: first invalid byte`);
      const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
      if (bytes[0] === 0xff && bytes[1] === 0xfe) continue; // a UTF-16 byte order mark, by chance
      if (bytes[0] === 0xfe && bytes[1] === 0xff) continue;
      const { out, notices } = feedAll(bytes, r);
      assert.ok(isUtf8(out), `seed ${seed}: output is UTF-8`);
      const want = bad === bytes.length ? bytes.subarray(start) : Buffer.concat([bytes.subarray(start, bad), Buffer.from(cp1252.decode(bytes.subarray(bad)))]);
      assert.ok(out.equals(want), `seed ${seed}: output`);
      if (bad === bytes.length) assert.deepEqual(notices, []);
      else {
        assert.equal(notices.length, 1, `seed ${seed}: one notice`);
        assert.equal(notices[0]!.offset, bad);
        assert.equal(notices[0]!.out, bad - start);
        assert.match(notices[0]!.message, new RegExp(`^not valid UTF-8 at byte ${bad}: read as Windows-1252`));
      }
    }
  });

  it("reads the encoding given: Windows-1252 and ISO-8859-1 byte for byte, without a notice", () => {
    const r = rng(7);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const a = feedAll(all, r, { encoding: "windows-1252" });
    assert.equal(a.out.subarray(0x80).toString().slice(0, 3), "€\u0081‚", "0x80 is the euro sign, 0x82 a low quote");
    assert.equal(a.out.toString(), cp1252.decode(all));
    assert.deepEqual(a.notices, []);
    const b = feedAll(all, r, { encoding: "latin1" });
    assert.equal(b.out.toString(), all.toString("latin1"));
    assert.ok(!a.out.toString().includes("\uFFFD") && !b.out.toString().includes("\uFFFD"));
  });

  it("names an unpaired UTF-16 surrogate and an odd last byte", () => {
    const r = rng(3);
    const lone = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("ab", "utf16le"), Buffer.from([0x00, 0xd8]), Buffer.from("c\n", "utf16le")]);
    const x = feedAll(lone, r);
    assert.equal(x.out.toString(), "ab\uFFFDc\n");
    assert.equal(x.notices.length, 1);
    assert.equal(x.notices[0]!.offset, 6);
    assert.equal(x.notices[0]!.out, 2);
    assert.match(x.notices[0]!.message, /not valid UTF-16LE at byte 6: an unpaired surrogate/);
    const odd = feedAll(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from("ab", "utf16le").swap16(), Buffer.from([0x41])]), r);
    assert.equal(odd.out.toString(), "ab");
    assert.match(odd.notices[0]!.message, /ends in half a UTF-16BE character/);
  });

  it("toUtf8 returns valid UTF-8 bytes themselves and decodes the rest", () => {
    const valid = Buffer.from("ts,device_id\n");
    assert.equal(toUtf8(valid), valid);
    assert.equal(Buffer.from(toUtf8(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), valid]))).toString(), "ts,device_id\n");
    const notices: FeedNotice[] = [];
    assert.equal(Buffer.from(toUtf8(Buffer.from([0x5a, 0xe4, 0x0a]), { onNotice: (n) => notices.push(n) })).toString(), "Zä\n");
    assert.equal(notices[0]!.offset, 1);
  });
});
