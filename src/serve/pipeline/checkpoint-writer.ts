/**
 * A checkpoint written in steps, so neither a large state nor its store writes hold the event loop (or the store's
 * write lock) for long: the pipeline's one writer runs a step, then a group of journal appends, then the next step.
 *
 * 1. `snapshot` (synchronous, the only step that must not be interleaved with records): the engine's state encoded
 *    and copied into 1 MiB pieces, the alerts changed since the last committed checkpoint, the journal position it
 *    covers. Records flow again as soon as it returns.
 * 2. Steps: readying the staging area (removing the pieces of the state before the last one, a few per step), then
 *    one piece per step, each its own small write (StagedState in store/live.ts).
 * 3. The one commit that matters: the staged state named as the checkpoint and its alerts and applied feedback
 *    written, in one transaction — a crash before it leaves the previous checkpoint and the journal after it, exactly
 *    as before staging began.
 * 4. Then the journal the checkpoint covers is deleted, a few hundred entries per step (no replay reads it: replays
 *    start after the checkpoint's seq).
 */
import type { Alert } from "../../core/record.ts";
import { crc32 } from "node:zlib";
import { stateTail } from "../../detect/state-stream.ts";
import { splitPieces } from "../../store/live-chunks.ts";
import type { StagedState, Store } from "../../store/store.ts";

export interface CheckpointSnapshot {
  /** The state, copied (the engine moves on meanwhile), without its CRC tail: the writer sums the pieces as it stages them and adds it. */
  readonly pieces: readonly Uint8Array[];
  readonly seq: number;
  readonly at: number;
  readonly meta: string;
  readonly alerts: readonly Alert[];
  /** When the alerts were saved (ISO 8601, the pipeline's clock). */
  readonly savedAt: string;
  readonly learned: readonly string[];
}

/** Where a write is after a step: still before its commit, just committed, or finished (the journal pruned too). */
export type StepOutcome = "staging" | "committed" | "finished";

export class StagedCheckpointWrite {
  private first: number | undefined;
  private staged = 0;
  private committed = false;
  private crc = 0;
  /** With the CRC tail. */
  readonly bytes: number;
  /** Milliseconds of store work up to the commit (all its steps), for the metrics. */
  storeMs = 0;

  constructor(
    private readonly store: Store,
    private readonly pipeline: string,
    readonly snap: CheckpointSnapshot,
  ) {
    this.bytes = snap.pieces.reduce((n, p) => n + p.byteLength, 4);
  }

  /** Copies the chunks of an engine's state stream, read with `crc: false`, into pieces (the synchronous part of a checkpoint). */
  static copy(chunks: Iterable<Uint8Array>): Uint8Array[] {
    return splitPieces(chunks);
  }

  /** Runs the next step. A failure before the commit fails the checkpoint; one after it only leaves journal behind. */
  async step(): Promise<StepOutcome> {
    const t0 = performance.now();
    const pruning = this.committed;
    try {
      if (this.committed) {
        const r = await this.store.live.pruneJournal(this.pipeline, this.snap.seq);
        return r.done ? "finished" : "committed";
      }
      if (this.first === undefined) {
        const r = await this.store.live.prepareState(this.pipeline);
        if (r.cleared) this.first = r.first;
        return "staging";
      }
      if (this.staged <= this.snap.pieces.length) {
        // The stream's CRC-32 over the copies (encodeState crc: false), so the snapshot did not have to; then its tail.
        const piece = this.staged < this.snap.pieces.length ? this.snap.pieces[this.staged]! : stateTail(this.crc);
        if (this.staged < this.snap.pieces.length) this.crc = crc32(piece, this.crc);
        await this.store.live.stageState(this.pipeline, this.first + this.staged, piece);
        this.staged++;
        return "staging";
      }
      await this.commit(this.first);
      this.committed = true;
      return "committed";
    } finally {
      // Up to the commit: what the metrics report for the checkpoint.
      if (!pruning) this.storeMs += performance.now() - t0;
    }
  }

  private async commit(first: number): Promise<void> {
    const { seq, at, meta, alerts, learned, savedAt } = this.snap;
    const staged: StagedState = { first, pieces: this.snap.pieces.length + 1, bytes: this.bytes };
    await this.store.transaction(async (tx) => {
      await tx.live.saveCheckpoint(this.pipeline, { seq, at, meta, staged });
      if (alerts.length > 0) await tx.alerts.upsert(alerts, savedAt);
      if (learned.length > 0) await tx.alerts.markFeedbackApplied(learned);
    });
  }
}
