/**
 * Port: the store's tables as rows, for moving a whole store between adapters (`longwatch store copy`) and for
 * saying what a store holds (`store info`). Both adapters keep the same tables and column names, so rows read from
 * one can be written to the other; a column only one side has is left to its default.
 */
/**
 * Tables the adapter keeps from others (by triggers, or at the end of each import): not data of their own, so neither
 * listed nor copied — the target's triggers and `afterCopy` rebuild them.
 */
export const DERIVED_TABLES: ReadonlySet<string> = new Set(["device_cells", "device_groups", "device_images", "traffic_devices"]);

export interface TableInfo {
  name: string;
  rows: number;
}

export interface TableRepository {
  /** Every data table (not the migrations table, nor DERIVED_TABLES), by name. */
  list(): Promise<TableInfo[]>;
  columns(table: string): Promise<string[]>;
  /** All rows of a table in pages, in primary-key (insertion) order. */
  read(table: string, columns: readonly string[], pageSize?: number): AsyncIterable<Record<string, unknown>[]>;
  /** Appends rows (ids included) to a table; runs inside `store.transaction()`. */
  write(table: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): Promise<void>;
  /**
   * Called first in a transaction (it throws outside one): the rest of the transaction reads one consistent state of
   * the store while others write. SQLite's transactions already hold the write lock, so writers wait for it;
   * PostgreSQL's becomes a read-only REPEATABLE READ snapshot, so writers go on and the reader does not see them.
   */
  snapshot(): Promise<void>;
  /** After rows were written with their ids: whatever the adapter must bring up to date (sequences, derived columns). */
  afterCopy(): Promise<void>;
}
