/**
 * Ordering and event-time bounds: a replay gives the same alerts whatever the order of a file's lines (sorted in
 * memory or through runs on disk), each reject is reported once even when the file is read twice, Zeek connections
 * count at their end, and an implausible time is rejected without moving the clock.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { readInventoryFiles } from "../../src/detect/inventory.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { rng } from "../helpers/random.ts";
import { readAll } from "./read-helpers.ts";

const reference = loadReference();
/** What an alert says, without where its evidence was read (a line number changes when lines move). */
const core = (alerts: Alert[]) => alerts.map((a) => `${a.id} ${a.detector} ${a.device_id} ${a.key} ${a.first_seen} ${a.last_seen} ${a.count} ${a.severity}`);

function shuffleLines(text: string, seed: number): string {
  const [header, ...lines] = text.trimEnd().split("\n");
  const r = rng(seed);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  return `${header}\n${lines.join("\n")}\n`;
}

describe("order of lines", () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 60, hours: 26, scenarios: SCENARIO_NAMES, seed: 7 });
  const noReject = () => assert.fail("unexpected reject");

  it("gives the same alerts for shuffled files, sorted in memory and through runs on disk", async () => {
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, noReject);
    const base = runDetection({ files: sim.files, inventory, reference, onReject: noReject });
    assert.ok(base.alerts.length > 10);
    const shuffled = sim.files.map((f, i) => tmp.write(`shuffled-${i}.csv`, shuffleLines(readFileSync(f, "utf8"), 100 + i)));
    const inMemory = runDetection({ files: shuffled, inventory, reference, onReject: noReject });
    assert.equal(inMemory.replay.sorted?.runs, 0);
    assert.deepEqual(core(inMemory.alerts), core(base.alerts));
    const onDisk = runDetection({ files: shuffled, inventory, reference, sort: { memoryBytes: 1 << 20, dir: tmp.dir }, onReject: noReject });
    assert.ok(onDisk.replay.sorted!.runs > 3, `only ${onDisk.replay.sorted!.runs} runs`);
    assert.deepEqual(core(onDisk.alerts), core(base.alerts));
    assert.equal(onDisk.replay.used, base.replay.used);
  });

  it("reports each reject once, with its line, when a file turns out to be out of order half way", () => {
    const f = tmp.write(
      "mixed.csv",
      [
        "ts,src_ip,dst_ip,dst_port",
        "2026-11-25T10:00:00Z,10.0.0.1,52.1.1.1,443",
        "2026-11-25T10:00:01Z,10.0.0.1,52.1.1.1,http",
        "2026-11-25T10:00:02Z,8.8.8.8,1.1.1.1,53",
        "2026-11-25T10:05:00Z,10.0.0.1,52.1.1.1,443",
        "2026-11-25T10:01:00Z,10.0.0.1,52.1.1.1,443",
        "2026-11-25T10:06:00Z,10.0.0.1,52.1.1.1,x",
        "2026-11-25T10:06:30Z,9.9.9.9,1.1.1.1,53",
      ].join("\n"),
    );
    const rejects: string[] = [];
    const r = runDetection({ files: [f], reference, onReject: (_f, line, why) => rejects.push(`${line} ${why.split(":")[0]}`) });
    assert.ok(r.replay.sorted, "sorted after line 6 came back in time");
    assert.deepEqual(rejects, ["3 dst_port", "4 flow", "7 dst_port", "8 flow"]);
    assert.equal(r.replay.rejected, 4);
    assert.equal(r.replay.used, 3);
  });
});

describe("event-time bounds", () => {
  const tmp = tmpDir();
  const now = Date.parse("2026-11-25T12:00:00Z");

  it("rejects a record far in the future with a clear reason, and it moves no clock", () => {
    const lines = ["ts,device_id,kind,metric,value"];
    // Four devices reporting every 5 minutes for 6 hours: a steady rhythm device-silent knows.
    for (let m = 0; m < 360; m += 5) for (const d of ["a", "b", "c", "d"]) lines.push(`${new Date(now - 6 * 3_600_000 + m * 60_000).toISOString()},${d},metric,temp,20`);
    lines.push("2027-11-25T10:00:00Z,a,metric,temp,21"); // a year ahead
    lines.push("8640000000001,b,metric,temp,21"); // beyond what a Date can hold (year 275760)
    const f = tmp.write("future.csv", lines.join("\n"));
    const rejects: { line: number; why: string }[] = [];
    const r = runDetection({ files: [f], now, reference, onReject: (_f, line, why) => rejects.push({ line, why }) });
    assert.deepEqual(rejects.map((x) => x.line), [lines.length - 1, lines.length]);
    assert.match(rejects[0]!.why, /ts: "2027-11-25T10:00:00Z" is more than 24 h ahead of the clock \(2026-11-25T12:00:00Z\)/);
    assert.match(rejects[1]!.why, /beyond the latest date a clock can show \(year 275760\)/);
    assert.ok(r.engine.now < now, "the clock stayed with the data");
    assert.deepEqual(r.alerts.filter((a) => a.detector === "device-silent"), []);
    assert.equal(r.engine.stats.implausible, 1);
  });

  it("takes the bound from the run's now and a configurable margin", () => {
    const f = tmp.write("ahead.csv", "ts,device_id,kind,metric,value\n2026-11-25T15:00:00Z,a,metric,temp,1\n");
    const rejects: string[] = [];
    runDetection({ files: [f], now, reference, onReject: (_f, _l, why) => rejects.push(why) });
    assert.equal(rejects.length, 0, "3 hours ahead is within a day");
    runDetection({ files: [f], now, maxFutureMs: 3_600_000, reference, onReject: (_f, _l, why) => rejects.push(why) });
    assert.equal(rejects.length, 1);
    assert.match(rejects[0]!, /more than 60 min ahead/);
  });

  it("rejects records older than a configurable past bound (a clock never set), and dates before 1970, with the reason", () => {
    const lines = ["ts,device_id,kind,metric,value"];
    for (let m = 0; m < 360; m += 5) for (const d of ["a", "b"]) lines.push(`${new Date(now - 6 * 3_600_000 + m * 60_000).toISOString()},${d},metric,temp,20`);
    lines.push("1970-01-01T00:03:00Z,a,metric,temp,21"); // a device that booted without network time
    lines.push("1969-12-31T23:59:00Z,b,metric,temp,21");
    lines.push("0,b,metric,temp,21"); // epoch seconds 0
    const f = tmp.write("past.csv", lines.join("\n"));
    const unbounded: string[] = [];
    runDetection({ files: [f], now, reference, onReject: (_f, _l, why) => unbounded.push(why) });
    assert.deepEqual(unbounded, ['ts: "1969-12-31T23:59:00Z" is before 1970: an implausible time (a device clock that was never set?)']);
    const rejects: { line: number; why: string }[] = [];
    const r = runDetection({ files: [f], now, maxPastMs: 30 * 86_400_000, reference, onReject: (_f, line, why) => rejects.push({ line, why }) });
    assert.deepEqual(rejects.map((x) => x.line), [lines.length - 2, lines.length - 1, lines.length]);
    assert.match(rejects[0]!.why, /ts: "1970-01-01T00:03:00Z" is more than 30\.0 days before the clock \(2026-11-25T12:00:00Z\): an implausible time/);
    assert.match(rejects[2]!.why, /ts: "1970-01-01T00:00:00Z" is more than 30\.0 days before/);
    assert.equal(r.engine.stats.late.reduce((a, b) => a + b, 0), 0, "not judged as late records");
    assert.equal(r.engine.stats.implausible, 2);
  });
});

describe("Zeek connections", () => {
  it("count at their end (ts + duration), keep their start as the flow's time, and are sorted", () => {
    const tmp = tmpDir();
    const header = ["#separator \\x09", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state"];
    // Written as Zeek writes them: when each connection ends. The long one started first and ends last.
    const rows = [
      ["1764064800.000000", "C1", "10.0.0.5", "40000", "52.1.1.1", "443", "tcp", "1.0", "100", "100", "SF"],
      ["1764064860.000000", "C2", "10.0.0.5", "40001", "52.1.1.1", "443", "tcp", "1.0", "100", "100", "SF"],
      ["1764064790.000000", "C0", "10.0.0.5", "39999", "198.51.100.9", "8443", "tcp", "3600.0", "900000000", "100", "SF"],
    ];
    const f = tmp.write("conn.log", `${[...header, ...rows.map((r) => r.join("\t"))].join("\n")}\n`);
    const read = readAll(f);
    assert.deepEqual(
      read.records.map((x) => [x.fields.ts, x.began / 1000, x.ts / 1000]),
      [
        ["1764064800.000000", 1764064800, 1764064801],
        ["1764064860.000000", 1764064860, 1764064861],
        ["1764064790.000000", 1764064790, 1764068390],
      ],
    );
    const r = runDetection({
      files: [f],
      detectors: ["volume-anomaly"],
      reference,
      onReject: () => assert.fail("reject"),
    });
    assert.match(r.replay.sorted!.reason, /Zeek log/);
    assert.equal(r.engine.now, Date.parse("2025-11-25T10:59:50Z"), "the clock ends at the long connection's end");
  });
});

describe("real Zeek captures (test/fixtures/zeek-labelled, GPL-2.0, see SOURCE.txt)", () => {
  const fixtures = join(import.meta.dirname, "..", "fixtures", "zeek-labelled");
  const now = Date.parse("2030-01-01T00:00:00Z");

  it("give the same alerts whatever the order of their lines (NjRAT capture, 1,000 flows)", () => {
    const tmp = tmpDir();
    const text = readFileSync(join(fixtures, "njrat-ctu-230-1.conn.log"), "utf8");
    const lines = text.trimEnd().split("\n");
    const header = lines.filter((l) => l.startsWith("#"));
    const body = lines.filter((l) => !l.startsWith("#"));
    const base = runDetection({ files: [join(fixtures, "njrat-ctu-230-1.conn.log")], now, reference, onReject: () => {} });
    assert.ok(base.alerts.length > 0);
    for (const seed of [1, 2]) {
      const shuffled = shuffleLines(`x\n${body.join("\n")}\n`, seed).split("\n").slice(1);
      const f = tmp.write(`njrat-${seed}.conn.log`, `${[...header, ...shuffled].join("\n")}`);
      const r = runDetection({ files: [f], now, reference, onReject: () => {} });
      assert.deepEqual(core(r.alerts), core(base.alerts));
      assert.equal(r.replay.used, base.replay.used);
    }
  });

  it("reads Zeek's JSON lines as flows without being told the kind (Nmap capture)", () => {
    const rejects: string[] = [];
    const r = runDetection({ files: [join(fixtures, "nmap-scan-first600.ndjson")], now, reference, onReject: (_f, line, why) => rejects.push(`${line} ${why}`) });
    assert.deepEqual(rejects, []);
    assert.equal(r.replay.used, 600);
    assert.ok(r.replay.sorted, "Zeek JSON is sorted by event time too");
  });
});
