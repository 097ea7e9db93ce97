/**
 * A scan of what the store holds, written in short transactions: it reads the fleet from a snapshot of the store
 * (Store.snapshot: a connection of its own, which writers do not wait for) and writes its findings a batch per
 * transaction under a scan that is not finished, so on SQLite, whose writers take turns, live ingest's checkpoints
 * commit between the batches instead of waiting for the whole scan. Readers see only finished scans (latestScan,
 * current findings, lists, counts), so none sees half of one; the finish — fixed and carried-forward findings, the
 * counts, the forecast — is one transaction. The caller holds the scan lease (scan-lease.ts) throughout; a crash
 * leaves an unfinished scan that the next scan's beginScan removes.
 */
import type { FindingStatus } from "../core/finding.ts";
import type { Store } from "../store/store.ts";
import { type AuditOptions, type AuditResult, beginAudit, type ScanWriter, writerIn } from "./engine.ts";
import type { ScanLease } from "./scan-lease.ts";

/** Devices read per page, and at most this many findings written per transaction. */
const PAGE = 1000;
const ROWS = 5000;

export async function runChunkedAudit(store: Store, lease: ScanLease, opts: Omit<AuditOptions, "store" | "writer">): Promise<AuditResult> {
  const writer: ScanWriter = {
    begin: (startedAt, rules, settings) =>
      store.transaction(async (tx) => {
        await lease.check(tx);
        return writerIn(tx).begin(startedAt, rules, settings);
      }),
    async record(scan, findings) {
      const out: FindingStatus[] = [];
      for (let i = 0; i < findings.length; i += ROWS) {
        out.push(
          ...(await store.transaction(async (tx) => {
            await lease.check(tx);
            const statuses = await tx.findings.record(scan, findings.slice(i, i + ROWS));
            // An adapter may leave the write in flight (ScanRun.pending): it belongs to this transaction.
            await scan.pending;
            scan.pending = undefined;
            return statuses;
          })),
        );
      }
      return out;
    },
    finish: (scan, finishedAt, counts, forecast) =>
      store.transaction(async (tx) => {
        await lease.check(tx);
        return writerIn(tx).finish(scan, finishedAt, counts, forecast);
      }),
  };
  return store.snapshot(async (view) => {
    const audit = await beginAudit({ ...opts, store: view, writer });
    for await (const page of view.fleet.devicePages(PAGE)) await audit.devices(page);
    return audit.finish();
  });
}
