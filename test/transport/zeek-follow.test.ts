import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { followZeekLog, type FollowPosition, type ZeekChunk, type ZeekFollower } from "../../src/transport/sources/zeek-follow.ts";
import { rng } from "../helpers/random.ts";
import { tmpDir } from "../helpers/tmp.ts";

const header = (gen: number) => `#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-03-01-10-00-00\n#fields\tid\tgen${gen}\n#types\tstring\tstring\n`;

/** Data lines handed over, with the header each came under; comment lines (#close …) left out. */
function collect() {
  const lines: { text: string; header: string }[] = [];
  const chunks: ZeekChunk[] = [];
  let committed: FollowPosition | undefined;
  return {
    lines,
    chunks,
    get committed() {
      return committed;
    },
    handler: async (c: ZeekChunk) => {
      committed = c.position;
      if (c.lineCount === 0) return assert.equal(c.lines.length, 0, "an empty chunk only moves the position");
      chunks.push(c);
      const text = c.lines.toString("utf8");
      assert.ok(text.endsWith("\n"), "a chunk holds complete lines");
      for (const l of text.slice(0, -1).split("\n")) if (!l.startsWith("#")) lines.push({ text: l, header: c.header });
      committed = c.position;
    },
  };
}

describe("Zeek follower", () => {
  it("reads the header, holds back a partial last line, and numbers lines in the file", async () => {
    const tmp = tmpDir();
    const path = join(tmp.dir, "conn.log");
    writeFileSync(path, `${header(1)}a\tx\nb\tx\nc\t`);
    const got = collect();
    const f = followZeekLog({ path, handler: got.handler, pollMs: 0 });
    await f.poll();
    assert.deepEqual(got.lines.map((l) => l.text), ["a\tx", "b\tx"]);
    assert.equal(got.chunks[0]!.firstLine, 9, "8 header lines come first");
    assert.match(got.chunks[0]!.header, /#fields\tid\tgen1/);
    appendFileSync(path, "x\n");
    await f.poll();
    assert.deepEqual(got.lines.map((l) => l.text), ["a\tx", "b\tx", "c\tx"]);
    assert.equal(got.chunks[1]!.firstLine, 11);
    assert.equal(f.position()!.line, 11);
    await f.stop();
  });

  it("a handler that fails is retried with the same lines; the position does not move past them until it succeeds", async () => {
    const tmp = tmpDir();
    const path = join(tmp.dir, "conn.log");
    writeFileSync(path, `${header(1)}a\tx\n`);
    let fails = 2;
    const seen: string[] = [];
    const f = followZeekLog({
      path,
      pollMs: 0,
      backoff: { initial_ms: 5, max_ms: 10, multiplier: 2, jitter: 0 },
      handler: async (c) => {
        if (c.lineCount === 0) return;
        seen.push(c.lines.toString());
        if (fails-- > 0) throw new Error("busy");
      },
    });
    await f.poll();
    assert.equal(seen.length, 3);
    assert.equal(new Set(seen).size, 1);
    assert.equal(f.stats().errors, 2);
    assert.equal(f.position()!.line, 9);
    await f.stop();
  });

  it("startAtEnd skips what is there but keeps its header and line numbers", async () => {
    const tmp = tmpDir();
    const path = join(tmp.dir, "conn.log");
    writeFileSync(path, `${header(4)}old\tx\n`);
    const got = collect();
    const f = followZeekLog({ path, handler: got.handler, pollMs: 0, startAtEnd: true });
    await f.poll();
    appendFileSync(path, "new\tx\n");
    await f.poll();
    assert.deepEqual(got.lines.map((l) => l.text), ["new\tx"]);
    assert.match(got.lines[0]!.header, /gen4/);
    assert.equal(got.chunks[0]!.firstLine, 10);
    await f.stop();
  });

  it("follows with its own timer", async () => {
    const tmp = tmpDir();
    const path = join(tmp.dir, "conn.log");
    writeFileSync(path, header(1));
    const got = collect();
    const f = followZeekLog({ path, handler: got.handler, pollMs: 20 });
    appendFileSync(path, "a\tx\n");
    const end = Date.now() + 10_000;
    while (got.lines.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    renameSync(path, `${path}.1`);
    writeFileSync(path, `${header(2)}b\tx\n`);
    while (got.lines.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got.lines.map((l) => l.text), ["a\tx", "b\tx"]);
    assert.equal(f.stats().rotations, 1);
    await f.stop();
  });

  // Seeds 103 … 136 lost lines before a copytruncate of a file that was empty at the follower's last look (just
  // truncated: nothing of it known, so its first bytes cannot show the cut) was noticed by the copy it left beside it.
  // ZK_SEEDS=1,2,… runs others (ZK_DEBUG=1 prints each step).
  for (const seed of process.env.ZK_SEEDS ? process.env.ZK_SEEDS.split(",").map(Number) : [1, 2, 3, 4, 5, 6, 7, 8, 103, 105, 109, 116, 117, 119, 120, 130, 134, 136]) {
    it(`fuzz (seed ${seed}): random appends, partial lines, rotations, copytruncates, header rewrites and restarts — the lines read are the lines written`, async () => {
      const r = rng(seed);
      const tmp = tmpDir();
      const path = join(tmp.dir, "conn.log");
      let gen = 1;
      writeFileSync(path, header(gen));
      const written: { text: string; gen: number }[] = [];
      let partial: { text: string; rest: string } | undefined;
      let n = 0;
      let rotated = 0;
      let rotatedSincePoll = false;
      const got = collect();
      let f: ZeekFollower = followZeekLog({ path, handler: got.handler, pollMs: 0 });
      const finishPartial = () => {
        if (!partial) return;
        appendFileSync(path, `${partial.rest}\n`);
        written.push({ text: partial.text + partial.rest, gen });
        partial = undefined;
      };
      // The follower has seen the file once before anything happens to it (it knows the first header).
      await f.poll();
      const log: string[] = [];
      for (let step = 0; step < 250; step++) {
        const x = r();
        log.push(`${step} ${x < 0.45 ? "append" : x < 0.5 ? "header" : x < 0.6 && !rotatedSincePoll ? "rename" : x < 0.68 && !rotatedSincePoll ? "copytruncate" : x < 0.72 ? "restart" : "poll"} n=${n} got=${got.lines.length} last=${got.lines.at(-1)?.text.slice(0, 8)}`);
        if (x < 0.45) {
          finishPartial();
          const k = 1 + Math.floor(r() * 15);
          let out = "";
          for (let i = 0; i < k; i++) {
            const text = `L${n++}\tg${gen}${"z".repeat(Math.floor(r() * r() * 300))}`;
            if (i === k - 1 && r() < 0.4) {
              const cut = Math.floor(r() * text.length);
              partial = { text: text.slice(0, cut), rest: text.slice(cut) };
              out += partial.text;
            } else {
              out += `${text}\n`;
              written.push({ text, gen });
            }
          }
          appendFileSync(path, out);
        } else if (x < 0.5) {
          finishPartial();
          appendFileSync(path, "#close\t2026-03-01-11-00-00\n");
          appendFileSync(path, header(++gen));
        } else if (x < 0.6 && !rotatedSincePoll) {
          // Rotation by rename; sometimes the writer's last line is left without its newline.
          if (partial && r() < 0.5) {
            if (partial.text.length > 0) written.push({ text: partial.text, gen });
            partial = undefined;
          } else finishPartial();
          renameSync(path, `${path}.${++rotated}`);
          writeFileSync(path, header(++gen));
          rotatedSincePoll = true;
        } else if (x < 0.68 && !rotatedSincePoll) {
          finishPartial();
          copyFileSync(path, `${path}.${++rotated}`);
          truncateSync(path, 0);
          rotatedSincePoll = true;
        } else if (x < 0.72) {
          // Resume from what the handler last saw (what a checkpoint holds), or from what stop says (which may
          // already be past a finished rotated file).
          const stopped = await f.stop();
          const pos = r() < 0.5 ? got.committed : stopped;
          if (process.env.ZK_DEBUG) log.push(`restart from ${JSON.stringify({ ...pos, header: undefined, head: undefined })} stop=${JSON.stringify({ ...stopped, header: undefined, head: undefined })}`);
          f = followZeekLog({ path, handler: got.handler, pollMs: 0, ...(pos ? { from: pos } : {}), onWarning: (m) => log.push(`WARN ${m}`), onError: (m, d) => log.push(`ERR ${m} ${JSON.stringify(d)}`) });
          // A rotation may come while it is stopped, unless one already waits for a poll: the new follower's first poll
          // handles it (a position at the start of a just-truncated file keeps the siblings beside it for that).
        } else {
          await f.poll();
          rotatedSincePoll = false;
        }
      }
      finishPartial();
      await f.poll();
      await f.poll();
      assert.equal(f.stats().truncations_unrecovered, 0);
      if (process.env.ZK_DEBUG) console.log(log.join("\n"), f.stats());
      assert.deepEqual(got.lines.map((l) => l.text), written.map((w) => w.text));
      got.lines.forEach((l, i) => assert.ok(l.header.includes(`#fields\tid\tgen${written[i]!.gen}\n`), `line ${l.text.slice(0, 12)} came with its header, not ${JSON.stringify(l.header)}`));
      await f.stop();
    });
  }
});
