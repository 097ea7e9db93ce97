/**
 * Issue 18.5: a reader that goes away and a full disk. `findings --format ndjson | head -1` ends quietly; output to a
 * full disk (Linux's /dev/full answers every write with ENOSPC) is one line naming the file, never a stack trace.
 * The real process entry (src/cli/bin.ts) runs in a child, since these are errors of the process's own streams.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

const BIN = join(import.meta.dirname, "../../src/cli/bin.ts");
const FULL = "/dev/full";

function run(args: string[], stdout: "pipe" | number, onStdout?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", BIN, ...args], { stdio: ["ignore", stdout, "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  onStdout?.(child);
  return new Promise((res) => child.on("close", (code) => res({ code, stderr })));
}

describe("output that cannot be written", { skip: existsSync(FULL) ? false : "no /dev/full on this system" }, () => {
  const t = tmpDir();
  const data = join(t.dir, "data");
  before(async () => {
    const rows = ["device_id,open_services"];
    for (let i = 0; i < 3000; i++) rows.push(`dev-${i},telnet:23;ftp:21`);
    const r = await cli(["--data", data, "scan", t.write("devices.csv", rows.join("\n")), "--now", "2026-11-25"]);
    assert.ok(r.code === 0 || r.code === 4, r.stderr);
  });

  it("a closed pipe ends `findings --format ndjson` quietly", async () => {
    let first = "";
    const r = await run(["--data", data, "findings", "--format", "ndjson"], "pipe", (child) => {
      child.stdout!.once("data", (d: Buffer) => {
        first = d.toString().split("\n")[0]!;
        child.stdout!.destroy();
      });
    });
    assert.match(first, /^\{"/);
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
  });

  it("standard output on a full disk: a message naming the file, exit 1", async () => {
    const fd = openSync(FULL, "w");
    try {
      const r = await run(["--data", data, "findings", "--format", "ndjson"], fd);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `longwatch: cannot write ${FULL}: no space left on the device\n`);
    } finally {
      closeSync(fd);
    }
  });

  it("--out and --rejects on a full disk name the file", async () => {
    const scan = await run(["--data", data, "scan", "--format", "json", "--out", FULL, "--now", "2026-11-25"], "pipe");
    assert.equal(scan.code, 1);
    assert.match(scan.stderr, /^longwatch: cannot write \/dev\/full: no space left on the device\n$/m);
    assert.doesNotMatch(scan.stderr, /\n\s+at /);
    const forecast = await cli(["--data", data, "forecast", "--format", "json", "--out", FULL, "--now", "2026-11-25"]);
    assert.equal(forecast.code, 1);
    assert.match(forecast.stderr, /cannot write \/dev\/full: no space left on the device/);
    const bad = t.write("bad.csv", "device_id,iccid\nx,not-an-iccid\n");
    const rejects = await cli(["--data", data, "scan", bad, "--rejects", FULL, "--now", "2026-11-25"]);
    assert.equal(rejects.code, 1);
    assert.match(rejects.stderr, /cannot write \/dev\/full: no space left on the device/);
  });
});
