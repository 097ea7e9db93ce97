/**
 * Port: what the running service keeps so that nothing it took in, learned or raised is lost — the ingest journal
 * (bodies durably taken before they are acknowledged), detection checkpoints (the engine's state with the journal
 * position it covers), source positions (a followed file's offset) and the dead-letter list of alerts a sink gave
 * up on. Everything is per `pipeline` (one running ingest pipeline; several instances sharing a store use one each).
 */

/** A body as it was taken in: replayed through detection after a restart when it is newer than the checkpoint. */
export interface NewJournalEntry {
  /** Where it came from: "http", "mqtt", "zeek:/var/log/zeek/conn.log" … */
  readonly source: string;
  /** Wall clock when it was taken in (epoch ms): a replay judges it as of then. */
  readonly received_at: number;
  readonly body: Uint8Array;
  /** How to read it again (format, mapping name, defaults …) as JSON text. */
  readonly meta: string;
}

export interface JournalEntry extends NewJournalEntry {
  /** Increases with every append of a pipeline. */
  readonly seq: number;
}

export interface NewCheckpoint {
  /** The last journal entry the state includes: entries up to it are deleted with the save. */
  readonly seq: number;
  /** Event time the state had reached (epoch ms). */
  readonly at: number;
  /** Anything else to restore with the state (dedupe digests, counters) as JSON text. */
  readonly meta: string;
  /** The state, as the engine streams it, written within this call. */
  readonly chunks?: Iterable<Uint8Array>;
  /** Or the state staged beforehand (`prepareState`, `stageState`): only named here, so this call stays small. */
  readonly staged?: StagedState;
}

/**
 * A checkpoint's state written ahead of its commit, piece by piece, each piece in a write of its own: a large state
 * (tens of MiB at 100,000 devices) never holds the store's write lock — nor, on SQLite, the event loop — for long,
 * and the journal appends go on between the pieces. Nothing reads the pieces until `saveCheckpoint` names them, in
 * the same transaction as the alerts; a crash before that leaves them unnamed, and the next `prepareState` removes them.
 */
export interface StagedState {
  /** The number of the first piece (from `prepareState`). */
  readonly first: number;
  /** How many pieces were staged, numbered first, first + 1, …; saving checks they are all there. */
  readonly pieces: number;
  /** Their total size. */
  readonly bytes: number;
}

export interface StoredCheckpoint {
  readonly seq: number;
  readonly at: number;
  /** When it was saved (the store's clock, ISO 8601). */
  readonly saved_at: string;
  readonly meta: string;
  readonly bytes: number;
  /** The state in the order it was saved. */
  chunks(): AsyncIterable<Uint8Array>;
}

export type DeadLetterReason = "failed" | "retries_exhausted" | "queue_full" | "shutdown";

export interface NewDeadLetter {
  readonly sink: string;
  readonly sink_type: string;
  readonly alert_id: string;
  readonly change: string;
  readonly reason: DeadLetterReason;
  readonly error?: string;
  readonly attempts: number;
  /** When it was given up on (ISO 8601). */
  readonly at: string;
  /** The alert as the sink would have sent it (JSON text). */
  readonly alert: string;
}

export interface StoredDeadLetter extends NewDeadLetter {
  readonly id: number;
}

export interface DeadLetterFilter {
  sink?: string;
  alert_id?: string;
  /** Only letters with an id below this (the next page of a newest-first list). */
  before?: number;
  limit?: number;
}

export interface LiveRepository {
  /**
   * Appends bodies to the journal in the given order (and, in the same write, the sources' positions), returning
   * their sequence numbers. Callers acknowledge a body to its sender only after this resolves.
   */
  append(pipeline: string, entries: readonly NewJournalEntry[], positions?: Readonly<Record<string, string>>): Promise<number[]>;
  /** Entries after `afterSeq`, oldest first, in pages. */
  journal(pipeline: string, afterSeq: number, pageSize?: number): AsyncIterable<JournalEntry[]>;
  /**
   * Replaces the pipeline's checkpoint and deletes the journal entries it covers (seq ≤ checkpoint seq). Returns the
   * state's size. With `staged`, the staged pieces become the state (a conflict error when one is missing); the
   * pieces of the state it replaces are left for the next `prepareState` to remove, and the journal it covers for
   * `pruneJournal` (deleting ten seconds of journal took 15–40 ms on SQLite: too long for one commit on the event
   * loop). No replay reads them either way: `journal` is read after the checkpoint's seq.
   */
  saveCheckpoint(pipeline: string, cp: NewCheckpoint): Promise<{ bytes: number }>;
  /**
   * Readies the staging of the next checkpoint's state: removes up to `limit` (default 8) pieces that the current
   * checkpoint does not name (the state it replaced, an unfinished staging). Call again until `cleared`, then stage
   * the pieces from `first` on. Each call is a small write of its own.
   */
  prepareState(pipeline: string, limit?: number): Promise<{ first: number; cleared: boolean }>;
  /** Writes piece `n` of a staged state (a write of its own; see StagedState). */
  stageState(pipeline: string, n: number, piece: Uint8Array): Promise<void>;
  /** Deletes up to `limit` (default 500) of the oldest journal entries with seq ≤ `upToSeq`; `done` once none is left. */
  pruneJournal(pipeline: string, upToSeq: number, limit?: number): Promise<{ deleted: number; done: boolean }>;
  loadCheckpoint(pipeline: string): Promise<StoredCheckpoint | undefined>;
  /** The last positions written with `append`, per source (JSON text as given). */
  positions(pipeline: string): Promise<Record<string, string>>;
  addDeadLetters(letters: readonly NewDeadLetter[]): Promise<void>;
  /** Newest (highest id) first. Default limit 100. */
  deadLetters(filter?: DeadLetterFilter): Promise<StoredDeadLetter[]>;
  countDeadLetters(filter?: { sink?: string }): Promise<number>;
  /** Deletes the letters (after a successful redelivery, or dismissed); returns how many there were. */
  deleteDeadLetters(ids: readonly number[]): Promise<number>;
  /** Changes whenever the inventory does (an import, a model written): the service re-audits when it moves. */
  inventoryStamp(): Promise<string>;
}
