/**
 * The store's turn to scan: scans of one store run one at a time, also across processes, from before their imports
 * until their finish — including a scan that writes in many short transactions (scan-chunked.ts), which no
 * transaction-scoped lock can cover. It is a lease of the scale-out repository (store/scale.ts), so a crashed holder's
 * turn ends by itself: when its lease expires, or at once when the holder was a process on this host that is gone.
 * The next scan's `beginScan` then removes the crashed scan's rows.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { LongwatchError } from "../core/errors.ts";
import type { Store, StoreTx } from "../store/store.ts";

/** The lease's stream name in scale_leases: no NATS stream name has a colon, so none of scale-out's can clash. */
export const SCAN_STREAM = ":scan";
const TTL_MS = 60_000;
/** Renewed well within the TTL, so a busy event loop or a long batch does not let it lapse. */
const RENEW_MS = 10_000;
const MAX_WAIT_MS = 1000;

export interface ScanLease {
  readonly owner: string;
  /**
   * Extends the lease within `tx`, or throws `conflict` when it is no longer this scan's (it lapsed and another scan
   * took over). A chunked scan calls it in every transaction that writes its rows, so it writes only while it holds.
   */
  check(tx: StoreTx): Promise<void>;
  /** Lets the next scan go at once. */
  release(): Promise<void>;
}

/** Waits for the store's turn to scan (as long as another scan holds it) and takes it. */
export async function takeScanLease(store: Store): Promise<ScanLease> {
  const host = hostname();
  const owner = `${host}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let epoch: number;
  for (let wait = 20; ; wait = Math.min(2 * wait, MAX_WAIT_MS)) {
    const lease = await store.scale.acquire(SCAN_STREAM, 0, owner, TTL_MS);
    if (lease) {
      epoch = lease.epoch;
      break;
    }
    const [held] = await store.scale.leases(SCAN_STREAM);
    // A holder that crashed on this host need not be waited for until its lease expires.
    if (held && gone(held.owner, host)) await store.scale.release(SCAN_STREAM, 0, held.owner, held.epoch);
    else await sleep(wait);
  }
  const mine = [{ part: 0, epoch }];
  // Errors are left to `check`, which the scan's writes call: a timer has no one to tell.
  const timer = setInterval(() => void store.scale.renew(SCAN_STREAM, owner, mine, TTL_MS).catch(() => undefined), RENEW_MS);
  timer.unref();
  return {
    owner,
    async check(tx) {
      const held = await tx.scale.renew(SCAN_STREAM, owner, mine, TTL_MS);
      if (held.length === 0) throw new LongwatchError("conflict", `the scan lost its turn on the store (its lease ${owner} lapsed and another scan took over): it stopped without finishing`, { owner });
    },
    async release() {
      clearInterval(timer);
      await store.scale.release(SCAN_STREAM, 0, owner, epoch);
    },
  };
}

/** Whether a lease owner (host:pid:…) was a process of this host that no longer runs. */
function gone(owner: string, host: string): boolean {
  const [h, p] = owner.split(":");
  const pid = Number(p);
  if (h !== host || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // EPERM: the process exists under another user.
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}
