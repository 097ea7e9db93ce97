/**
 * Live detection: records pushed as bytes give the alerts a replay of the same records gives, even when they arrive
 * somewhat out of order; late ones are counted and used where they can be; far-future ones are rejected without
 * moving the clock; silence is noticed on the wall clock; and a checkpoint restored and fed the records after it
 * raises no alert twice.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { type DetectInventory, readInventoryFiles } from "../../src/detect/inventory.ts";
import { type LiveDetection, type LiveOptions, startDetection } from "../../src/detect/live.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { rng } from "../helpers/random.ts";
import { tmpDir } from "../helpers/tmp.ts";

const reference = loadReference();
const core = (alerts: Iterable<Alert>) => [...alerts].map((a) => `${a.id} ${a.detector} ${a.device_id} ${a.key} ${a.first_seen} ${a.last_seen} ${a.count} ${a.severity} ${a.state}`).sort();

interface Line {
  file: number;
  ts: number;
  text: string;
}

/** Every record line of the files, merged in time order (as a replay takes them), with its file's header. */
function merged(files: readonly string[]): { headers: string[]; lines: Line[] } {
  const headers: string[] = [];
  const lines: Line[] = [];
  files.forEach((f, file) => {
    const [header, ...rest] = readFileSync(f, "utf8").trimEnd().split("\n");
    headers.push(header!);
    for (const text of rest) lines.push({ file, ts: Date.parse(text.slice(0, text.indexOf(","))), text });
  });
  lines.sort((a, b) => a.ts - b.ts || a.file - b.file);
  return { headers, lines };
}

/** Pushes the lines in batches of consecutive lines of one file (as a transport would receive them). */
function pushAll(live: LiveDetection, headers: string[], lines: Line[], batch = 200): number {
  let rejected = 0;
  for (let i = 0; i < lines.length; ) {
    const file = lines[i]!.file;
    let j = i;
    while (j < lines.length && j - i < batch && lines[j]!.file === file) j++;
    const body = [headers[file]!, ...lines.slice(i, j).map((l) => l.text)].join("\n");
    rejected += live.push(body, { name: `batch-${i}` }).rejected;
    i = j;
  }
  return rejected;
}

function liveOptions(inventory: DetectInventory | undefined, extra: Partial<LiveOptions> = {}): LiveOptions {
  return {
    engine: { detectors: allDetectors, reference },
    idleMs: Infinity,
    tickEveryMs: false,
    ...(inventory ? { setup: (e) => e.addInventory(inventory.devices, inventory.models) } : {}),
    ...extra,
  };
}

describe("live detection", () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 50, hours: 26, scenarios: SCENARIO_NAMES, seed: 13 });
  const { headers, lines } = merged(sim.files);

  it("gives the alerts a replay of the same records gives, also when they arrive out of order within the hold", async () => {
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    const replay = runDetection({ files: sim.files, inventory, reference, onReject: () => assert.fail("reject") });
    assert.ok(replay.alerts.length > 10);

    const live = await startDetection(liveOptions(inventory));
    assert.equal(pushAll(live, headers, lines), 0);
    live.drain();
    live.engine.advance(live.engine.now);
    assert.deepEqual(core(live.checkpoint().alerts), core(replay.alerts));

    // Jittered by up to a second, with a hold of two: put back in order, nothing late.
    const r = rng(5);
    const jittered = lines.map((l, k) => ({ l, key: l.ts + r() * 1000, k })).sort((a, b) => a.key - b.key || a.k - b.k).map((x) => x.l);
    const live2 = await startDetection(liveOptions(inventory));
    pushAll(live2, headers, jittered, 50);
    live2.drain();
    live2.engine.advance(live2.engine.now);
    assert.equal(live2.stats.late, 0);
    assert.deepEqual(core(live2.checkpoint().alerts), core(replay.alerts));
  });

  it("gives a replay's alerts however often the wall-clock timer ticks between bodies", async () => {
    // A loaded service ticks between most bodies: each tick moves event time to the newest record minus the hold, in
    // minutes a replay skips for want of a record and before the first one. Ticks on a grid of event time (every
    // grid point ticked in order) and device-silent's sweep on its own grid make that invisible; before, silences
    // came seconds or a minute apart from the replay's, under other ids.
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    const replay = runDetection({ files: sim.files, inventory, reference, onReject: () => assert.fail("reject") });
    assert.ok(replay.alerts.some((a) => a.detector === "device-silent"), "the simulation has silences to notice");
    const live = await startDetection(liveOptions(inventory));
    for (let i = 0; i < lines.length; ) {
      const file = lines[i]!.file;
      let j = i;
      while (j < lines.length && j - i < 37 && lines[j]!.file === file) j++;
      assert.equal(live.push([headers[file]!, ...lines.slice(i, j).map((l) => l.text)].join("\n")).rejected, 0);
      live.tick();
      i = j;
    }
    live.drain();
    live.engine.advance(live.engine.now);
    assert.deepEqual(core(live.checkpoint().alerts), core(replay.alerts));
  });

  it("counts records behind the buffer as late and gives them to the detectors that can use them", async () => {
    const live = await startDetection(liveOptions(undefined, { holdMs: 0 }));
    const t0 = Date.parse("2026-11-25T10:00:00Z");
    const row = (t: number, imei: string) => `${new Date(t).toISOString()},8949100000000000011,${imei},attach,262,1`;
    const header = "ts,iccid,imei,event,mcc,mnc";
    assert.equal(live.push([header, row(t0, "35693803564380"), row(t0 + 3_600_000, "35693803564380")].join("\n")).accepted, 2);
    // An hour late, and from another device: sim-swap judges it anyway (it declares late records usable).
    const late = live.push([header, row(t0 + 60_000, "35000000000001")].join("\n"));
    assert.deepEqual({ accepted: late.accepted, late: late.late, rejected: late.rejected }, { accepted: 1, late: 1, rejected: 0 });
    assert.deepEqual(live.checkpoint().alerts.map((a) => a.detector), ["sim-swap"]);
    assert.equal(live.engine.stats.late[0], 1);
  });

  it("rejects a far-future record with its line and reason, and the clock stays", async () => {
    const wall = Date.parse("2026-11-25T12:00:00Z");
    const live = await startDetection(liveOptions(undefined, { clock: () => wall, idleMs: 600_000 }));
    const r = live.push("ts,device_id,kind,metric,value\n2026-11-25T11:59:00Z,a,metric,t,1\n2027-11-25T12:00:00Z,a,metric,t,1\n8640000000001,a,metric,t,1\nnonsense\n");
    assert.equal(r.accepted, 1);
    assert.deepEqual(r.rejects.map((x) => x.line), [3, 4, 5]);
    assert.match(r.rejects[0]!.reason, /more than 24 h ahead of the clock/);
    live.tick();
    assert.ok(live.engine.now <= wall, `clock ${new Date(live.engine.now).toISOString()}`);
  });

  it("notices silence on the wall clock when records stop coming", async () => {
    let wall = Date.parse("2026-11-25T00:00:00Z");
    const live = await startDetection(liveOptions(undefined, { clock: () => wall, idleMs: 120_000 }));
    for (let m = 0; m < 120; m += 5) {
      wall = Date.parse("2026-11-25T00:00:00Z") + m * 60_000;
      live.push(`ts,device_id,kind,metric,value\n${new Date(wall - 1000).toISOString()},meter-1,metric,t,20\n${new Date(wall - 1000).toISOString()},meter-2,metric,t,20\n`);
      live.tick();
    }
    // meter-2 goes on, meter-1 stops; then nothing at all arrives for three hours.
    for (let m = 120; m < 180; m += 5) {
      wall = Date.parse("2026-11-25T00:00:00Z") + m * 60_000;
      live.push(`ts,device_id,kind,metric,value\n${new Date(wall - 1000).toISOString()},meter-2,metric,t,20\n`);
      live.tick();
    }
    for (let m = 180; m < 360; m += 5) {
      wall = Date.parse("2026-11-25T00:00:00Z") + m * 60_000;
      live.tick();
    }
    const silent = live.checkpoint().alerts.filter((a) => a.detector === "device-silent");
    assert.deepEqual(silent.map((a) => a.device_id).sort(), ["meter-1", "meter-2"]);
  });

  it("carries on from a checkpoint: records after it raise no alert twice", async () => {
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    const whole = await startDetection(liveOptions(inventory));
    pushAll(whole, headers, lines);
    whole.drain();
    whole.engine.advance(whole.engine.now);
    const expected = whole.checkpoint().alerts;

    // Up to the scenarios' start, a checkpoint (committed with its alerts), then on past it: then a crash.
    const cut = lines.findIndex((l) => l.ts >= Date.parse(sim.truth[0]!.start) + 10 * 60_000);
    const more = lines.findIndex((l) => l.ts >= Date.parse(sim.truth[0]!.start) + 40 * 60_000);
    const first = await startDetection(liveOptions(inventory));
    pushAll(first, headers, lines.slice(0, cut));
    const cp = first.checkpoint();
    const chunks = [...cp.state()].map((c) => c.slice());
    const committed = new Map<string, Alert>();
    for (const a of cp.alerts) committed.set(a.id, a);
    cp.commit();
    pushAll(first, headers, lines.slice(cut, more)); // lost with the crash: never checkpointed
    const lost = first.checkpoint().alerts;
    assert.ok(lost.length > 0, "alerts were raised between the checkpoint and the crash");

    // Restart from the checkpoint; the records after it arrive again.
    const second = await startDetection(liveOptions(inventory, { restore: chunks }));
    pushAll(second, headers, lines.slice(cut));
    second.drain();
    second.engine.advance(second.engine.now);
    const after = second.checkpoint().alerts;
    for (const a of after) {
      const before = committed.get(a.id);
      if (before) assert.ok(a.count > before.count || a.state !== before.state || a.last_seen > before.last_seen, `${a.id} given again unchanged`);
    }
    for (const a of after) committed.set(a.id, a);
    assert.deepEqual(core(committed.values()), core(expected));
    // The alerts raised before the crash come again under the same ids: a store keyed by id holds each once.
    for (const a of lost) assert.ok(committed.has(a.id), `${a.detector} ${a.device_id} came back under another id`);
  });

  it("refuses pushes while a checkpoint's state is being read, and refuses a damaged checkpoint", async () => {
    const live = await startDetection(liveOptions(undefined));
    live.push("ts,device_id,kind,metric,value\n2026-11-25T11:59:00Z,a,metric,t,1\n");
    const it = live.checkpoint().state();
    it.next();
    assert.throws(() => live.push("ts,device_id,kind,metric,value\n"), /checkpoint's state is being read/);
    const chunks = [...it].map((c) => c.slice());
    live.push("ts,device_id,kind,metric,value\n2026-11-25T11:59:01Z,a,metric,t,1\n");
    const good = [...live.checkpoint().state()].map((c) => c.slice());
    const bytes = Buffer.concat(good);
    bytes[bytes.length - 10]! ^= 1;
    await assert.rejects(startDetection(liveOptions(undefined, { restore: [bytes] })), /checksum does not match/);
    await assert.rejects(startDetection(liveOptions(undefined, { restore: [bytes.subarray(0, 100)] })), /ended early/);
    await assert.rejects(startDetection({ ...liveOptions(undefined), engine: { detectors: allDetectors.slice(0, 3), reference }, restore: good }), /other detectors/);
    void chunks;
  });
});
