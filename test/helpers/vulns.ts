/** Shared setup for vulnerability tests: fixture paths, a throwaway store, and a small fleet. */
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/index.ts";
import type { Device, DeviceModel } from "../../src/core/fleet.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { importRows } from "./store.ts";

export const FIX = new URL("../fixtures/vulns/", import.meta.url).pathname;

export function memoryStore(): SqliteStore {
  return openSqliteStore(":memory:");
}

export async function addFleet(store: SqliteStore, models: DeviceModel[], devices: Device[]): Promise<void> {
  await store.fleet.upsertModels(models);
  await importRows(store, devices.map(serializeDevice), { source: "test" });
}
