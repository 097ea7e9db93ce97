/**
 * The Store port. Engines, library services and commands talk to these interfaces only; adapters (sqlite/,
 * postgres/) implement them, and `openStore(url)` (open.ts) picks one. Everything is async so a networked database
 * fits the same shape; bulk operations take and give pages. Each area's interface lives in its own file (fleet.ts,
 * findings.ts, …); docs/architecture.md says how to add one.
 */
import { randomUUID } from "node:crypto";
import type { AccessRepository } from "./access.ts";
import type { AlertRepository } from "./alerts.ts";
import type { AssessmentRepository } from "./assessments.ts";
import type { FindingRepository } from "./findings.ts";
import type { FleetRepository } from "./fleet.ts";
import type { TableRepository } from "./tables.ts";
import type { FlowRepository } from "./flows.ts";
import type { GraphRepository } from "./graph.ts";
import type { LiveRepository } from "./live.ts";
import type { ListRepository } from "./lists.ts";
import type { ResponseRepository } from "./responses.ts";
import type { ScaleRepository } from "./scale.ts";
import type { VulnRepository } from "./vulns.ts";

export type { AccessRepository, Account, ApiToken, AuditEntry, AuditFilter, NewApiToken, Principal, StoredAccount, StoredSession } from "./access.ts";
export type { AlertChange, AlertEvent, AlertFilter, AlertRepository, AlertSuppression } from "./alerts.ts";
export type { AssessmentRepository, StoredAssessment } from "./assessments.ts";
export type { FindingRepository, NewSuppression, ScanInfo, ScanRuleSettings, ScanRun, StoredForecast, StoredRuleSettings, Suppression } from "./findings.ts";
export type { DeviceImportRun, DuplicateDevice, FleetCounts, FleetDevice, FleetRepository, ImportSummary, SerializedDevice, StoredDevice } from "./fleet.ts";
export { serializeDevice } from "./fleet.ts";
export type { TableInfo, TableRepository } from "./tables.ts";
export type { DestinationDay, EndpointContact, FlowObservation, FlowRepository, StoredPrivacyReport } from "./flows.ts";
export type { GraphCertificateRow, GraphComponentRow, GraphCredentialRow, GraphDeviceRow, GraphEndpointRow, GraphRepository } from "./graph.ts";
export type { DeadLetterFilter, JournalEntry, LiveRepository, NewCheckpoint, NewDeadLetter, NewJournalEntry, StagedState, StoredCheckpoint, StoredDeadLetter } from "./live.ts";
export type { ResponseFilter, ResponseRepository, RevokedCertificate, RotationTask } from "./responses.ts";
export type { AdvisoryInfo, FeedImportInfo, FeedWriteCounts, SbomRecord, VulnCounts, VulnRepository } from "./vulns.ts";

/** What adapters get from outside instead of reaching for the system: the clock and the id generator. */
export interface StoreEnv {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A new unique id (for records whose id the store assigns as text). */
  newId(): string;
}

export const systemEnv: StoreEnv = { now: () => Date.now(), newId: () => randomUUID() };

/** Every repository; a new area adds its repository here and to each adapter (docs/architecture.md). */
export interface Repositories {
  readonly fleet: FleetRepository;
  readonly findings: FindingRepository;
  readonly vulns: VulnRepository;
  readonly alerts: AlertRepository;
  readonly assessments: AssessmentRepository;
  /** Raw rows of every table: for copying a whole store and saying what it holds. */
  readonly tables: TableRepository;
  readonly flows: FlowRepository;
  readonly responses: ResponseRepository;
  /** Scale-out workers' leases and checkpoints (docs/scale.md). */
  readonly scale: ScaleRepository;
  /** Narrow reads the what-if fleet graph is built from (whatif/). */
  readonly graph: GraphRepository;
  /** The service's tokens, accounts, sessions and audit log of changes. */
  readonly access: AccessRepository;
  /** The running service's ingest journal, detection checkpoints, source positions and dead letters. */
  readonly live: LiveRepository;
  /** The lists people page through (service, dashboard): filters, keyset pages, bounded totals, overview counts. */
  readonly lists: ListRepository;
}

/**
 * Repositories plus transactions. Both the store and a transaction are one: library code takes a `StoreTx` and works
 * the same whether it is given the store or a transaction it runs in.
 */
export interface StoreTx extends Repositories {
  /**
   * Runs `fn` in a transaction: every call on the `tx` it is given is part of it; it commits when `fn` resolves and
   * rolls back when `fn` throws (the error is rethrown). Called on a transaction, it opens a nested one (a savepoint)
   * that can roll back alone. Inside `fn`, use `tx` — calling the outer store there is an error, because it would
   * run outside the transaction (or wait for it forever).
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Whether this is a transaction (as opposed to the store itself). */
  readonly inTransaction: boolean;
}

export type StoreEngine = "sqlite" | "postgres";

export interface Store extends StoreTx {
  readonly engine: StoreEngine;
  /** Where the store is, for people: the file, or the database URL without its password. */
  readonly location: string;
  /**
   * Whether `snapshot` can run: the store can open another connection to itself (not so SQLite's `:memory:`).
   */
  readonly canSnapshot: boolean;
  /**
   * Runs `fn` on a consistent, read-only view of the store as it was when it began, on a connection of its own:
   * writers do not wait for it and it sees none of their later commits, so a long audit reads one fleet while the
   * store goes on taking writes (a scan job while live ingest checkpoints). Writes through the view fail.
   */
  snapshot<T>(fn: (view: StoreTx) => Promise<T>): Promise<T>;
  /** Applied migrations per area (the schema version of each). */
  schemaVersions(): Promise<Record<string, number>>;
  /** Closes connections; idempotent. Calls after it fail. */
  close(): Promise<void>;
}
