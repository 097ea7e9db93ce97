/**
 * Port: responses (respond/), their append-only hash-chained log, the automatic-response switch, and the records the
 * certificate and credential actions keep (revoked certificates, rotation tasks).
 */
import type { LogEntry, ResponseRecord, ResponseState } from "../core/response.ts";

export interface ResponseFilter {
  state?: ResponseState;
  action?: string;
  target_id?: string;
  limit?: number;
}

/** A certificate marked revoked by a response, with what the store knows of it. */
export interface RevokedCertificate {
  fingerprint: string;
  reason: string;
  revoked_at: string;
  response_id: string;
  subject?: string;
  issuer?: string;
  serial?: string;
  not_after?: string;
  devices: string[];
}

export interface RotationTask {
  id: number;
  credential: string;
  devices: string[];
  reason: string;
  state: "open" | "closed";
  response_id: string;
  opened_at: string;
  closed_at?: string;
  note?: string;
}

/**
 * Responses (respond/), their append-only hash-chained log, and the records the certificate and credential actions
 * keep. The log is written only through `appendLog`, which reads the previous line's hash and writes the next line
 * in one transaction, so two writers cannot fork the chain.
 */
export interface ResponseRepository {
  insert(r: ResponseRecord): Promise<void>;
  get(id: string): Promise<ResponseRecord | undefined>;
  /** Stores `r` if the stored version is `r.version - 1`; false when someone else changed it first. */
  update(r: ResponseRecord): Promise<boolean>;
  /** Newest first. */
  list(filter?: ResponseFilter): Promise<ResponseRecord[]>;
  /** A response for this action and target that is still under way (not reversed, rejected or failed). */
  openFor(action: string, targetId: string): Promise<ResponseRecord | undefined>;
  /**
   * The response a playbook gave this trigger (source kind and id) for this action and target, in any state but
   * failed (a failed apply changed nothing, so the trigger may be tried again); undefined when there is none.
   */
  answered(action: string, targetId: string, source: { kind: string; id: string; playbook: string }): Promise<ResponseRecord | undefined>;
  /**
   * Inserts `r` unless a response of its action for its target is under way (openFor), or — when `r.source` names a
   * playbook and a trigger — that playbook already answered that trigger for this target (answered). Check and insert
   * are one step for every process sharing the store (serve, workers, `respond run`), so two of them handling one
   * alert record one response between them. Returns the response that stood in the way, or undefined when inserted.
   */
  insertUnlessAnswered(r: ResponseRecord): Promise<ResponseRecord | undefined>;
  /** Distinct targets of automatic responses applied at or after `since`. */
  automaticTargetsSince(since: string): Promise<number>;
  /**
   * Stores `r` (an automatic response being applied: `applied_at` set, version checked as `update`) if the budget has
   * room: fewer than `devices` distinct targets of automatic responses applied at or after `since`, or `r`'s target
   * already one of them. Count and store are one step for every process sharing the store, so workers applying at
   * once cannot overspend it. "conflict": someone else changed `r` first; `{ used }`: the budget is spent.
   */
  startAutomatic(r: ResponseRecord, since: string, devices: number): Promise<"started" | "conflict" | { used: number }>;
  /** Automatic responses whose time-to-live has run out and that nobody confirmed. */
  expired(now: string): Promise<ResponseRecord[]>;
  appendLog(entry: Omit<LogEntry, "seq" | "prev_hash" | "hash">, hash: (e: Omit<LogEntry, "hash">) => string): Promise<LogEntry>;
  /** The log in order, in pages. */
  log(pageSize?: number): AsyncIterable<LogEntry[]>;
  setting(key: string): Promise<unknown>;
  setSetting(key: string, value: unknown): Promise<void>;
  revoke(fingerprint: string, reason: string, responseId: string, at: string): Promise<{ alreadyRevoked: boolean }>;
  unrevoke(fingerprint: string): Promise<boolean>;
  revoked(fingerprint?: string): Promise<RevokedCertificate[]>;
  openTask(t: { credential: string; devices: string[]; reason: string; responseId: string; at: string }): Promise<{ id: number; existing: boolean }>;
  closeTask(id: number, note: string, at: string): Promise<boolean>;
  tasks(filter?: { id?: number; state?: "open" | "closed" }): Promise<RotationTask[]>;
  /** Devices that share the credential named `DEVICE/SERVICE/USERNAME` (same service, username and secret) or, for `model:MODEL/…`, every device of the model. */
  devicesSharingCredential(credential: string): Promise<string[]>;
  certificateDevices(fingerprint: string): Promise<string[]>;
}
