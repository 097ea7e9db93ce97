/** Detection input that is not UTF-8 (issue 18 item 12): UTF-16 is refused with the reason, other bytes warned about. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

const CSV = "ts,device_id,kind,metric,value\n2026-11-24T10:00:00Z,d1,metric,temp,21\n";

describe("detect: input encodings", () => {
  it("refuses UTF-16 with its reason and warns about bytes that are not UTF-8", async () => {
    const t = tmpDir();
    const u16 = join(t.dir, "u16.csv");
    writeFileSync(u16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CSV, "utf16le")]));
    const r = await cli(["detect", u16, "--no-store"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /u16\.csv: UTF-16 text \(byte order mark\); detection reads UTF-8/);
    const cp = join(t.dir, "cp.csv");
    writeFileSync(cp, Buffer.concat([Buffer.from(CSV), Buffer.from("2026-11-24T10:01:00Z,Z"), Buffer.from([0xe4]), Buffer.from("hler,metric,temp,22\n")]));
    const w = await cli(["detect", cp, "--no-store"]);
    assert.match(w.stderr, /cp\.csv: not valid UTF-8 in its first 64 KiB/);
    const ok = await cli(["detect", t.write("ok.csv", CSV), "--no-store"]);
    assert.doesNotMatch(ok.stderr, /UTF/);
  });
});
