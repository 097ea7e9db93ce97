import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

describe("longwatch simulate / detect / alerts", () => {
  it("finds the simulated attacks, stores them, and learns a benign verdict on the next run", async () => {
    const tmp = tmpDir();
    const data = join(tmp.dir, "data");
    const sim = await cli(["simulate", "--out", join(tmp.dir, "sim"), "--devices", "60", "--hours", "30", "--scenarios", "roaming,brute-force", "--seed", "4"]);
    assert.equal(sim.code, 0, sim.stderr);
    assert.match(sim.stdout, /roaming .* The SIM attaches/);
    const files = ["connectivity", "flows", "broker", "metrics"].map((f) => join(tmp.dir, "sim", "records", `${f}.csv`));
    const inv = ["--inventory", join(tmp.dir, "sim", "devices.csv"), "--models", join(tmp.dir, "sim", "models.yaml")];
    const run = await cli(["--data", data, "detect", ...files, ...inv, "--state", join(tmp.dir, "state"), "--format", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const alerts = JSON.parse(run.stdout) as Alert[];
    assert.ok(alerts.some((a) => a.detector === "unexpected-network"));
    assert.ok(alerts.some((a) => a.detector === "auth-failure-burst"));
    assert.match(run.stderr, /Read [\d,]+ records from 4 files/);
    assert.match(run.stderr, /State saved to/);

    const list = await cli(["--data", data, "alerts", "list"]);
    assert.equal(list.code, 0);
    const roaming = alerts.find((a) => a.detector === "unexpected-network")!;
    const show = await cli(["--data", data, "alerts", "show", roaming.id]);
    assert.match(show.stdout, /What to do:/);
    assert.match(show.stdout, /Why it matters:/);
    assert.equal((await cli(["--data", data, "alerts", "ack", roaming.id])).code, 0);
    const verify = await cli(["--data", data, "alerts", "verify", roaming.id, "benign_positive", "--note", "device moved for repair"]);
    assert.equal(verify.code, 0, verify.stderr);
    // The same run again restores state, learns the verdict first, and reports it.
    const again = await cli(["--data", data, "detect", ...files, ...inv, "--state", join(tmp.dir, "state2"), "--format", "ndjson"]);
    assert.match(again.stderr, /1 verdicts learned/);
    const stored = JSON.parse((await cli(["--data", data, "alerts", "list", "--detector", "unexpected-network", "--format", "json"])).stdout) as Alert[];
    assert.equal(stored[0]!.state, "acknowledged");
  });

  it("exits 3 with rejected records listed by reason and in the rejects file, and 2 on bad flags", async () => {
    const tmp = tmpDir();
    const f = tmp.write("flows.csv", "ts,src_ip,dst_ip,dst_port\n2026-11-25T10:00:00Z,10.0.0.1,52.1.1.1,443\n2026-11-25T10:00:01Z,10.0.0.1,52.1.1.1,http\nnot-a-time,10.0.0.1,52.1.1.1,443\n");
    const rejects = join(tmp.dir, "rejects.csv");
    const r = await cli(["--data", join(tmp.dir, "d"), "detect", f, "--rejects", rejects, "--no-store"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /Rejected 2 records/);
    assert.match(r.stderr, /dst_port: … is not a whole number/);
    const text = readFileSync(rejects, "utf8");
    assert.match(text, /flows\.csv,3,.*dst_port/);
    assert.match(text, /flows\.csv,4,.*ts/);
    assert.equal((await cli(["detect", f, "--detectors", "nope", "--no-store"])).code, 2);
    assert.equal((await cli(["detect", f, "--since", "yesterday", "--no-store"])).code, 2);
    assert.equal((await cli(["detect", join(tmp.dir, "missing.csv"), "--no-store"])).code, 1, "a missing file is exit 1, as in every command");
    const table = tmp.write("devices.csv", "device_id,model_id\nd1,m1\nd2,m1\n");
    const wrong = await cli(["detect", table, "--no-store", "--rejects", join(tmp.dir, "r2.csv")]);
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /2 × the header has no ts column/);
  });

  it("says how many records it read, rejected and processed, and the kinds add up to the processed (also with restored state)", async () => {
    const tmp = tmpDir();
    // Four records: one used, one a reader rejects (port), one the engine rejects (a year ahead of the clock), one
    // more used. Read counted the engine's reject as read and used, beside kinds that did not include it.
    const f = tmp.write("flows.csv", "ts,src_ip,dst_ip,dst_port\n2026-11-25T10:00:00Z,10.0.0.1,52.1.1.1,443\n2026-11-25T10:00:01Z,10.0.0.1,52.1.1.1,http\n2026-11-25T10:00:02Z,10.0.0.1,52.1.1.2,443\n2027-12-25T10:00:02Z,10.0.0.1,52.1.1.1,443\n");
    const state = join(tmp.dir, "state");
    const counts = (stderr: string) => {
      const m = /Read (\d+) records? from 1 file in [\d.]+ s(?:, [\d.]+ M records\/s processed)?: (\d+) processed(?: \(([^)]*)\))?(?:, (\d+) rejected)?(?:, (\d+) skipped)?\./.exec(stderr);
      assert.ok(m, stderr);
      const kinds = (m[3] ?? "").split(", ").filter(Boolean).reduce((a, k) => a + Number(k.split(" ")[0]), 0);
      return { read: Number(m[1]), processed: Number(m[2]), kinds, rejected: Number(m[4] ?? 0), skipped: Number(m[5] ?? 0) };
    };
    const first = await cli(["--data", join(tmp.dir, "d"), "detect", f, "--no-store", "--state", state], { LONGWATCH_NOW: "2026-11-26" });
    assert.equal(first.code, 3, first.stderr);
    assert.deepEqual(counts(first.stderr), { read: 4, processed: 2, kinds: 2, rejected: 2, skipped: 0 });
    assert.match(first.stderr, /Rejected 2 records/);
    const again = await cli(["--data", join(tmp.dir, "d"), "detect", f, "--no-store", "--state", state], { LONGWATCH_NOW: "2026-11-26" });
    const c = counts(again.stderr);
    assert.equal(c.read, 4);
    assert.equal(c.read, c.processed + c.rejected + c.skipped, again.stderr);
    assert.equal(c.kinds, c.processed, `this run's kinds, not the state's: ${again.stderr}`);
  });

  it("lists and explains detectors", async () => {
    const list = await cli(["detectors"]);
    assert.equal(list.code, 0);
    for (const id of ["volume-anomaly", "fleet-campaign", "sim-swap"]) assert.match(list.stdout, new RegExp(id));
    const one = await cli(["detectors", "beaconing"]);
    assert.match(one.stdout, /max_jitter = 0.2/);
  });
});
