/** A schema migration of one area (fleet, findings …) at one version; each adapter has its own list with the same numbering. */
export interface Migration {
  area: string;
  version: number;
  /** The SQL, run once in a transaction. */
  up: string;
}
