/** `import devices|credentials --encoding` (issue 18 item 12): the flag scan has, on the import commands too. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

describe("import --encoding", () => {
  it("import devices reads Windows-1252 when told (no warning), and warns with the byte when it guesses", async () => {
    const t = tmpDir();
    const f = join(t.dir, "cp.csv");
    writeFileSync(f, Buffer.from("device_id,name\nd1,Zähler Süd\nd2,Café\n", "latin1"));
    const data = join(t.dir, "data");
    const told = await cli(["--data", data, "import", "devices", f, "--encoding", "cp1252"]);
    assert.equal(told.code, 0, told.stderr);
    assert.doesNotMatch(told.stdout + told.stderr, /not valid UTF-8/);
    const store = openSqliteStore(join(data, "longwatch.db"));
    const names: string[] = [];
    for await (const page of store.fleet.devicePages()) names.push(...page.map((p) => p.device.name ?? ""));
    await store.close();
    assert.deepEqual(names.sort(), ["Café", "Zähler Süd"]);
    const guessed = await cli(["--data", join(t.dir, "data2"), "import", "devices", f]);
    assert.match(guessed.stdout + guessed.stderr, /not valid UTF-8 at byte 19: read as Windows-1252/);
    const bad = await cli(["--data", join(t.dir, "data3"), "import", "devices", f, "--encoding", "klingon"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"klingon" is not an encoding Longwatch reads/);
  });

  it("import credentials takes --encoding too", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const dev = await cli(["--data", data, "import", "devices", t.write("d.csv", "device_id\nd1\n")]);
    assert.equal(dev.code, 0, dev.stderr);
    const f = join(t.dir, "creds.csv");
    writeFileSync(f, Buffer.from("device_id,service,username,password\nd1,ssh,b\u00e4r,secret\n", "latin1"));
    const told = await cli(["--data", data, "import", "credentials", f, "--encoding", "windows-1252"]);
    assert.equal(told.code, 0, told.stdout + told.stderr);
    assert.match(told.stdout, /1 credentials imported/);
    assert.doesNotMatch(told.stdout + told.stderr, /not valid UTF-8/);
    const guessed = await cli(["--data", data, "import", "credentials", f]);
    assert.match(guessed.stdout + guessed.stderr, /not valid UTF-8 at byte/);
  });
});

describe("scan --encoding", () => {
  it("applies to the credentials file too", async () => {
    const t = tmpDir();
    const devices = t.write("d.csv", "device_id\nd1\n");
    const creds = join(t.dir, "creds.csv");
    writeFileSync(creds, Buffer.from("device_id,service,username,password\nd1,ssh,b\u00e4r,secret\n", "latin1"));
    const told = await cli(["--data", join(t.dir, "a"), "scan", devices, "--credentials", creds, "--encoding", "windows-1252", "--now", "2026-11-25"]);
    assert.doesNotMatch(told.stdout + told.stderr, /not valid UTF-8/);
    const guessed = await cli(["--data", join(t.dir, "b"), "scan", devices, "--credentials", creds, "--now", "2026-11-25"]);
    assert.match(guessed.stdout + guessed.stderr, /not valid UTF-8 at byte/);
  });
});
