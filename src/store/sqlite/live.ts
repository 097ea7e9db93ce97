import type Database from "better-sqlite3";
import type { StoreEnv } from "../store.ts";
import type { DeadLetterFilter, JournalEntry, LiveRepository, NewCheckpoint, NewDeadLetter, NewJournalEntry, StoredCheckpoint, StoredDeadLetter } from "../live.ts";
import { LongwatchError } from "../../core/errors.ts";
import { coalesce, namedRange, nextFirst } from "../live-chunks.ts";

interface JournalRow {
  seq: number;
  source: string;
  received_at: number;
  meta: string;
  body: Buffer;
}

interface LetterRow extends Omit<StoredDeadLetter, "error"> {
  error: string | null;
}

export class SqliteLive implements LiveRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly env: StoreEnv,
  ) {}

  /** Prepared once: live ingest appends a group per MQTT batch or HTTP body, and preparing cost as much as the insert. */
  private appendTx: ((pipeline: string, entries: readonly NewJournalEntry[], positions: Readonly<Record<string, string>>) => number[]) | undefined;

  async append(pipeline: string, entries: readonly NewJournalEntry[], positions: Readonly<Record<string, string>> = {}): Promise<number[]> {
    if (!this.appendTx) {
      const insert = this.db.prepare("INSERT INTO live_journal (pipeline, source, received_at, meta, body) VALUES (?, ?, ?, ?, ?)");
      const position = this.db.prepare("INSERT INTO live_positions (pipeline, source, position) VALUES (?, ?, ?) ON CONFLICT (pipeline, source) DO UPDATE SET position = excluded.position");
      this.appendTx = this.db.transaction((pipeline: string, entries: readonly NewJournalEntry[], positions: Readonly<Record<string, string>>) => {
        const seqs = entries.map((e) => Number(insert.run(pipeline, e.source, e.received_at, e.meta, asBuffer(e.body)).lastInsertRowid));
        for (const [source, p] of Object.entries(positions)) position.run(pipeline, source, p);
        return seqs;
      });
    }
    return this.appendTx(pipeline, entries, positions);
  }

  async *journal(pipeline: string, afterSeq: number, pageSize = 500): AsyncIterable<JournalEntry[]> {
    const page = this.db.prepare("SELECT seq, source, received_at, meta, body FROM live_journal WHERE pipeline = ? AND seq > ? ORDER BY seq LIMIT ?");
    for (let after = afterSeq; ; ) {
      const rows = page.all(pipeline, after, pageSize) as JournalRow[];
      if (rows.length === 0) return;
      yield rows.map((r) => ({ seq: r.seq, source: r.source, received_at: r.received_at, meta: r.meta, body: new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.byteLength) }));
      after = rows[rows.length - 1]!.seq;
    }
  }

  async saveCheckpoint(pipeline: string, cp: NewCheckpoint): Promise<{ bytes: number }> {
    const chunk = this.db.prepare("INSERT INTO live_state_chunks (pipeline, n, bytes) VALUES (?, ?, ?)");
    return this.db.transaction(() => {
      let bytes = 0;
      let first = 0;
      let pieces = 0;
      if (cp.staged) {
        ({ first, pieces, bytes } = cp.staged);
        const have = this.db.prepare("SELECT count(*) FROM live_state_chunks WHERE pipeline = ? AND n >= ? AND n < ?").pluck().get(pipeline, first, first + pieces) as number;
        if (have !== pieces) throw new LongwatchError("conflict", `pipeline ${pipeline}: ${have} of the ${pieces} staged state pieces from ${first} are there; was the staging removed meanwhile?`);
      } else {
        this.db.prepare("DELETE FROM live_state_chunks WHERE pipeline = ?").run(pipeline);
        for (const piece of coalesce(cp.chunks ?? [])) {
          chunk.run(pipeline, pieces++, piece);
          bytes += piece.byteLength;
        }
      }
      this.db
        .prepare(
          `INSERT INTO live_checkpoints (pipeline, seq, at, saved_at, meta, bytes, first_n, pieces) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (pipeline) DO UPDATE SET seq = excluded.seq, at = excluded.at, saved_at = excluded.saved_at, meta = excluded.meta, bytes = excluded.bytes,
             first_n = excluded.first_n, pieces = excluded.pieces`,
        )
        .run(pipeline, cp.seq, cp.at, new Date(this.env.now()).toISOString(), cp.meta, bytes, first, pieces);
      if (!cp.staged) this.db.prepare("DELETE FROM live_journal WHERE pipeline = ? AND seq <= ?").run(pipeline, cp.seq);
      return { bytes };
    })();
  }

  async pruneJournal(pipeline: string, upToSeq: number, limit = 500): Promise<{ deleted: number; done: boolean }> {
    const seqs = this.db.prepare("SELECT seq FROM live_journal WHERE pipeline = ? AND seq <= ? ORDER BY seq LIMIT ?").pluck().all(pipeline, upToSeq, limit + 1) as number[];
    const drop = seqs.slice(0, limit);
    if (drop.length > 0) this.db.prepare("DELETE FROM live_journal WHERE pipeline = ? AND seq >= ? AND seq <= ?").run(pipeline, drop[0], drop[drop.length - 1]);
    return { deleted: drop.length, done: seqs.length <= limit };
  }

  async prepareState(pipeline: string, limit = 8): Promise<{ first: number; cleared: boolean }> {
    return this.db.transaction(() => {
      const named = namedRange(this.db.prepare("SELECT first_n, pieces FROM live_checkpoints WHERE pipeline = ?").get(pipeline) as { first_n: number; pieces: number | null } | undefined);
      const stale = this.db.prepare("SELECT n FROM live_state_chunks WHERE pipeline = ? AND (n < ? OR n >= ?) ORDER BY n LIMIT ?").pluck().all(pipeline, named.lo, named.hi, limit + 1) as number[];
      const del = this.db.prepare("DELETE FROM live_state_chunks WHERE pipeline = ? AND n = ?");
      for (const n of stale.slice(0, limit)) del.run(pipeline, n);
      return { first: nextFirst(named), cleared: stale.length <= limit };
    })();
  }

  async stageState(pipeline: string, n: number, piece: Uint8Array): Promise<void> {
    this.db.prepare("INSERT INTO live_state_chunks (pipeline, n, bytes) VALUES (?, ?, ?)").run(pipeline, n, asBuffer(piece));
  }

  async loadCheckpoint(pipeline: string): Promise<StoredCheckpoint | undefined> {
    const r = this.db.prepare("SELECT seq, at, saved_at, meta, bytes, first_n, pieces FROM live_checkpoints WHERE pipeline = ?").get(pipeline) as (Omit<StoredCheckpoint, "chunks"> & { first_n: number; pieces: number | null }) | undefined;
    if (!r) return undefined;
    const { first_n, pieces, ...row } = r;
    const { lo, hi } = namedRange({ first_n, pieces });
    const db = this.db;
    return {
      ...row,
      async *chunks() {
        const one = db.prepare("SELECT bytes FROM live_state_chunks WHERE pipeline = ? AND n = ?").pluck();
        for (let n = lo; n < hi; n++) {
          const b = one.get(pipeline, n) as Buffer | undefined;
          if (!b) return;
          yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        }
      },
    };
  }

  async positions(pipeline: string): Promise<Record<string, string>> {
    const rows = this.db.prepare("SELECT source, position FROM live_positions WHERE pipeline = ? ORDER BY source").all(pipeline) as { source: string; position: string }[];
    return Object.fromEntries(rows.map((r) => [r.source, r.position]));
  }

  async addDeadLetters(letters: readonly NewDeadLetter[]): Promise<void> {
    const insert = this.db.prepare("INSERT INTO dead_letters (sink, sink_type, alert_id, change, reason, error, attempts, at, alert) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.db.transaction(() => {
      for (const l of letters) insert.run(l.sink, l.sink_type, l.alert_id, l.change, l.reason, l.error ?? null, l.attempts, l.at, l.alert);
    })();
  }

  async deadLetters(f: DeadLetterFilter = {}): Promise<StoredDeadLetter[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM dead_letters WHERE (@sink IS NULL OR sink = @sink) AND (@alert IS NULL OR alert_id = @alert) AND (@before IS NULL OR id < @before)
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ sink: f.sink ?? null, alert: f.alert_id ?? null, before: f.before ?? null, limit: f.limit ?? 100 }) as LetterRow[];
    return rows.map(letter);
  }

  async countDeadLetters(f: { sink?: string } = {}): Promise<number> {
    return this.db.prepare("SELECT count(*) FROM dead_letters WHERE (@sink IS NULL OR sink = @sink)").pluck().get({ sink: f.sink ?? null }) as number;
  }

  async deleteDeadLetters(ids: readonly number[]): Promise<number> {
    const del = this.db.prepare("DELETE FROM dead_letters WHERE id = ?");
    return this.db.transaction(() => ids.reduce((n, id) => n + del.run(id).changes, 0))();
  }

  async inventoryStamp(): Promise<string> {
    const r = this.db
      .prepare("SELECT (SELECT coalesce(max(id), 0) FROM imports) AS i, (SELECT count(*) FROM devices) AS d, (SELECT count(*) FROM models) AS m, (SELECT coalesce(sum(length(doc)), 0) FROM models) AS s")
      .get() as { i: number; d: number; m: number; s: number };
    return `${r.i}:${r.d}:${r.m}:${r.s}`;
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function letter(r: LetterRow): StoredDeadLetter {
  const { error, ...rest } = r;
  return error === null ? rest : { ...rest, error };
}
