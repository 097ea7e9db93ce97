/**
 * Port: what scale-out workers share (docs/scale.md). A **lease** gives one worker one unit of work — a partition of
 * the records stream, or the fleet stage — until it expires; its `epoch` grows every time the unit changes hands, and
 * a checkpoint is written only under the epoch it was taken with, so a worker that lost its lease (paused, cut off)
 * can never overwrite the work of the one that took over. A **checkpoint** is a unit's detection state with the
 * stream sequence it covers, written in the same transaction as the alerts it raised. Workers say they are alive
 * with a **heartbeat**, so each can work out its fair share of the units.
 *
 * Times are epoch ms by the store's clock: PostgreSQL's own (one clock for workers on many hosts), the process clock
 * for SQLite (one host).
 */

export interface Lease {
  stream: string;
  part: number;
  owner: string;
  epoch: number;
  /** Epoch ms. */
  expires_at: number;
}

export interface NewScaleCheckpoint {
  /** The stream sequence of the last message the state includes. */
  seq: number;
  /** Records the unit has taken in, all told (for "nothing lost, nothing twice" checks). */
  records: number;
  /** Event time the state had reached. */
  at: number;
  /** Anything else to restore with the state, as JSON text. */
  meta: string;
  /** The whole state, replacing what is stored (cut into pieces: cutPieces)… */
  chunks?: Iterable<Uint8Array>;
  /** … or only the pieces that changed since the stored checkpoint (the unit knows which: src/scale/state-pieces.ts). */
  pieces?: StatePiecesWrite;
}

/** A state written piece by piece: stored pieces not named in `changed` are kept, those numbered `count` on dropped. */
export interface StatePiecesWrite {
  changed: Iterable<{ n: number; bytes: Uint8Array }>;
  /** Read after `changed`: the pieces the state has, and its bytes, all told. */
  readonly count: number;
  readonly bytes: number;
}

export interface ScaleCheckpointInfo {
  part: number;
  seq: number;
  records: number;
  at: number;
  saved_at: string;
  bytes: number;
  meta: string;
}

export interface StoredScaleCheckpoint extends ScaleCheckpointInfo {
  /** The state in the order it was saved: one chunk per stored piece. */
  chunks(): AsyncIterable<Uint8Array>;
}

export interface ScaleRepository {
  /** Says `worker` is alive for `ttlMs` more; forgets workers whose time ran out; returns the live ones, by name. */
  heartbeat(stream: string, worker: string, ttlMs: number): Promise<string[]>;
  /** A clean exit: forgets the worker and lets its leases go at once. */
  leave(stream: string, worker: string): Promise<void>;
  /**
   * Takes unit `part` for `worker` when nobody holds it, its lease expired, or it is the worker's own (then extended).
   * Returns the lease, or undefined when another worker holds it.
   */
  acquire(stream: string, part: number, worker: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends the worker's leases that are still its own under the same epoch; returns the parts it still holds. */
  renew(stream: string, worker: string, leases: readonly { part: number; epoch: number }[], ttlMs: number): Promise<number[]>;
  /** Lets a lease go (after its last checkpoint) so another worker can take it at once. */
  release(stream: string, part: number, worker: string, epoch: number): Promise<void>;
  /** Ordered by part. */
  leases(stream: string): Promise<Lease[]>;
  /**
   * Replaces the unit's checkpoint — only while `lease` is the current one (same owner and epoch), else `conflict`.
   * Call it in the transaction that writes the checkpoint's alerts, so both are committed or neither. Returns the
   * state's bytes and the bytes of the pieces written.
   */
  saveCheckpoint(stream: string, part: number, lease: { owner: string; epoch: number }, cp: NewScaleCheckpoint): Promise<{ bytes: number; written: number }>;
  loadCheckpoint(stream: string, part: number): Promise<StoredScaleCheckpoint | undefined>;
  /** Every unit's checkpoint without its state, ordered by part. */
  checkpoints(stream: string): Promise<ScaleCheckpointInfo[]>;
}

/** The fleet stage's unit number: after the partitions' 0 … n-1. */
export const FLEET_UNIT = -1;

/** What a checkpoint writes: the pieces it names, or every piece of its whole state. */
export function piecesOf(cp: NewScaleCheckpoint): StatePiecesWrite {
  if (cp.pieces) return cp.pieces;
  let count = 0;
  let bytes = 0;
  const chunks = cp.chunks ?? [];
  return {
    changed: (function* () {
      for (const piece of cutPieces(chunks)) {
        bytes += piece.byteLength;
        yield { n: count++, bytes: piece };
      }
    })(),
    get count() {
      return count;
    },
    get bytes() {
      return bytes;
    },
  };
}

/** Bytes a piece holds at most: 128 KiB is 32,768 devices of a 4-byte column. */
export const PIECE_BYTES = 128 << 10;

/**
 * Cuts a state's chunks into the pieces stored as rows (views where a piece lies within one chunk): a chunk of a
 * piece or more is cut at fixed offsets from its own start, so a part whose bytes did not move keeps its pieces byte
 * for byte however the parts before it grew; smaller chunks are packed together.
 */
export function* cutPieces(chunks: Iterable<Uint8Array>, size = PIECE_BYTES): Generator<Uint8Array> {
  let packed: Uint8Array[] = [];
  let packedBytes = 0;
  const flush = () => {
    const piece = packed.length === 1 ? packed[0]! : Buffer.concat(packed, packedBytes);
    packed = [];
    packedBytes = 0;
    return piece;
  };
  for (const c of chunks) {
    if (c.byteLength === 0) continue;
    if (c.byteLength < size) {
      if (packedBytes + c.byteLength > size) yield flush();
      packed.push(c);
      packedBytes += c.byteLength;
      continue;
    }
    if (packedBytes > 0) yield flush();
    for (let at = 0; at < c.byteLength; at += size) yield c.subarray(at, Math.min(c.byteLength, at + size));
  }
  if (packedBytes > 0) yield flush();
}
