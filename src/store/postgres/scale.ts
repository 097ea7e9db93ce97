import { type Lease, type NewScaleCheckpoint, type ScaleCheckpointInfo, type ScaleRepository, type StoredScaleCheckpoint, piecesOf } from "../scale.ts";
import { lost } from "../sqlite/scale.ts";
import type { StoreEnv } from "../store.ts";
import type { PgDb } from "./db.ts";

/** The database's clock, epoch ms: every worker, on whatever host, judges leases by the same one. */
const NOW = "(extract(epoch from clock_timestamp()) * 1000)::float8";

export class PgScale implements ScaleRepository {
  constructor(
    private readonly db: PgDb,
    private readonly env: StoreEnv,
  ) {}

  async heartbeat(stream: string, worker: string, ttlMs: number): Promise<string[]> {
    return this.db.transaction(async (db) => {
      await db.query(`INSERT INTO scale_workers (stream, worker, expires_at) VALUES ($1, $2, ${NOW} + $3) ON CONFLICT (stream, worker) DO UPDATE SET expires_at = excluded.expires_at`, [stream, worker, ttlMs]);
      await db.query(`DELETE FROM scale_workers WHERE stream = $1 AND expires_at <= ${NOW}`, [stream]);
      return (await db.query<{ worker: string }>(`SELECT worker FROM scale_workers WHERE stream = $1 ORDER BY worker COLLATE "C"`, [stream])).map((r) => r.worker);
    });
  }

  async leave(stream: string, worker: string): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.query("DELETE FROM scale_workers WHERE stream = $1 AND worker = $2", [stream, worker]);
      await db.query("UPDATE scale_leases SET expires_at = 0 WHERE stream = $1 AND owner = $2", [stream, worker]);
    });
  }

  async acquire(stream: string, part: number, worker: string, ttlMs: number): Promise<Lease | undefined> {
    const [row] = await this.db.query<Lease>(
      `INSERT INTO scale_leases AS l (stream, part, owner, epoch, expires_at) VALUES ($1, $2, $3, 1, ${NOW} + $4)
       ON CONFLICT (stream, part) DO UPDATE SET
         epoch = CASE WHEN l.owner = excluded.owner AND l.expires_at > ${NOW} THEN l.epoch ELSE l.epoch + 1 END,
         owner = excluded.owner, expires_at = excluded.expires_at
       WHERE l.owner = excluded.owner OR l.expires_at <= ${NOW}
       RETURNING stream, part, owner, epoch, expires_at`,
      [stream, part, worker, ttlMs],
    );
    return row;
  }

  async renew(stream: string, worker: string, leases: readonly { part: number; epoch: number }[], ttlMs: number): Promise<number[]> {
    if (leases.length === 0) return [];
    const rows = await this.db.query<{ part: number }>(
      `UPDATE scale_leases l SET expires_at = ${NOW} + $3 FROM unnest($4::int[], $5::bigint[]) AS x(part, epoch)
       WHERE l.stream = $1 AND l.owner = $2 AND l.part = x.part AND l.epoch = x.epoch RETURNING l.part`,
      [stream, worker, ttlMs, leases.map((l) => l.part), leases.map((l) => l.epoch)],
    );
    const held = new Set(rows.map((r) => r.part));
    return leases.map((l) => l.part).filter((p) => held.has(p));
  }

  async release(stream: string, part: number, worker: string, epoch: number): Promise<void> {
    await this.db.query("UPDATE scale_leases SET expires_at = 0 WHERE stream = $1 AND part = $2 AND owner = $3 AND epoch = $4", [stream, part, worker, epoch]);
  }

  async leases(stream: string): Promise<Lease[]> {
    return this.db.query<Lease>("SELECT stream, part, owner, epoch, expires_at FROM scale_leases WHERE stream = $1 ORDER BY part", [stream]);
  }

  async saveCheckpoint(stream: string, part: number, lease: { owner: string; epoch: number }, cp: NewScaleCheckpoint): Promise<{ bytes: number; written: number }> {
    return this.db.transaction(async (db) => {
      // FOR UPDATE: a worker taking the lease over waits until this checkpoint is committed, and then sees it.
      const [held] = await db.query<{ owner: string; epoch: number }>("SELECT owner, epoch FROM scale_leases WHERE stream = $1 AND part = $2 FOR UPDATE", [stream, part]);
      if (!held || held.owner !== lease.owner || held.epoch !== lease.epoch) throw lost(stream, part, lease, held);
      const pieces = piecesOf(cp);
      let written = 0;
      // One statement a piece: a Buffer parameter travels in binary, where a bytea[] of many would go as hex text.
      for (const piece of pieces.changed) {
        await db.query("INSERT INTO scale_state_chunks (stream, part, n, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (stream, part, n) DO UPDATE SET bytes = excluded.bytes", [stream, part, piece.n, Buffer.from(piece.bytes.buffer, piece.bytes.byteOffset, piece.bytes.byteLength)]);
        written += piece.bytes.byteLength;
      }
      await db.query("DELETE FROM scale_state_chunks WHERE stream = $1 AND part = $2 AND n >= $3", [stream, part, pieces.count]);
      const bytes = pieces.bytes;
      await db.query(
        `INSERT INTO scale_checkpoints (stream, part, seq, records, at, saved_at, bytes, meta) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (stream, part) DO UPDATE SET seq = excluded.seq, records = excluded.records, at = excluded.at, saved_at = excluded.saved_at, bytes = excluded.bytes, meta = excluded.meta`,
        [stream, part, cp.seq, cp.records, cp.at, new Date(this.env.now()).toISOString(), bytes, cp.meta],
      );
      return { bytes, written };
    });
  }

  async loadCheckpoint(stream: string, part: number): Promise<StoredScaleCheckpoint | undefined> {
    const [info] = await this.db.query<ScaleCheckpointInfo>("SELECT part, seq, records, at, saved_at, bytes, meta FROM scale_checkpoints WHERE stream = $1 AND part = $2", [stream, part]);
    if (!info) return undefined;
    const pieces = (await this.db.query<{ bytes: Buffer }>("SELECT bytes FROM scale_state_chunks WHERE stream = $1 AND part = $2 ORDER BY n", [stream, part])).map((r) => new Uint8Array(r.bytes));
    return { ...info, chunks: () => iterate(pieces) };
  }

  async checkpoints(stream: string): Promise<ScaleCheckpointInfo[]> {
    return this.db.query<ScaleCheckpointInfo>("SELECT part, seq, records, at, saved_at, bytes, meta FROM scale_checkpoints WHERE stream = $1 ORDER BY part", [stream]);
  }
}

async function* iterate(pieces: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* pieces;
}
