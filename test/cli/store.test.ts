import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

const devices = (t: ReturnType<typeof tmpDir>) => t.write("devices.csv", "device_id,open_services\nd-1,telnet:23\nd-2,\n");

describe("naming the store (--store, LONGWATCH_STORE, --data)", () => {
  it("--store sqlite:PATH puts the store there; LONGWATCH_STORE finds it again; --data keeps the secret key", async () => {
    const t = tmpDir();
    const file = join(t.dir, "elsewhere", "fleet.db");
    const data = join(t.dir, "data");
    const r = await cli(["--data", data, "--store", `sqlite:${file}`, "scan", devices(t), "--now", "2026-11-25"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(file));
    assert.ok(!existsSync(join(data, "longwatch.db")), "the data folder holds no store when --store names one");
    const f = await cli(["findings", "--format", "json"], { LONGWATCH_STORE: `sqlite:${file}` });
    assert.equal(f.code, 0, f.stderr);
    assert.deepEqual((JSON.parse(f.stdout) as { device_id: string }[]).map((x) => x.device_id), ["d-1"]);
    const flagWins = await cli(["--store", `sqlite:${join(t.dir, "other.db")}`, "findings", "--format", "json"], { LONGWATCH_STORE: `sqlite:${file}` });
    assert.deepEqual(JSON.parse(flagWins.stdout), [], "--store wins over LONGWATCH_STORE");
  });

  it("relative sqlite: paths are resolved against the working folder; --data alone still works", async () => {
    const t = tmpDir();
    assert.equal((await cli(["--store", "sqlite:rel/x.db", "scan", devices(t), "--now", "2026-11-25"], {}, t.dir)).code, 0);
    assert.ok(existsSync(join(t.dir, "rel", "x.db")));
    assert.equal((await cli(["--data", join(t.dir, "d"), "scan", devices(t), "--now", "2026-11-25"])).code, 0);
    assert.ok(existsSync(join(t.dir, "d", "longwatch.db")));
  });

  it("a store URL that names nothing usable is a usage error (exit 2) that says what is expected", async () => {
    for (const url of ["mysql://x/y", "sqlite:", "postgres://localhost", "postgres://u@h/db?schema=Bad-Name"]) {
      const r = await cli(["--store", url, "findings"]);
      assert.equal(r.code, 2, `${url}: ${r.stderr}`);
      assert.match(r.stderr, /store URL/);
    }
    const pw = await cli(["--store", "mysql://me:hunter2@h/db", "findings"]);
    assert.ok(!pw.stderr.includes("hunter2"), "a password in the URL is never printed");
  });

  it("a file that is not a Longwatch store is store_incompatible (exit 1), not a crash", async () => {
    const t = tmpDir();
    const junk = t.write("junk.db", "this is not sqlite at all, just text that is long enough to have a header...............");
    const r = await cli(["--store", `sqlite:${junk}`, "findings"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /is not a Longwatch store/);
  });
});
