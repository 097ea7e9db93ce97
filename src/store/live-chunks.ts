/** Shared by the adapters: a checkpoint's many small state chunks written as pieces of about 1 MiB. */
export const PIECE = 1 << 20;

export function* coalesce(chunks: Iterable<Uint8Array>): Generator<Buffer> {
  let parts: Uint8Array[] = [];
  let size = 0;
  for (const c of chunks) {
    if (c.byteLength === 0) continue;
    parts.push(c);
    size += c.byteLength;
    if (size >= PIECE) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
}

/**
 * Staged states (StagedState) alternate between two ranges of piece numbers, [0, SLOT) and [SLOT, 2·SLOT): the
 * pieces the current checkpoint names are never overwritten, and the numbers never grow (2·10⁹ fits PostgreSQL's
 * INTEGER; 10⁹ pieces of 1 MiB is more state than any store holds).
 */
export const SLOT = 1_000_000_000;

/** The pieces a checkpoint row names: [lo, hi). A row from before staging (pieces NULL) names 0, 1, … up to a gap. */
export function namedRange(row: { first_n: number; pieces: number | null } | undefined): { lo: number; hi: number } {
  if (!row) return { lo: 0, hi: 0 };
  return row.pieces === null ? { lo: row.first_n, hi: SLOT } : { lo: row.first_n, hi: row.first_n + row.pieces };
}

/** Where the next staged state goes: the slot the current checkpoint does not use. */
export function nextFirst(named: { lo: number; hi: number }): number {
  return named.hi > named.lo && named.lo < SLOT ? SLOT : 0;
}

/** The chunks copied into pieces of exactly `size` bytes (the last one shorter): what a staged state is written as. */
export function splitPieces(chunks: Iterable<Uint8Array>, size = PIECE): Buffer[] {
  const out: Buffer[] = [];
  let piece = Buffer.allocUnsafe(size);
  let used = 0;
  for (const c of chunks) {
    for (let at = 0; at < c.byteLength; ) {
      const n = Math.min(size - used, c.byteLength - at);
      piece.set(c.subarray(at, at + n), used);
      used += n;
      at += n;
      if (used === size) {
        out.push(piece);
        piece = Buffer.allocUnsafe(size);
        used = 0;
      }
    }
  }
  if (used > 0) out.push(piece.subarray(0, used));
  return out;
}
