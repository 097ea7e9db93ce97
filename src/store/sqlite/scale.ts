import type Database from "better-sqlite3";
import { LongwatchError } from "../../core/errors.ts";
import { type Lease, type NewScaleCheckpoint, type ScaleCheckpointInfo, type ScaleRepository, type StoredScaleCheckpoint, piecesOf } from "../scale.ts";
import type { StoreEnv } from "../store.ts";

/**
 * Leases on SQLite use the process clock: workers sharing one SQLite file are on one host, so they share it too.
 * (Workers on several hosts need PostgreSQL: a SQLite file on a network filesystem cannot be locked safely.)
 */
export class SqliteScale implements ScaleRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly env: StoreEnv,
  ) {}

  async heartbeat(stream: string, worker: string, ttlMs: number): Promise<string[]> {
    const now = this.env.now();
    return this.db.transaction(() => {
      this.db.prepare("INSERT INTO scale_workers (stream, worker, expires_at) VALUES (?, ?, ?) ON CONFLICT (stream, worker) DO UPDATE SET expires_at = excluded.expires_at").run(stream, worker, now + ttlMs);
      this.db.prepare("DELETE FROM scale_workers WHERE stream = ? AND expires_at <= ?").run(stream, now);
      return this.db.prepare("SELECT worker FROM scale_workers WHERE stream = ? ORDER BY worker").pluck().all(stream) as string[];
    })();
  }

  async leave(stream: string, worker: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM scale_workers WHERE stream = ? AND worker = ?").run(stream, worker);
      this.db.prepare("UPDATE scale_leases SET expires_at = 0 WHERE stream = ? AND owner = ?").run(stream, worker);
    })();
  }

  async acquire(stream: string, part: number, worker: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.env.now();
    const row = this.db
      .prepare(
        `INSERT INTO scale_leases (stream, part, owner, epoch, expires_at) VALUES (@stream, @part, @worker, 1, @until)
         ON CONFLICT (stream, part) DO UPDATE SET
           epoch = CASE WHEN scale_leases.owner = excluded.owner AND scale_leases.expires_at > @now THEN scale_leases.epoch ELSE scale_leases.epoch + 1 END,
           owner = excluded.owner, expires_at = excluded.expires_at
         WHERE scale_leases.owner = excluded.owner OR scale_leases.expires_at <= @now
         RETURNING stream, part, owner, epoch, expires_at`,
      )
      .get({ stream, part, worker, until: now + ttlMs, now }) as Lease | undefined;
    return row;
  }

  async renew(stream: string, worker: string, leases: readonly { part: number; epoch: number }[], ttlMs: number): Promise<number[]> {
    const until = this.env.now() + ttlMs;
    const st = this.db.prepare("UPDATE scale_leases SET expires_at = ? WHERE stream = ? AND part = ? AND owner = ? AND epoch = ?");
    return this.db.transaction(() => leases.filter((l) => st.run(until, stream, l.part, worker, l.epoch).changes === 1).map((l) => l.part))();
  }

  async release(stream: string, part: number, worker: string, epoch: number): Promise<void> {
    this.db.prepare("UPDATE scale_leases SET expires_at = 0 WHERE stream = ? AND part = ? AND owner = ? AND epoch = ?").run(stream, part, worker, epoch);
  }

  async leases(stream: string): Promise<Lease[]> {
    return this.db.prepare("SELECT stream, part, owner, epoch, expires_at FROM scale_leases WHERE stream = ? ORDER BY part").all(stream) as Lease[];
  }

  async saveCheckpoint(stream: string, part: number, lease: { owner: string; epoch: number }, cp: NewScaleCheckpoint): Promise<{ bytes: number; written: number }> {
    return this.db.transaction(() => {
      const held = this.db.prepare("SELECT owner, epoch FROM scale_leases WHERE stream = ? AND part = ?").get(stream, part) as { owner: string; epoch: number } | undefined;
      if (!held || held.owner !== lease.owner || held.epoch !== lease.epoch) throw lost(stream, part, lease, held);
      const put = this.db.prepare("INSERT INTO scale_state_chunks (stream, part, n, bytes) VALUES (?, ?, ?, ?) ON CONFLICT (stream, part, n) DO UPDATE SET bytes = excluded.bytes");
      const pieces = piecesOf(cp);
      let written = 0;
      for (const piece of pieces.changed) {
        put.run(stream, part, piece.n, piece.bytes);
        written += piece.bytes.byteLength;
      }
      this.db.prepare("DELETE FROM scale_state_chunks WHERE stream = ? AND part = ? AND n >= ?").run(stream, part, pieces.count);
      const bytes = pieces.bytes;
      this.db
        .prepare(
          `INSERT INTO scale_checkpoints (stream, part, seq, records, at, saved_at, bytes, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (stream, part) DO UPDATE SET seq = excluded.seq, records = excluded.records, at = excluded.at, saved_at = excluded.saved_at, bytes = excluded.bytes, meta = excluded.meta`,
        )
        .run(stream, part, cp.seq, cp.records, cp.at, new Date(this.env.now()).toISOString(), bytes, cp.meta);
      return { bytes, written };
    })();
  }

  async loadCheckpoint(stream: string, part: number): Promise<StoredScaleCheckpoint | undefined> {
    const info = this.db.prepare("SELECT part, seq, records, at, saved_at, bytes, meta FROM scale_checkpoints WHERE stream = ? AND part = ?").get(stream, part) as ScaleCheckpointInfo | undefined;
    if (!info) return undefined;
    const pieces = (this.db.prepare("SELECT bytes FROM scale_state_chunks WHERE stream = ? AND part = ? ORDER BY n").pluck().all(stream, part) as Buffer[]).map((b) => new Uint8Array(b));
    return { ...info, chunks: () => iterate(pieces) };
  }

  async checkpoints(stream: string): Promise<ScaleCheckpointInfo[]> {
    return this.db.prepare("SELECT part, seq, records, at, saved_at, bytes, meta FROM scale_checkpoints WHERE stream = ? ORDER BY part").all(stream) as ScaleCheckpointInfo[];
  }
}

export function lost(stream: string, part: number, lease: { owner: string; epoch: number }, held: { owner: string; epoch: number } | undefined): LongwatchError {
  return new LongwatchError("conflict", `${stream} unit ${part}: the lease of ${lease.owner} (epoch ${lease.epoch}) is no longer current${held ? ` (${held.owner} holds epoch ${held.epoch})` : ""}: its checkpoint is not written`, { stream, part });
}

async function* iterate(pieces: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* pieces;
}
