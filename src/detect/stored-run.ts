/**
 * A detection run against the store, as a library call the CLI and the service share: the store's devices (unless an
 * inventory is given), its suppressions and pending verdicts go in; the alerts come out and are saved, together with
 * the verdicts the run learned from, in one transaction.
 */
import { existsSync, statSync } from "node:fs";
import { LongwatchError } from "../core/errors.ts";
import type { StoreTx } from "../store/store.ts";
import { type DetectInventory, readInventoryStore } from "./inventory.ts";
import { type DetectRunOptions, type DetectRunResult, runDetection } from "./run.ts";

export interface StoredDetectionOptions extends Omit<DetectRunOptions, "inventory" | "suppressions" | "feedback"> {
  /** Where verdicts and suppressions come from and alerts go; without it the run touches no store. */
  store?: StoreTx;
  /** Devices and models to resolve identifiers through (default: the store's). */
  inventory?: DetectInventory;
  /** When the alerts are recorded (ISO 8601). */
  at: string;
}

export async function detectWithStore(o: StoredDetectionOptions): Promise<DetectRunResult> {
  for (const f of o.files) {
    if (!existsSync(f)) throw new LongwatchError("usage", `${f}: no such file`, { file: f });
    if (statSync(f).isDirectory()) throw new LongwatchError("usage", `${f}: is a folder; name the record files`, { file: f });
  }
  const { store, inventory: given, at, ...run } = o;
  const inventory = given ?? (store ? await readInventoryStore(store) : undefined);
  const result = runDetection({
    ...run,
    ...(inventory && inventory.devices.length + inventory.models.length > 0 ? { inventory } : {}),
    suppressions: store ? await store.alerts.suppressions() : [],
    feedback: store ? await store.alerts.pendingFeedback() : [],
  });
  if (store) {
    await store.transaction(async (tx) => {
      await tx.alerts.upsert(result.alerts, at);
      await tx.alerts.markFeedbackApplied(result.learned);
    });
  }
  return result;
}
