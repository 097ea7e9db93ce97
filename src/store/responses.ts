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
  /** Distinct targets of automatic responses applied at or after `since`. */
  automaticTargetsSince(since: string): Promise<number>;
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
