/**
 * The fleet-wide detectors cut in two (detector.ts DetectorSplit), in process, without a broker: partitions run the
 * device parts over their devices' records (live detection, as a worker's partition does) and write fact messages
 * (facts.ts) at every "checkpoint"; the fleet stage merges them by watermark (fleet-merge.ts) and runs the fleet
 * parts. The alerts equal single-process `detect`'s, alert for alert with their evidence — however the partitions'
 * messages interleave, when a message is sent again with a wider range (a crashed owner's), and across a fleet-stage
 * checkpoint restored mid-way.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { test } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { int, rng } from "../../src/core/random.ts";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { Engine } from "../../src/detect/engine.ts";
import { type DetectInventory, readInventoryFiles } from "../../src/detect/inventory.ts";
import { startDetection } from "../../src/detect/live.ts";
import { openSource } from "../../src/detect/read/open.ts";
import { Rec } from "../../src/detect/read/rec.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { BatchSource, BatchWriter } from "../../src/scale/batch.ts";
import { FactWriter } from "../../src/scale/facts.ts";
import { FleetMerge } from "../../src/scale/fleet-merge.ts";
import { partitionOf } from "../../src/scale/partition.ts";
import { PartitionRouter } from "../../src/scale/router.ts";
import { tmpDir } from "../helpers/tmp.ts";

const P = 4;
const now = Date.parse("2026-12-01T00:00:00Z");
const split = allDetectors.filter((d) => d.split);
const key = (a: Alert) => JSON.stringify([a.id, a.detector, a.device_id, a.key, a.severity, a.confidence, a.first_seen, a.last_seen, a.count, a.state, a.summary, a.evidence]);

/** The records of each partition as message bodies, routed and merged as `publish` does. */
function partitionMessages(files: readonly string[], inventory: DetectInventory): Uint8Array[][] {
  const router = new PartitionRouter({ partitions: P, inventory, clock: () => now });
  const writers = Array.from({ length: P }, () => new BatchWriter());
  const out: Uint8Array[][] = Array.from({ length: P }, () => []);
  const sources = files.map((f) => openSource(f, { onReject: () => assert.fail(`reject in ${f}`) }).source);
  const recs = files.map((_, i) => Object.assign(new Rec(), { source: i }));
  const live = sources.map((s, i) => s.next(recs[i]!));
  for (;;) {
    let i = -1;
    for (let k = 0; k < recs.length; k++) if (live[k] && (i < 0 || recs[k]!.ts < recs[i]!.ts)) i = k;
    if (i < 0) break;
    const p = router.route(recs[i]!);
    assert.equal(typeof p, "number");
    const w = writers[p as number]!;
    w.add(recs[i]!);
    if (w.count >= 500) out[p as number]!.push(w.take());
    live[i] = sources[i]!.next(recs[i]!);
  }
  writers.forEach((w, p) => w.count > 0 && out[p]!.push(w.take()));
  return out;
}

/**
 * One partition as a worker runs it: every message taken in, then a "checkpoint" that writes its facts. Each fact's
 * record is copied from the bytes it came in (live.ts `ingesting`, as unit.ts does), or with `encode`, encoded anew.
 */
async function partitionFacts(p: number, bodies: Uint8Array[], inventory: DetectInventory, files: readonly string[], params?: Record<string, unknown>, encode = false): Promise<Uint8Array[]> {
  const writer = new FactWriter();
  let from = 0;
  let records = 0;
  const live = await startDetection({
    engine: { detectors: allDetectors, reference: loadReference({}), sourceName: (i) => files[i] ?? "input", ...(params ? { params } : {}), split: { role: "partition", emit: (rec, device, first, facts) => writer.add(rec, Math.max(rec.ts, live.processedThrough), device, first, facts, encode ? undefined : live.ingesting) } },
    clock: () => now,
    holdMs: 2000,
    idleMs: Infinity,
    tickEveryMs: false,
    setup: (e) => e.addInventory(inventory.devices.filter((d) => partitionOf(d.device_id, P) === p), inventory.models),
  });
  const out: Uint8Array[] = [];
  const emit = (watermark: number) => {
    // Small bodies, so a checkpoint's facts go in several messages (each but the last with the next one's first key).
    out.push(...writer.bodies({ partition: p, from, watermark, records, detectors: live.engine.splitIds }, 4096));
    from += writer.count;
    writer.clear();
  };
  for (const body of bodies) {
    const r = live.pushSource(new BatchSource(`lw.records.${p}`, body));
    records += r.accepted + r.rejected;
    emit(live.processedThrough);
  }
  live.drain();
  emit(Infinity);
  // The batches' records were held as the bytes they came in, never encoded again (a partition's CPU went ~10% there).
  assert.equal(live.stats.encoded, 0, "records encoded to be held");
  live.close();
  return out;
}

test("partitions' facts merged by watermark give detect's fleet-wide alerts, in any interleaving, repeats and a restore included", async () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 120, hours: 24, scenarios: SCENARIO_NAMES, seed: 21 });
  // A device that reaches its usual host on a port neither it nor its model ever used (the simulator has none): the
  // partition's "new port" facts must reach the fleet stage too.
  const flows = sim.files.find((f) => f.endsWith("flows.csv"))!;
  const rows = readFileSync(flows, "utf8").trimEnd().split("\n");
  const last = rows[rows.length - 1]!.split(",");
  const [ts, src, , dst] = last;
  appendFileSync(flows, `${new Date(Date.parse(ts!) + 1000).toISOString().replace(".000", "")},${src},40000,${dst},2323,tcp,100,100,2,2,0.1,SF,${last[last.length - 1]}\n`);
  const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => {});
  const want = runDetection({ files: sim.files, inventory, reference: loadReference({}), now, detectors: split.map((d) => d.id), onReject: () => assert.fail("reject") }).alerts;
  assert.ok(["fleet-campaign", "new-destination", "beaconing"].every((id) => want.some((a) => a.detector === id)), `every split detector alerts: ${[...new Set(want.map((a) => a.detector))].join(", ")}`);
  assert.ok(want.some((a) => a.detector === "new-destination" && a.key.startsWith("port:")), "a new port on a known host alerts");

  const messages = partitionMessages(sim.files, inventory);
  const facts = await Promise.all(messages.map((bodies, p) => partitionFacts(p, bodies, inventory, sim.files)));
  // Facts whose records were copied from the message bytes are byte for byte those encoded from the records.
  const encoded = await Promise.all(messages.map((bodies, p) => partitionFacts(p, bodies, inventory, sim.files, undefined, true)));
  assert.deepEqual(facts.map((f) => f.map((b) => Buffer.from(b).toString("base64"))), encoded.map((f) => f.map((b) => Buffer.from(b).toString("base64"))));
  const records = messages.flat().reduce((n, b) => n + new DataView(b.buffer, b.byteOffset).getUint32(4, true), 0);

  for (const seed of [1, 2, 3]) {
    const r = rng(seed);
    // The partitions' messages in a random interleaving (each partition's in its order); some sent twice, the second
    // time with the facts of the message before it as well (a crashed owner's range, widened by the next owner).
    const order: Uint8Array[] = [];
    const at = facts.map(() => 0);
    while (at.some((i, p) => i < facts[p]!.length)) {
      const p = int(r, 0, P - 1);
      if (at[p]! >= facts[p]!.length) continue;
      order.push(facts[p]![at[p]!]!);
      if (at[p]! > 0 && int(r, 0, 9) === 0) order.push(facts[p]![at[p]! - 1]!, facts[p]![at[p]!]!);
      at[p]!++;
    }
    const got = new Map<string, Alert>();
    const fleet = () => {
      const engine = new Engine({ detectors: split, reference: loadReference({}), sourceName: (i) => sim.files[i] ?? "input", clock: () => now, split: { role: "fleet" }, sink: (a) => got.set(a.id, structuredClone(a)) });
      engine.addInventory(inventory.devices, inventory.models);
      return { engine, merge: new FleetMerge(P, engine.splitIds) };
    };
    let { engine, merge } = fleet();
    const rec = new Rec();
    let repeated = 0;
    for (let i = 0; i < order.length; i++) {
      const t = merge.take(order[i]!);
      assert.equal(t.missing, 0);
      repeated += t.repeated;
      merge.release(rec, (x, device, first, f) => engine.ingestFacts(x, device, first, f));
      if (i === Math.floor(order.length / 2)) {
        // A fleet-stage checkpoint restored into a new stage: engine state and the facts still waiting.
        const saved = structuredClone({ detectors: engine.saveDetectors(), merge: merge.save() });
        assert.ok(merge.held > 0, "facts wait for a lagging partition's watermark");
        const next = fleet();
        const { encodeState, decodeState } = await import("../../src/detect/state-stream.ts");
        await decodeState(next.engine, [...encodeState(engine, null)]);
        next.merge.load(saved.merge);
        ({ engine, merge } = next);
      }
    }
    assert.ok(repeated > 0, "some facts came twice");
    assert.equal(merge.held, 0);
    assert.equal(merge.recordsTaken, records, "the fleet stage heard of every record once");
    assert.deepEqual([...got.values()].map(key).sort(), want.map(key).sort(), `interleaving ${seed}`);
  }
});

test("a detector's settings (new-destination's declared allow-list, as a worker's --config gives them) reach both halves: the split gives detect's alerts", async () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 60, hours: 12, scenarios: SCENARIO_NAMES, seed: 5 });
  const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => {});
  // Two of the simulator's three clouds and its NTP server are declared: the third model's cloud and every attack's
  // destination are outside the list, and alert from the first flow on (no warm-up).
  const params = { "new-destination": { allow: [".example.com", ".example.net", "162.159.200.1"] } };
  const want = runDetection({ files: sim.files, inventory, reference: loadReference({}), now, detectors: split.map((d) => d.id), params, onReject: () => assert.fail("reject") }).alerts;
  const declared = want.filter((a) => a.detector === "new-destination" && (a.evidence as { declared_allow_list?: boolean }).declared_allow_list === true);
  assert.ok(declared.some((a) => a.key.includes("gw.buildings.example.org")), `the undeclared cloud alerts: ${declared.map((a) => a.key).join(", ")}`);
  const without = runDetection({ files: sim.files, inventory, reference: loadReference({}), now, detectors: split.map((d) => d.id), onReject: () => assert.fail("reject") }).alerts;
  assert.notDeepEqual(without.map(key).sort(), want.map(key).sort(), "the allow-list changes the alerts");

  const messages = partitionMessages(sim.files, inventory);
  const facts = await Promise.all(messages.map((bodies, p) => partitionFacts(p, bodies, inventory, sim.files, params)));
  const got = new Map<string, Alert>();
  const engine = new Engine({ detectors: split, reference: loadReference({}), params, sourceName: (i) => sim.files[i] ?? "input", clock: () => now, split: { role: "fleet" }, sink: (a) => got.set(a.id, structuredClone(a)) });
  engine.addInventory(inventory.devices, inventory.models);
  const merge = new FleetMerge(P, engine.splitIds);
  const rec = new Rec();
  // Partition by partition (each one's messages in its order): the merge orders them by watermark.
  for (const body of facts.flat()) {
    merge.take(body);
    merge.release(rec, (x, device, first, f) => engine.ingestFacts(x, device, first, f));
  }
  assert.equal(merge.held, 0);
  assert.deepEqual([...got.values()].map(key).sort(), want.map(key).sort());
});
