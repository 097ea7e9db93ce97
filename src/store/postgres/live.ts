import type { StoreEnv } from "../store.ts";
import type { DeadLetterFilter, JournalEntry, LiveRepository, NewCheckpoint, NewDeadLetter, NewJournalEntry, StoredCheckpoint, StoredDeadLetter } from "../live.ts";
import { LongwatchError } from "../../core/errors.ts";
import { coalesce, namedRange, nextFirst } from "../live-chunks.ts";
import { chunks, type PgDb } from "./db.ts";

interface LetterRow extends Omit<StoredDeadLetter, "error"> {
  error: string | null;
}

export class PgLive implements LiveRepository {
  constructor(
    private readonly db: PgDb,
    private readonly env: StoreEnv,
  ) {}

  async append(pipeline: string, entries: readonly NewJournalEntry[], positions: Readonly<Record<string, string>> = {}): Promise<number[]> {
    return this.db.transaction(async (db) => {
      const seqs: number[] = [];
      // One row at a time keeps the sequence in the given order; bodies are large and few, so round trips are not the cost.
      for (const e of entries) {
        const [r] = await db.query<{ seq: number }>("INSERT INTO live_journal (pipeline, source, received_at, meta, body) VALUES ($1, $2, $3, $4, $5) RETURNING seq", [pipeline, e.source, e.received_at, e.meta, asBuffer(e.body)]);
        seqs.push(r!.seq);
      }
      const pos = Object.entries(positions);
      if (pos.length > 0) {
        await db.query(
          `INSERT INTO live_positions (pipeline, source, position) SELECT $1, s, p FROM unnest($2::text[], $3::text[]) AS t(s, p)
           ON CONFLICT (pipeline, source) DO UPDATE SET position = excluded.position`,
          [pipeline, pos.map((x) => x[0]), pos.map((x) => x[1])],
        );
      }
      return seqs;
    });
  }

  async *journal(pipeline: string, afterSeq: number, pageSize = 500): AsyncIterable<JournalEntry[]> {
    for (let after = afterSeq; ; ) {
      const rows = await this.db.query<{ seq: number; source: string; received_at: number; meta: string; body: Buffer }>(
        "SELECT seq, source, received_at, meta, body FROM live_journal WHERE pipeline = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        [pipeline, after, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => ({ seq: r.seq, source: r.source, received_at: r.received_at, meta: r.meta, body: new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.byteLength) }));
      after = rows[rows.length - 1]!.seq;
    }
  }

  async saveCheckpoint(pipeline: string, cp: NewCheckpoint): Promise<{ bytes: number }> {
    return this.db.transaction(async (db) => {
      let bytes = 0;
      let first = 0;
      let pieces = 0;
      if (cp.staged) {
        ({ first, pieces, bytes } = cp.staged);
        const [r] = await db.query<{ n: number }>("SELECT count(*) AS n FROM live_state_chunks WHERE pipeline = $1 AND n >= $2 AND n < $3", [pipeline, first, first + pieces]);
        if (r!.n !== pieces) throw new LongwatchError("conflict", `pipeline ${pipeline}: ${r!.n} of the ${pieces} staged state pieces from ${first} are there; was the staging removed meanwhile?`);
      } else {
        await db.query("DELETE FROM live_state_chunks WHERE pipeline = $1", [pipeline]);
        for (const piece of coalesce(cp.chunks ?? [])) {
          await db.query("INSERT INTO live_state_chunks (pipeline, n, bytes) VALUES ($1, $2, $3)", [pipeline, pieces++, piece]);
          bytes += piece.byteLength;
        }
      }
      await db.query(
        `INSERT INTO live_checkpoints (pipeline, seq, at, saved_at, meta, bytes, first_n, pieces) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (pipeline) DO UPDATE SET seq = excluded.seq, at = excluded.at, saved_at = excluded.saved_at, meta = excluded.meta, bytes = excluded.bytes,
           first_n = excluded.first_n, pieces = excluded.pieces`,
        [pipeline, cp.seq, cp.at, new Date(this.env.now()).toISOString(), cp.meta, bytes, first, pieces],
      );
      if (!cp.staged) await db.query("DELETE FROM live_journal WHERE pipeline = $1 AND seq <= $2", [pipeline, cp.seq]);
      return { bytes };
    });
  }

  async pruneJournal(pipeline: string, upToSeq: number, limit = 500): Promise<{ deleted: number; done: boolean }> {
    const rows = await this.db.query<{ seq: number }>("SELECT seq FROM live_journal WHERE pipeline = $1 AND seq <= $2 ORDER BY seq LIMIT $3", [pipeline, upToSeq, limit + 1]);
    const drop = rows.slice(0, limit);
    if (drop.length > 0) await this.db.query("DELETE FROM live_journal WHERE pipeline = $1 AND seq >= $2 AND seq <= $3", [pipeline, drop[0]!.seq, drop[drop.length - 1]!.seq]);
    return { deleted: drop.length, done: rows.length <= limit };
  }

  async prepareState(pipeline: string, limit = 8): Promise<{ first: number; cleared: boolean }> {
    return this.db.transaction(async (db) => {
      const [row] = await db.query<{ first_n: number; pieces: number | null }>("SELECT first_n, pieces FROM live_checkpoints WHERE pipeline = $1", [pipeline]);
      const named = namedRange(row);
      const stale = await db.query<{ n: number }>("SELECT n FROM live_state_chunks WHERE pipeline = $1 AND (n < $2 OR n >= $3) ORDER BY n LIMIT $4", [pipeline, named.lo, named.hi, limit + 1]);
      const drop = stale.slice(0, limit).map((r) => r.n);
      if (drop.length > 0) await db.query("DELETE FROM live_state_chunks WHERE pipeline = $1 AND n = ANY($2::int[])", [pipeline, drop]);
      return { first: nextFirst(named), cleared: stale.length <= limit };
    });
  }

  async stageState(pipeline: string, n: number, piece: Uint8Array): Promise<void> {
    await this.db.query("INSERT INTO live_state_chunks (pipeline, n, bytes) VALUES ($1, $2, $3)", [pipeline, n, asBuffer(piece)]);
  }

  async loadCheckpoint(pipeline: string): Promise<StoredCheckpoint | undefined> {
    const [r] = await this.db.query<Omit<StoredCheckpoint, "chunks"> & { first_n: number; pieces: number | null }>("SELECT seq, at, saved_at, meta, bytes, first_n, pieces FROM live_checkpoints WHERE pipeline = $1", [pipeline]);
    if (!r) return undefined;
    const { first_n, pieces, ...row } = r;
    const { lo, hi } = namedRange({ first_n, pieces });
    const db = this.db;
    return {
      ...row,
      async *chunks() {
        for (let n = lo; n < hi; n++) {
          const [c] = await db.query<{ bytes: Buffer }>("SELECT bytes FROM live_state_chunks WHERE pipeline = $1 AND n = $2", [pipeline, n]);
          if (!c) return;
          yield new Uint8Array(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
        }
      },
    };
  }

  async positions(pipeline: string): Promise<Record<string, string>> {
    const rows = await this.db.query<{ source: string; position: string }>('SELECT source, position FROM live_positions WHERE pipeline = $1 ORDER BY source COLLATE "C"', [pipeline]);
    return Object.fromEntries(rows.map((r) => [r.source, r.position]));
  }

  async addDeadLetters(letters: readonly NewDeadLetter[]): Promise<void> {
    for (const part of chunks(letters, 2000)) {
      await this.db.query(
        `INSERT INTO dead_letters (sink, sink_type, alert_id, change, reason, error, attempts, at, alert)
         SELECT a, b, c, d, e, f, g, h, i FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[]) WITH ORDINALITY AS t(a, b, c, d, e, f, g, h, i, o) ORDER BY o`,
        [
          part.map((l) => l.sink),
          part.map((l) => l.sink_type),
          part.map((l) => l.alert_id),
          part.map((l) => l.change),
          part.map((l) => l.reason),
          part.map((l) => l.error ?? null),
          part.map((l) => l.attempts),
          part.map((l) => l.at),
          part.map((l) => l.alert),
        ],
      );
    }
  }

  async deadLetters(f: DeadLetterFilter = {}): Promise<StoredDeadLetter[]> {
    const rows = await this.db.query<LetterRow>(
      `SELECT id, sink, sink_type, alert_id, change, reason, error, attempts, at, alert FROM dead_letters
       WHERE ($1::text IS NULL OR sink = $1) AND ($2::text IS NULL OR alert_id = $2) AND ($3::bigint IS NULL OR id < $3)
       ORDER BY id DESC LIMIT $4`,
      [f.sink ?? null, f.alert_id ?? null, f.before ?? null, f.limit ?? 100],
    );
    return rows.map(({ error, ...rest }) => (error === null ? rest : { ...rest, error }));
  }

  async countDeadLetters(f: { sink?: string } = {}): Promise<number> {
    const [r] = await this.db.query<{ n: number }>("SELECT count(*) AS n FROM dead_letters WHERE ($1::text IS NULL OR sink = $1)", [f.sink ?? null]);
    return r!.n;
  }

  async deleteDeadLetters(ids: readonly number[]): Promise<number> {
    const rows = await this.db.query<{ id: number }>("DELETE FROM dead_letters WHERE id = ANY($1::bigint[]) RETURNING id", [ids]);
    return rows.length;
  }

  async inventoryStamp(): Promise<string> {
    const [r] = await this.db.query<{ i: number; d: number; m: number; s: number }>(
      "SELECT (SELECT coalesce(max(id), 0) FROM imports)::bigint AS i, (SELECT count(*) FROM devices) AS d, (SELECT count(*) FROM models) AS m, (SELECT coalesce(sum(length(doc)), 0) FROM models)::bigint AS s",
    );
    return `${r!.i}:${r!.d}:${r!.m}:${r!.s}`;
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
