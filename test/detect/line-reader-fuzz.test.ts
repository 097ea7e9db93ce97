/**
 * Fuzz of the line reader over the UTF-8 feed (issue 18 item 12): with refills of random small sizes, so characters,
 * line breaks, byte order marks and the first invalid byte fall across reads, the lines are exactly those of the
 * whole input decoded at once, and the warning names the line of the first invalid byte.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LineReader } from "../../src/detect/read/chunks.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { rng } from "../../src/core/random.ts";

const PIECES = ["a", "7", ",", "\n", "\n", "\r\n", "é", "€", "中", "😀", "\u0800"];
// Node 20 decodes windows-1252 right only when streaming (charsets.ts).
const cp1252 = (b: Uint8Array) => new TextDecoder("windows-1252").decode(b, { stream: true });

function linesOf(text: string): string[] {
  const parts = text.split("\n").map((l) => l.replace(/\r$/, ""));
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

function readLines(file: string, chunkSize: number, encoding?: "windows-1252"): { lines: string[]; warnings: [number, number][] } {
  const warnings: [number, number][] = [];
  const lr = new LineReader(file, { chunkSize, ...(encoding ? { encoding } : {}), onWarning: (line, _m, offset) => warnings.push([line, offset]) });
  const lines: string[] = [];
  while (lr.nextLine()) lines.push(lr.buf.toString("utf8", lr.lineStart, lr.lineEnd));
  lr.close();
  return { lines, warnings };
}

describe("line reader over the UTF-8 feed: fuzz", () => {
  it("lines equal the whole input's, whatever the read sizes; the warning names the first invalid byte's line", () => {
    const t = tmpDir();
    const f = join(t.dir, "in.txt");
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      let text = "";
      for (let i = 0, n = 1 + Math.floor(r() * 120); i < n; i++) text += PIECES[Math.floor(r() * PIECES.length)]!;
      text = text.replace(/^[\r\n]+/, "x"); // the first line break decides LF or CR; keep this about LF files
      const kind = Math.floor(r() * 4);
      let bytes: Buffer;
      let want: string;
      let bad = -1;
      if (kind === 0) {
        bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
        want = text;
      } else if (kind === 1) {
        bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
        if (r() < 0.5) bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]);
        want = text;
      } else {
        // UTF-8 with a byte that is not (0x80–0xFF alone) spliced in at a character boundary.
        let cut = [...text].slice(0, Math.floor(r() * [...text].length)).join("");
        if (cut.endsWith("\r")) cut = cut.slice(0, -1); // not inside a CRLF: a lone CR would make it a CR-only file
        const head = Buffer.from(cut);
        const tail = Buffer.from(text.slice(cut.length));
        const stray = 0x80 + Math.floor(r() * 0x40);
        bytes = Buffer.concat([head, Buffer.from([stray]), tail]);
        bad = head.length;
        want = cut + cp1252(Buffer.concat([Buffer.from([stray]), tail]));
      }
      writeFileSync(f, bytes);
      const chunk = 16 + Math.floor(r() * 48);
      const got = readLines(f, chunk);
      assert.deepEqual(got.lines, linesOf(want), `seed ${seed} kind ${kind} chunk ${chunk}`);
      if (bad < 0) assert.deepEqual(got.warnings, [], `seed ${seed}`);
      else {
        const line = Buffer.from(bytes.subarray(0, bad)).toString("utf8").split("\n").length;
        assert.deepEqual(got.warnings, [[line, bad]], `seed ${seed} chunk ${chunk}`);
      }
    }
  });
});
