/**
 * Issue 18.4: detection input with CR-only line endings (classic Mac, some exports) is read line by line like LF and
 * CRLF files, for CSV and Zeek alike; a run that reads no record at all says so and exits non-zero.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "../cli/run-cli.ts";

const CSV = ["ts,device_id,src_ip,dst_ip,dst_port,bytes_out", "2026-11-25T10:00:00Z,d-1,10.0.0.1,52.1.1.1,443,100", "2026-11-25T10:00:01Z,d-1,10.0.0.1,52.1.1.1,443,200", "2026-11-25T10:00:02Z,d-2,10.0.0.2,52.1.1.1,443,300"];
const NOW = { LONGWATCH_NOW: "2026-11-26" };

describe("line endings of detection input", () => {
  it("reads a CR-only CSV like its LF twin", async () => {
    const t = tmpDir();
    const lf = await cli(["--data", join(t.dir, "d"), "detect", t.write("lf.csv", CSV.join("\n") + "\n"), "--no-store", "--format", "json"], NOW);
    const cr = await cli(["--data", join(t.dir, "d"), "detect", t.write("cr.csv", CSV.join("\r") + "\r"), "--no-store", "--format", "json"], NOW);
    assert.equal(lf.code, 0, lf.stderr);
    assert.match(lf.stderr, /Read 3 records/);
    assert.equal(cr.code, 0, cr.stderr);
    assert.match(cr.stderr, /Read 3 records/);
    assert.equal(cr.stdout, lf.stdout);
  });

  it("reads a CR-only Zeek conn.log like the original", async () => {
    const t = tmpDir();
    const lines = readFileSync(join(import.meta.dirname, "../fixtures/flows/ctu-normal-40-day1.conn.log"), "utf8").split("\n").slice(0, 60);
    const lf = await cli(["--data", join(t.dir, "d"), "detect", t.write("lf.conn.log", lines.join("\n")), "--no-store", "--format", "json"], NOW);
    const cr = await cli(["--data", join(t.dir, "d"), "detect", t.write("cr.conn.log", lines.join("\r")), "--no-store", "--format", "json"], NOW);
    const read = (s: string) => Number(/Read ([\d,]+) records/.exec(s)?.[1]?.replace(/,/g, ""));
    assert.ok(read(lf.stderr) > 10, lf.stderr);
    assert.equal(read(cr.stderr), read(lf.stderr), cr.stderr);
    assert.equal(cr.code, lf.code);
  });

  it("a run that reads no record says so and exits 3", async () => {
    const t = tmpDir();
    const r = await cli(["--data", join(t.dir, "d"), "detect", t.write("empty.csv", `${CSV[0]}\n`), "--no-store"], NOW);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no record was read from empty\.csv: the input is empty, holds only a header/);
    // A file whose every record is rejected is not called empty: it says what happened to them.
    const bad = await cli(["--data", join(t.dir, "d"), "detect", t.write("bad.csv", `${CSV[0]}\n${CSV[1]!.replace(/^[^,]*/, "not-a-time")}\n${CSV[2]!.replace(/^[^,]*/, "yesterday")}\n`), "--no-store"], NOW);
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /no record was read from bad\.csv: all 2 records were rejected \(the reasons are above\)/);
  });
});
