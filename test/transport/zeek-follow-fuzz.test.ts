/**
 * Fuzzing the Zeek follower's line splitting: random logs (header blocks, partial and repeated headers, comment
 * lines, empty lines, CRs, NULs, invalid UTF-8, lines longer than a read) are appended in random pieces — lines cut
 * anywhere, even inside a multi-byte character — with a poll after each piece, and the follower is stopped and
 * resumed from its last position at random. Every data line must be handed over exactly once, in order, with its
 * line number in the file and the header block in force; header lines never as data; each chunk's position must be
 * just after its last line. The oracle is the plain rule, applied to the whole file at once. A failure prints its seed.
 */
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rng, type Rng } from "../../src/core/random.ts";
import { followZeekLog, type FollowPosition, type ZeekChunk } from "../../src/transport/sources/zeek-follow.ts";
import { tmpDir } from "../helpers/tmp.ts";

const SEED = Number(process.env.LONGWATCH_FUZZ_SEED ?? 7_121_202);
const ROUNDS = Number(process.env.LONGWATCH_FUZZ_ROUNDS ?? 60);

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const HEADER_RE = /^#(separator|set_separator|empty_field|unset_field|path|open|fields|types)\b/;
const isHeader = (line: Buffer) => line[0] === 0x23 && HEADER_RE.test(line.subarray(0, 16).toString("latin1"));

const HEADER = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn", "#open\t2026-12-02-10-00-00", "#fields\tts\tuid\tid.orig_h", "#types\ttime\tstring\taddr"];

function dataLine(r: Rng, n: number): Buffer {
  switch (int(r, 12)) {
    case 0: return Buffer.from("");
    case 1: return Buffer.from(`#close\t2026-12-02-11-00-0${n % 10}`);
    case 2: return Buffer.from(`#fieldsX\tnot a header ${n}`); // '#' then a word that is not a header keyword
    case 3: return Buffer.from(`${n}\tC${n}\t10.0.0.1\r`);
    case 4: return Buffer.concat([Buffer.from(`${n}\t`), Buffer.from([0xff, 0xc3, 0x00, 0xe2, 0x82]), Buffer.from("\tx")]);
    case 5: return Buffer.from(`${n}\t${"y".repeat(3000 + int(r, 9000))}`); // longer than a read (4 KiB here)
    case 6: return Buffer.from(`${n}\tC\t🛰️é\u2028`);
    default: return Buffer.from(`${(1_764_669_600 + n).toFixed(6)}\tC${n}\t10.0.0.${n % 250}`);
  }
}

/** A random log as its lines (without their "\n"). */
function makeLog(r: Rng): Buffer[] {
  const lines: Buffer[] = [];
  let n = 0;
  const blocks = 1 + int(r, 4);
  for (let b = 0; b < blocks; b++) {
    const kind = int(r, 6);
    if (kind === 0 && b > 0) {
      // A block cut short: no #types, data follows at once.
      for (const h of HEADER.slice(0, 2 + int(r, 5))) lines.push(Buffer.from(h));
    } else if (kind === 1) {
      // Header lines without #separator: they extend the block being read.
      lines.push(Buffer.from(pick(r, HEADER.slice(4))));
    } else if (kind !== 2 || b === 0) {
      for (const h of HEADER) lines.push(Buffer.from(h.replace("conn", `conn${b}`)));
    }
    const data = r() < 0.25 ? 0 : int(r, 30);
    for (let i = 0; i < data; i++) lines.push(dataLine(r, n++));
  }
  return lines;
}

interface Seen {
  line: number;
  text: string;
  header: string;
}

/** The rule, applied to the whole file: data lines with their numbers and the header in force. */
function oracle(lines: readonly Buffer[]): Seen[] {
  const out: Seen[] = [];
  let header = "";
  let block: string[] | undefined;
  lines.forEach((l, i) => {
    const text = `${l.toString("utf8")}\n`;
    if (isHeader(l)) {
      if (text.startsWith("#separator")) block = [];
      (block ??= []).push(text);
      if (text.startsWith("#types")) {
        header = block.join("");
        block = undefined;
      }
      return;
    }
    if (block) {
      header = block.join("");
      block = undefined;
    }
    out.push({ line: i + 1, text: Buffer.concat([l, Buffer.from("\n")]).toString("latin1"), header });
  });
  return out;
}

describe("Zeek follower fuzzed", () => {
  it(`hands every data line once, in order, with its line number and header (seed ${SEED}, ${ROUNDS} logs)`, async (t) => {
    const tmp = tmpDir();
    const r = rng(SEED);
    const total = { lines: 0, bytes: 0, pieces: 0, resumes: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const where = `seed ${SEED} round ${round}`;
      const path = join(tmp.dir, `conn-${round}.log`);
      writeFileSync(path, "");
      const lines = makeLog(r);
      const file = Buffer.concat(lines.map((l) => Buffer.concat([l, Buffer.from("\n")])));
      // Byte offset just after each line (1-based line numbers).
      const ends: number[] = [0];
      for (const l of lines) ends.push(ends[ends.length - 1]! + l.length + 1);
      const got: Seen[] = [];
      const handler = async (c: ZeekChunk) => {
        if (c.lineCount === 0) return assert.equal(c.lines.length, 0, `${where}: an empty chunk only moves the position`);
        const text = c.lines.toString("latin1");
        assert.ok(text.endsWith("\n"), `${where}: a chunk of complete lines`);
        const parts = text.slice(0, -1).split("\n");
        assert.equal(parts.length, c.lineCount, `${where}: lineCount`);
        parts.forEach((p, k) => got.push({ line: c.firstLine + k, text: `${p}\n`, header: c.header }));
        assert.equal(c.position.line, c.firstLine + c.lineCount - 1, `${where}: the position's line is the chunk's last`);
        assert.equal(c.position.offset, ends[c.position.line], `${where}: the position's offset is just after line ${c.position.line}`);
      };
      let from: FollowPosition | undefined;
      let f = followZeekLog({ path, handler, pollMs: 0, maxChunkBytes: 4096 });
      let at = 0;
      while (at < file.length) {
        const n = Math.min(file.length - at, 1 + int(r, r() < 0.3 ? 20 : 9000));
        appendFileSync(path, file.subarray(at, at + n));
        at += n;
        total.pieces++;
        await f.poll();
        if (r() < 0.15) {
          // Stop and resume from the last position, as a restart does with the committed one.
          from = await f.stop();
          total.resumes++;
          f = followZeekLog({ path, handler, pollMs: 0, maxChunkBytes: 4096, ...(from ? { from } : {}) });
        }
      }
      await f.poll();
      await f.stop();
      const want = oracle(lines);
      assert.equal(got.length, want.length, `${where}: ${got.length} lines handed, ${want.length} in the file`);
      for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `${where}: line ${want[i]!.line}`);
      total.lines += want.length;
      total.bytes += file.length;
    }
    t.diagnostic(`${total.lines} data lines, ${total.bytes} bytes appended in ${total.pieces} pieces, ${total.resumes} resumes`);
  });
});
