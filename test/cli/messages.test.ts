/** Messages and exit codes a new user meets first (issue 18 item 13): the same for the same problem in every command. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

describe("CLI messages and exit codes", () => {
  it("a missing file is exit 1 and 'PATH: no such file' in every command", async () => {
    const t = tmpDir();
    const nope = join(t.dir, "nope.csv");
    const runs = [
      ["scan", nope],
      ["scan", t.write("d.csv", "device_id\na\n"), "--models", join(t.dir, "nope.yaml")],
      ["import", "devices", nope],
      ["import", "credentials", nope],
      ["import", "models", join(t.dir, "nope.yaml")],
      ["detect", nope, "--no-store"],
      ["detect", nope],
    ];
    // The files a command reads besides its main input: detect's --config, --mapping and --trackers (a tracker list
    // given alone was never read), certify's --answers file.
    const records = t.write("flows.csv", "ts,src_ip,dst_ip,dst_port,proto\n2026-11-02T00:00:00Z,10.0.0.1,192.0.2.1,443,tcp\n");
    runs.push(
      ["detect", records, "--no-store", "--config", join(t.dir, "nope.yaml")],
      ["detect", records, "--no-store", "--mapping", join(t.dir, "nope.yaml")],
      ["detect", records, "--no-store", "--trackers", nope],
      ["certify", "--standard", "uk-psti", "--answers", join(t.dir, "nope.yaml")],
    );
    for (const args of runs) {
      const r = await cli(["--data", join(t.dir, "data"), ...args]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^longwatch: \S*nope\.(csv|yaml): no such file\n$/, args.join(" "));
    }
  });

  it("--fail-on names its own threshold; a clean import with --rejects prints no 'All 0 input issues'", async () => {
    const t = tmpDir();
    const dev = t.write("d.csv", "device_id,open_services\na,telnet:23\n");
    const rejects = join(t.dir, "rejects.csv");
    const r = await cli(["--data", join(t.dir, "data"), "scan", dev, "--fail-on", "medium", "--rejects", rejects, "--now", "2026-11-25"]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /--fail-on medium: open findings of severity medium or above \(the most severe: high\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /input issues are listed/);
  });

  it("an unknown column is reported on the header line", async () => {
    const t = tmpDir();
    const r = await cli(["--data", join(t.dir, "data"), "scan", t.write("d.csv", "device_id,colour\na,red\nb,blue\n"), "--now", "2026-11-25"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning \S*d\.csv:1 colour: unknown column "colour" is ignored/);
  });

  it("a header that needs a mapping says so before anything is imported", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const r = await cli(["--data", data, "scan", t.write("own.csv", "Asset Tag,IMEI Number\nA-1,490154203237518\n"), "--now", "2026-11-25"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /own\.csv:1: the header has no device_id column \(it has "Asset Tag", "IMEI Number"\); .*give --mapping FILE/);
    assert.doesNotMatch(r.stderr, /is required/, "not one rejection per row");
    if (existsSync(join(data, "longwatch.db"))) {
      const store = openSqliteStore(join(data, "longwatch.db"));
      assert.equal((await store.fleet.counts()).devices, 0);
      await store.close();
    }
  });

  it("a typo in a mapping's values is an error before import, with its line, like a column typo", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    const map = t.write("m.yaml", "columns:\n  device_id: Asset\n  sim_imei_lock: Lock\nvalues:\n  sim_imei_lock:\n    Locked: true\n    Unlocked: flase\n");
    const r = await cli(["--data", data, "scan", t.write("own.csv", "Asset,Lock\nA-1,Locked\n"), "--mapping", map, "--now", "2026-11-25"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /m\.yaml:7: values\.sim_imei_lock\.Unlocked: "flase" is not a valid sim_imei_lock \(true or false\)/);
    const imp = await cli(["--data", data, "import", "devices", join(t.dir, "own.csv"), "--mapping", map]);
    assert.equal(imp.code, 1);
    assert.match(imp.stderr, /m\.yaml:7: values\.sim_imei_lock\.Unlocked/);
  });

  it("certify --model of a model nothing is known of is an error, not an empty assessment", async () => {
    const t = tmpDir();
    const data = join(t.dir, "data");
    await cli(["--data", data, "scan", t.write("d.csv", "device_id,model_id\na,meter\n"), "--models", t.write("models.yaml", "- model_id: meter\n"), "--now", "2026-11-25"]);
    const r = await cli(["--data", data, "certify", "--standard", "uk-psti", "--model", "metre", "--answers", join(t.dir, "answers")]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--model "metre": not in the store .* known models: meter/);
    assert.equal(r.stdout, "");
    const ok = await cli(["--data", data, "certify", "--standard", "uk-psti", "--model", "meter", "--answers", join(t.dir, "answers")]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
