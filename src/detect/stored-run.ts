/**
 * A detection run against the store, as a library call the CLI and the service share: the store's devices (unless an
 * inventory is given), its suppressions and pending verdicts go in; the alerts come out and are saved — with the
 * verdicts the run learned from and whatever `afterRun` records (flow observations) — in one transaction. With a
 * state folder the alerts are saved with the state first (one file, snapshot.ts), so a failed store write loses none:
 * the run fails, and the next one stores them.
 */
import { existsSync, statSync } from "node:fs";
import { LongwatchError } from "../core/errors.ts";
import type { StoreTx } from "../store/store.ts";
import type { ReferenceData } from "./fleet.ts";
import { type DetectInventory, readInventoryStore } from "./inventory.ts";
import { runDetectionThreaded } from "../scale/threaded-detect.ts";
import { markStored } from "./snapshot.ts";
import { type DetectRunOptions, type DetectRunResult, runDetection } from "./run.ts";

export interface StoredDetectionOptions extends Omit<DetectRunOptions, "inventory" | "suppressions" | "feedback" | "reference"> {
  /** Where verdicts and suppressions come from and alerts go; without it the run touches no store. */
  store?: StoreTx;
  /** Devices and models to resolve identifiers through (default: the store's). */
  inventory?: DetectInventory;
  /** Reference data, or how to build it once the inventory is known (flow declarations live on the models). */
  reference?: ReferenceData | ((inventory: DetectInventory | undefined) => ReferenceData | Promise<ReferenceData>);
  /** When the alerts are recorded (ISO 8601). */
  at: string;
  /** More to save in the run's transaction (e.g. flow observations). */
  afterRun?(result: DetectRunResult, tx: StoreTx): Promise<void>;
  /** Split the replay over this many threads by device partition (scale/threaded-detect.ts); 1 or unset: one thread. */
  workers?: number;
}

export async function detectWithStore(o: StoredDetectionOptions): Promise<DetectRunResult> {
  for (const f of o.files) {
    if (!existsSync(f)) throw new LongwatchError("file_not_found", `${f}: no such file`, { file: f });
    if (statSync(f).isDirectory()) throw new LongwatchError("file_not_found", `${f}: is a folder; name the record files`, { file: f });
  }
  const { store, inventory: given, at, reference, afterRun, workers, ...run } = o;
  const inventory = given ?? (store ? await readInventoryStore(store) : undefined);
  const ref = typeof reference === "function" ? await reference(inventory) : reference;
  const options: DetectRunOptions = {
    ...run,
    ...(inventory && inventory.devices.length + inventory.models.length > 0 ? { inventory } : {}),
    ...(ref ? { reference: ref } : {}),
    suppressions: store ? await store.alerts.suppressions() : [],
    feedback: store ? await store.alerts.pendingFeedback() : [],
  };
  const result = workers !== undefined && workers > 1 ? await runDetectionThreaded({ ...options, workers }) : runDetection({ ...options, ...(store ? { outbox: true } : {}) });
  if (store) {
    try {
      await store.transaction(async (tx) => {
        await tx.alerts.upsert(result.alerts, at);
        await tx.alerts.markFeedbackApplied(result.learned);
        await afterRun?.(result, tx);
      });
    } catch (e) {
      // The state has moved past these records; its file holds the alerts, and the next run stores them.
      if (o.stateDir === undefined || result.runId === undefined) throw e;
      const code = e instanceof LongwatchError ? e.code : "internal";
      throw new LongwatchError(code, `${(e as Error).message}. The ${result.alerts.length} alerts of this run were not stored; they are kept with the state in ${o.stateDir} and the next \`detect --state ${o.stateDir}\` run stores them`, { state: o.stateDir }, { cause: e });
    }
    if (o.stateDir !== undefined && result.runId !== undefined) markStored(o.stateDir, result.runId);
  }
  return result;
}
