/**
 * Issue 18.2: bin/longwatch.js restarts itself as a child for its V8 flags; killing the process a user or supervisor
 * sees — with SIGKILL, which cannot be passed on — must not leave the child running (holding the store's lock). The
 * child here is blocked in a synchronous open of a FIFO that nobody writes, the worst case for noticing anything.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { tmpDir } from "../helpers/tmp.ts";

const BIN = join(import.meta.dirname, "../../bin/longwatch.js");
const BUILT = existsSync(join(import.meta.dirname, "../../dist/cli/bin.js"));

function childOf(pid: number): number | undefined {
  try {
    const out = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).trim();
    return out ? Number(out.split("\n")[0]) : undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("bin/longwatch.js", { skip: !BUILT ? "dist/ is not built (npm run build)" : process.platform !== "linux" ? "needs pgrep and mkfifo" : false }, () => {
  it("kill -9 of the command leaves no child behind", async () => {
    const t = tmpDir();
    const fifo = join(t.dir, "records.fifo");
    execFileSync("mkfifo", [fifo]);
    const parent = spawn(process.execPath, [BIN, "detect", fifo, "--no-store"], { stdio: "ignore" });
    let child: number | undefined;
    for (let i = 0; i < 300 && child === undefined; i++) {
      await sleep(100);
      child = childOf(parent.pid!);
    }
    assert.ok(child !== undefined, "the command started no child");
    await sleep(1500); // let the child get to its blocking open
    const exited = new Promise((res) => parent.on("exit", res));
    parent.kill("SIGKILL");
    await exited;
    let gone = false;
    for (let i = 0; i < 300 && !gone; i++) {
      await sleep(100);
      gone = !alive(child);
    }
    if (!gone) process.kill(child, "SIGKILL");
    assert.ok(gone, `child ${child} outlived its parent by 30 s`);
  });
});
