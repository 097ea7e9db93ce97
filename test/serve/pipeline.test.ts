/**
 * The ingest pipeline against a real store: bodies taken in give the alerts `detect` gives on the same records; a
 * restart after a crash restores the checkpoint, replays the journal and raises no alert twice; stop checkpoints.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../../src/core/record.ts";
import { readInventoryFiles } from "../../src/detect/inventory.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { createPipeline, pipelineConfig, type Pipeline, type PipelineConfigInput } from "../../src/serve/pipeline/index.ts";
import { openStore } from "../../src/store/open.ts";
import { serializeDevice, type Store } from "../../src/store/store.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";

// Every detector, volume-anomaly included: the wall-clock ticks between bodies fall on the replay's grid of event
// time (engine.ts, catchUp), so live ingest and a replay judge at the same times (test/detect/live.test.ts).
const core = (alerts: Iterable<Alert>) => [...alerts].map((a) => `${a.id} ${a.detector} ${a.device_id} ${a.key} ${a.first_seen} ${a.last_seen} ${a.count} ${a.severity}`).sort();

interface Line {
  file: number;
  ts: number;
  text: string;
}

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

/** Bodies of consecutive lines of one file, as an HTTP client or a transport would send them. */
function bodies(headers: string[], lines: Line[], batch = 300): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const file = lines[i]!.file;
    let j = i;
    while (j < lines.length && j - i < batch && lines[j]!.file === file) j++;
    out.push([headers[file]!, ...lines.slice(i, j).map((l) => l.text)].join("\n"));
    i = j;
  }
  return out;
}

describe("ingest pipeline", () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: join(tmp.dir, "sim"), devices: 40, hours: 26, scenarios: SCENARIO_NAMES, seed: 21 });
  const { headers, lines } = merged(sim.files);
  const end = lines[lines.length - 1]!.ts;
  // The wall clock just after the records: nothing is implausibly far ahead, and silence is judged as in a replay.
  const clock = () => end + 1000;
  const config = (extra: PipelineConfigInput = {}) => pipelineConfig({ detection: { idle_ms: 1e15 }, checkpoint: { interval_s: 3600 }, audit: { every_minutes: 0, on_inventory_change: false }, ...extra });
  let n = 0;

  async function freshStore(): Promise<{ store: Store; url: string }> {
    const url = `sqlite:${join(tmp.dir, `store-${++n}.db`)}`;
    const store = await openStore(url);
    const inv = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    await importRows(store, inv.devices.map((d) => serializeDevice(d)));
    await store.fleet.upsertModels(inv.models);
    return { store, url };
  }

  async function expected(): Promise<Alert[]> {
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => assert.fail());
    return runDetection({ files: sim.files, inventory, reference: loadReference(), now: clock(), onReject: () => assert.fail("reject") }).alerts;
  }

  async function ingestAll(p: Pipeline, list: string[]): Promise<number> {
    let accepted = 0;
    // Several bodies in flight at once, as concurrent HTTP requests: the journal takes them in one commit.
    for (let i = 0; i < list.length; i += 4) {
      const rs = await Promise.all(list.slice(i, i + 4).map((b) => p.ingest(b, "csv")));
      for (const r of rs) {
        assert.equal(r.rejected, 0, JSON.stringify(r.rejects.slice(0, 3)));
        accepted += r.accepted;
      }
    }
    return accepted;
  }

  it("gives the alerts detect gives on the same records, committed at stop", async () => {
    const want = await expected();
    assert.ok(want.length > 10);
    const { store } = await freshStore();
    const p = createPipeline({ store, config: config(), clock });
    await p.start();
    assert.equal(await ingestAll(p, bodies(headers, lines)), lines.length);
    await p.stop();
    assert.deepEqual(core(await store.alerts.list({ limit: 100_000 })), core(want));
    const m = p.metrics();
    assert.equal(m.records_in.http, lines.length);
    assert.equal(m.checkpoint.count, 1);
    assert.equal(m.alerts.open, (await store.alerts.list({ limit: 100_000 })).length);
    await store.close();
  });

  it("after a crash, restores the checkpoint and replays the journal: nothing lost, no alert twice", async () => {
    const want = await expected();
    const list = bodies(headers, lines);
    const cut = Math.floor(list.length * 0.6);
    const crash = Math.floor(list.length * 0.8);
    const { store, url } = await freshStore();
    const first = createPipeline({ store, config: config(), clock });
    await first.start();
    await ingestAll(first, list.slice(0, cut));
    await first.checkpoint();
    const atCheckpoint = core(await store.alerts.list({ limit: 100_000 }));
    // Taken in (journaled) but never checkpointed: the process dies here.
    await ingestAll(first, list.slice(cut, crash));
    assert.deepEqual(core(await store.alerts.list({ limit: 100_000 })), atCheckpoint);

    const again = await openStore(url);
    const second = createPipeline({ store: again, config: config(), clock });
    await second.start();
    assert.equal(second.metrics().journal.replayed_on_start, crash - cut);
    await ingestAll(second, list.slice(crash));
    await second.stop();
    const got = await again.alerts.list({ limit: 100_000 });
    assert.deepEqual(core(got), core(want));
    const keys = got.map((a) => `${a.detector} ${a.device_id} ${a.key} ${a.first_seen}`);
    assert.equal(new Set(keys).size, keys.length, "an alert raised twice");
    await again.close();
    await store.close();
  });

  it("answers rejects with their lines, counts them by reason, and refuses bodies beyond the limit", async () => {
    const { store } = await freshStore();
    const p = createPipeline({ store, config: config({ ingest: { max_body_bytes: 2048 } }), clock });
    await p.start();
    const t = new Date(end - 60_000).toISOString();
    const r = await p.ingest(`{"ts":"${t}","device_id":"d1","kind":"metric","metric":"m","value":1}\nnot json\n{"ts":"2099-01-01T00:00:00Z","device_id":"d1","kind":"metric","metric":"m","value":1}\n`, "ndjson");
    assert.equal(r.accepted, 1);
    assert.deepEqual(r.rejects.map((x) => x.line), [2, 3]);
    assert.equal(Object.values(p.metrics().records_rejected).reduce((a, b) => a + b, 0), 2);
    await assert.rejects(p.ingest("x".repeat(4096), "ndjson"), (e: Error & { code?: string }) => e.code === "payload_too_large");
    await p.stop();
    await assert.rejects(p.ingest("{}", "ndjson"), (e: Error & { code?: string }) => e.code === "store_unavailable");
    await store.close();
  });

  it("a sink that hangs does not stall ingest: its queue fills, the rest is dropped into the store's dead-letter list", async () => {
    // A webhook receiver that takes the request and never answers.
    const hung = createServer(() => undefined);
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
    const port = (hung.address() as AddressInfo).port;
    const { store } = await freshStore();
    const sinks = [{ type: "webhook", name: "hung", url: `http://127.0.0.1:${port}/hook`, queue_size: 5, timeout_ms: 60_000, filter: { changes: ["open", "update"] }, retry: { max_attempts: 1 } }];
    const p = createPipeline({ store, config: config({ sinks } as PipelineConfigInput), clock });
    await p.start();
    const t0 = performance.now();
    assert.equal(await ingestAll(p, bodies(headers, lines)), lines.length);
    const took = performance.now() - t0;
    const m = p.metrics();
    const sink = m.sinks[0]!;
    assert.ok(m.alerts.open > 10);
    assert.equal(sink.queue_depth, 5, JSON.stringify(sink));
    assert.equal(sink.in_flight, 1);
    assert.ok(sink.dropped > 0 && sink.sent === 0, JSON.stringify(sink));
    await p.stop(200);
    assert.ok(took < 60_000, `ingest took ${took} ms behind a hung sink`);
    // Nothing raised is lost: every alert the sink did not deliver is in the dead-letter list, with why.
    const after = p.metrics().sinks[0]!;
    const letters = await store.live.countDeadLetters({ sink: "hung" });
    assert.equal(letters, after.dropped + after.failed);
    assert.ok(letters >= m.alerts.open - 1, `${letters} dead letters for ${m.alerts.open} alerts`);
    const [one] = await store.live.deadLetters({ sink: "hung", limit: 1 });
    assert.ok(one && ["queue_full", "shutdown", "retries_exhausted"].includes(one.reason));
    assert.equal((JSON.parse(one.alert) as Alert).id, one.alert_id);
    hung.closeAllConnections();
    hung.close();
    await store.close();
  });
});
