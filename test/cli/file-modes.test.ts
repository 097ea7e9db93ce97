/**
 * Issue 18.16: what the store writes is the owner's alone. The SQLite store (with its -wal and -shm files), the
 * secret key and rejects files are 0600 whatever the umask; a data folder open to others gets a warning.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

const mode = (p: string) => statSync(p).mode & 0o777;

describe("file modes", { skip: process.platform === "win32" ? "POSIX modes" : false }, () => {
  it("creates the store, its companions, the key and rejects files 0600 under a permissive umask", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const devices = t.write("devices.csv", "device_id,iccid\nd-1,\nd-2,not-an-iccid\n");
    const creds = t.write("credentials.csv", "device_id,service,username,password\nd-1,ssh,root,admin\n");
    const old = process.umask(0o022);
    try {
      const r = await cli(["--data", data, "scan", devices, "--credentials", creds, "--now", "2026-11-25", "--rejects", join(data, "rejects", "r.csv")]);
      assert.ok([0, 3, 4].includes(r.code), r.stderr);
    } finally {
      process.umask(old);
    }
    const files = readdirSync(data, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    assert.ok(files.some((f) => f.endsWith("longwatch.db")) && files.some((f) => f.endsWith("secret.key")) && files.some((f) => f.endsWith("r.csv")), files.join(", "));
    for (const f of files) assert.equal(mode(f).toString(8), "600", f);
    assert.equal(mode(data).toString(8), "700");
  });

  it("tightens an existing world-readable store file and warns about an open data folder", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    const devices = t.write("devices.csv", "device_id\nd-1\n");
    const first = await cli(["--data", data, "scan", devices, "--now", "2026-11-25"]);
    assert.match(first.stderr, new RegExp(`warning the data folder ${data} is open to other users \\(mode 0755\\).*chmod 700`));
    chmodSync(join(data, "longwatch.db"), 0o644);
    chmodSync(data, 0o700);
    const again = await cli(["--data", data, "findings"]);
    assert.doesNotMatch(again.stderr, /warning/);
    assert.equal(mode(join(data, "longwatch.db")).toString(8), "600");
  });
});
