/**
 * A scan of what the store holds, written in short transactions: it reads the fleet from a snapshot of the store
 * (Store.snapshot: a connection of its own, which writers do not wait for) and writes its findings a batch per
 * transaction under a scan that is not finished, so on SQLite, whose writers take turns, live ingest's checkpoints
 * commit between the batches instead of waiting for the whole scan. Readers see only finished scans (latestScan,
 * current findings, lists, counts), so none sees half of one. The finish's rows — fixed and carried-forward findings,
 * the removal of older scans' rows — are written ahead in batches too (FindingRepository.finishAhead), its counts
 * for the lists read outside any transaction (countAhead), and the transaction that makes the scan the latest writes
 * only those counts, the scan's row and the forecast. The caller holds the scan lease (scan-lease.ts) throughout; a crash
 * leaves an unfinished scan that the next scan's beginScan removes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FindingStatus } from "../core/finding.ts";
import type { Store, StoreTx } from "../store/store.ts";
import { type AuditOptions, type AuditResult, beginAudit, type ScanWriter, writerIn } from "./engine.ts";
import type { ScanLease } from "./scan-lease.ts";

/** Devices read per page, and at most this many findings written per transaction (about 50 ms on SQLite on a loaded machine). */
const PAGE = 1000;
const ROWS = 2000;
/**
 * On SQLite, the least time between the end of one of the scan's transactions and the start of the next: longer
 * than a waiting writer's longest pause between tries (MAX_WAIT_MS in store/sqlite/index.ts, 20 ms), so live ingest
 * waiting for the lock takes it after one of the scan's transactions, not after a run of them back to back.
 */
const GAP_MS = 25;

export async function runChunkedAudit(store: Store, lease: ScanLease, opts: Omit<AuditOptions, "store" | "writer">): Promise<AuditResult> {
  return store.snapshot(async (view) => {
    const audit = await beginAudit({ ...opts, store: view, writer: chunkedWriter(store, view, lease) });
    for await (const page of view.fleet.devicePages(PAGE)) await audit.devices(page);
    return audit.finish();
  });
}

function chunkedWriter(store: Store, view: StoreTx, lease: ScanLease): ScanWriter {
  // Every write under the lease, and on SQLite a gap before each that follows another closely (see GAP_MS).
  const gap = store.engine === "sqlite" ? GAP_MS : 0;
  let last = -Infinity;
  const write = async <T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> => {
    const idle = performance.now() - last;
    if (idle < gap) await sleep(gap - idle);
    try {
      return await store.transaction(async (tx) => {
        await lease.check(tx);
        return fn(tx);
      });
    } finally {
      last = performance.now();
    }
  };
  return {
    async begin(startedAt, rules, settings) {
      // The previous scan's open findings from the snapshot (the lease keeps it the latest), not in the transaction.
      const known = await view.findings.openFindings();
      return write((tx) => tx.findings.beginScan(startedAt, rules, settings, known));
    },
    async record(scan, findings) {
      const out: FindingStatus[] = [];
      for (let i = 0; i < findings.length; i += ROWS) {
        out.push(
          ...(await write(async (tx) => {
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
    async finish(scan, finishedAt, counts, forecast) {
      // The finish's rows (fixed and carried-forward findings, older scans' rows removed) in short transactions of
      // their own, under the unfinished scan; its counts read outside any transaction; so the last transaction, the
      // one that makes the scan the latest, writes only a few rows.
      while (await write((tx) => tx.findings.finishAhead(scan, ROWS)));
      await store.findings.countAhead(scan);
      return write((tx) => writerIn(tx).finish(scan, finishedAt, counts, forecast));
    },
  };
}
