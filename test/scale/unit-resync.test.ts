/**
 * A unit whose consumer got out of step with it (issue 14: the fleet stage stalled after a nats-server restart).
 * The broker numbers a consumer's deliveries; when some never reach the unit — a broker killed with deliveries in
 * flight, or here, deterministically, a second puller on the unit's durable consumer that takes messages and never
 * acknowledges them — the broker holds those messages for `ack_wait` (2 minutes) before it sends them again. Before
 * the fix the unit took the later messages and then skipped the redelivered ones as already seen (records lost), or
 * waited for them (a stall). Now it re-creates its consumer from its own position at once: every record is counted
 * exactly once, within seconds.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ConsumerMessages, jetstream } from "@nats-io/jetstream";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { readInventoryFiles, type DetectInventory } from "../../src/detect/inventory.ts";
import { loadReference } from "../../src/detect/reference.ts";
import { simulate } from "../../src/detect/simulate/index.ts";
import { connectNats, ensureStream, manager } from "../../src/scale/nats.ts";
import { publishFiles } from "../../src/scale/publish.ts";
import { consumerName } from "../../src/scale/unit.ts";
import { ScaleWorker } from "../../src/scale/worker.ts";
import { openStore } from "../../src/store/open.ts";
import { SHARED_NATS, sharedNatsMissing, testStream } from "../helpers/nats.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";

const skip = (await sharedNatsMissing()) || (await postgresAvailable());
const db = skip ? "" : await throwawayDatabase();
const tmp = skip ? undefined : tmpDir();
let files: string[] = [];
let inventory: DetectInventory;

describe("a unit gets back in step with its consumer", { skip }, () => {
  before(async () => {
    const sim = simulate({ dir: tmp!.dir, devices: 20, hours: 6, scenarios: [], seed: 5 });
    files = sim.files;
    inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => {});
  });

  it("deliveries that never reached the unit are fetched again at once: every record once, none lost", async () => {
    const names = testStream();
    const nc = await connectNats(SHARED_NATS, "test unit");
    const thiefNc = await connectNats(SHARED_NATS, "test thief");
    const store = await openStore(db);
    const lines: string[] = [];
    const layout = await ensureStream(await manager(nc), { ...names, partitions: 1, window: 10 });
    const w = new ScaleWorker({
      nc,
      store,
      layout,
      name: "u1",
      inventory,
      leaseMs: 3000,
      checkpointMs: 200,
      quietMs: 300,
      engine: { detectors: allDetectors.filter((d) => !d.fleetWide), reference: loadReference({}) },
      log: (l) => lines.push(l),
    });
    const thiefs: ConsumerMessages[] = [];
    after(async () => {
      for (const t of thiefs) await t.close();
      await w.stop();
      await thiefNc.close();
      await nc.close();
      await store.close();
    });
    await w.start();
    assert.deepEqual(w.held(), [0]);
    // The thief's pull (on the unit's consumer: the first owner's, epoch 1) waits behind the unit's own; it gets 5 messages the unit is never given.
    const stolen = await jetstream(thiefNc).consumers.get(layout.stream, consumerName(layout.stream, 0, 1)).then((c) => c.fetch({ max_messages: 5, expires: 20_000 }));
    thiefs.push(stolen);
    const taken: number[] = [];
    const thief = (async () => {
      for await (const m of stolen) taken.push(m.seq); // never acknowledged
    })();
    await thiefNc.flush();
    const stats = await publishFiles({ files, nc, layout, inventory, batch: 10, onReject: (f, l, why) => assert.fail(`${f}:${l}: ${why}`) });
    assert.ok(stats.messages > 100, `${stats.messages} messages`);
    await thief;
    assert.equal(taken.length, 5, "the thief took 5 messages");
    const last = (await (await manager(nc)).streams.info(layout.stream)).state.last_seq;
    // Well inside the broker's 2-minute ack_wait: the stolen messages come from a re-created consumer, not a redelivery.
    const end = Date.now() + 30_000;
    for (;;) {
      const cp = (await store.scale.checkpoints(layout.stream))[0];
      if (cp && cp.seq >= last && (JSON.parse(cp.meta) as { held?: number }).held === 0) {
        assert.equal(cp.records, stats.published, "every record taken in once");
        assert.equal((JSON.parse(cp.meta) as { messages: number }).messages, stats.messages, "every message once");
        break;
      }
      if (Date.now() > end) assert.fail(`not through the stream after 30 s: checkpoint ${JSON.stringify(cp && [cp.seq, cp.records])} of ${last}; ${lines.join("; ")}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(lines.some((l) => /never arrived|messages but \d+ arrived/.test(l) && /consumer re-created from stream sequence/.test(l)), lines.join("\n"));
  });
});
