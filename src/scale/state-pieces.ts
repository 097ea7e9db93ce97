/**
 * A unit's checkpoint state as numbered pieces, and which of them changed since the last committed checkpoint — so
 * a checkpoint writes what changed instead of the whole state (docs/scale.md "Checkpoints write what changed").
 *
 * The state stream (detect/state-stream.ts) comes as chunks: a small head and header, then each part's bytes (device
 * index, one chunk per state column, detectors' arrays), cut into the pieces the store keeps as rows (cutPieces, in
 * the store: a column whose devices did not move keeps its pieces byte for byte). Each piece is known by its SHA-256
 * (kept in memory, 32 bytes a piece), and only pieces whose hash differs from the stored piece of the same number
 * are written.
 */
import { createHash } from "node:crypto";
import { cutPieces } from "../store/scale.ts";

export { PIECE_BYTES } from "../store/scale.ts";

function digest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64");
}

export interface StateDiff {
  /** Pieces the state has: stored pieces numbered from this on are gone. */
  count: number;
  /** The pieces to write (each numbered), read as the state is: consume them before the engine moves on. */
  changed: Iterable<{ n: number; bytes: Uint8Array }>;
  /** Bytes of the whole state, and of the pieces written (known once `changed` has been read). */
  readonly bytes: number;
  readonly written: number;
  /** Call once the pieces are committed: they become what the next checkpoint is compared with. */
  commit(): void;
}

/** The hashes of a unit's stored pieces, by number; compares a new state with them. */
export class StatePieces {
  private stored: string[] = [];

  /** Learns the stored pieces from a restored checkpoint's chunks (one per stored piece, in order) as they pass. */
  async *learn(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    this.stored = [];
    for await (const c of chunks) {
      this.stored.push(digest(c));
      yield c;
    }
  }

  /**
   * Forgets what is stored (a checkpoint whose commit is in doubt — the connection failed mid-commit — may or may
   * not be in the store): the next checkpoint writes every piece.
   */
  forget(): void {
    this.stored = [];
  }

  diff(chunks: Iterable<Uint8Array>): StateDiff {
    const next: string[] = [];
    let bytes = 0;
    let written = 0;
    const stored = this.stored;
    const changed = function* () {
      for (const piece of cutPieces(chunks)) {
        const n = next.length;
        const h = digest(piece);
        next.push(h);
        bytes += piece.byteLength;
        if (stored[n] === h) continue;
        written += piece.byteLength;
        yield { n, bytes: piece };
      }
    };
    // `count` is known only once every piece has been cut: the store reads it after the changed pieces.
    return {
      get count() {
        return next.length;
      },
      changed: changed(),
      get bytes() {
        return bytes;
      },
      get written() {
        return written;
      },
      commit: () => {
        this.stored = next;
      },
    };
  }
}
