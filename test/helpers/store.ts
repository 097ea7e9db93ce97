/** Store helpers shared by tests: writing devices the way an import does, in one transaction. */
import type { ImportSummary, SerializedDevice, StoreTx } from "../../src/store/store.ts";

export async function importRows(store: StoreTx, rows: readonly SerializedDevice[], opts: { source?: string; prune?: boolean } = {}): Promise<ImportSummary> {
  return store.transaction(async (tx) => {
    const run = await tx.fleet.startImport(opts.source ?? "test");
    await tx.fleet.upsertDevices(run, rows);
    return tx.fleet.finishImport(run, opts.prune ? { prune: true } : {});
  });
}
