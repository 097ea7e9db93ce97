/**
 * Responses: what Longwatch does about a finding or an alert, as data. A response moves through
 * proposed → approved → applied → verified | failed → reversed (or is rejected); every step is an entry in a
 * hash-chained log. The actions themselves live in respond/actions/.
 */
export const TARGET_KINDS = ["device", "certificate", "credential"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What a response acts on: a device id, a certificate's SHA-256 fingerprint, or a credential `DEVICE|MODEL/SERVICE/USERNAME`. */
export interface Target {
  kind: TargetKind;
  id: string;
}

/** A side of a change as plain JSON, shown to people and written to the response log. Never holds a secret. */
export type StateDoc = Record<string, unknown>;

export interface ActionPlan {
  /** One sentence a responder can read: what will change on which system. */
  summary: string;
  /** The state read from the system now; null when planning offline (a what-if dry run) or when it cannot be read. */
  before: StateDoc | null;
  after: StateDoc;
  /** The target is already in the wanted state: applying changes nothing. */
  noop: boolean;
  warnings: string[];
}

export interface ApplyResult {
  after: StateDoc;
  /** What `verify` and `reverse` need to know about this application (the state it replaced, ids it created). */
  receipt: StateDoc;
  warnings: string[];
}

export interface VerifyResult {
  ok: boolean;
  /** What was read back. */
  observed: StateDoc;
  /** Why it failed, in plain words. */
  reason?: string;
  warnings: string[];
}

export interface ReverseResult {
  after: StateDoc;
  warnings: string[];
}


export const RESPONSE_STATES = ["proposed", "approved", "applied", "verified", "failed", "reversed", "rejected"] as const;
export type ResponseState = (typeof RESPONSE_STATES)[number];

export type ResponseMode = "manual" | "automatic";

/** What prompted a response. */
export interface ResponseSource {
  kind: "alert" | "finding" | "person" | "whatif";
  id?: string;
  playbook?: string;
  detector?: string;
  rule?: string;
  severity?: string;
}

export interface ResponseRecord {
  id: string;
  action: string;
  target: Target;
  params: Record<string, unknown>;
  state: ResponseState;
  mode: ResponseMode;
  reversible: boolean;
  reason: string;
  source: ResponseSource;
  proposer: string;
  proposed_at: string;
  /** Sent with apply, so a retried apply is recognised by the system it changes. */
  idempotency_key: string;
  plan: ActionPlan;
  approver?: string;
  approved_at?: string;
  approval_expires_at?: string;
  applier?: string;
  applied_at?: string;
  applied?: ApplyResult;
  verified_at?: string;
  verification?: VerifyResult;
  /** Automatic responses are reversed at this time unless someone confirms them. */
  ttl_expires_at?: string;
  confirmed_by?: string;
  confirmed_at?: string;
  /**
   * A reversal under way: the process that claimed it (a version-checked write, so one claim wins across processes)
   * is calling the action's reverse. Another sweep, a person's reverse or confirm leaves the response alone while
   * the claim is fresh; a claim older than the claim time-out (a process that died mid-reversal) may be taken over.
   */
  reversing?: { by: string; at: string; token: string };
  reverser?: string;
  reversed_at?: string;
  rejected_by?: string;
  error?: { code: string; message: string };
  warnings: string[];
  /** Bumped on every write; a write based on an older version is refused (two people acting at once). */
  version: number;
}

/** One line of the response log; `hash` covers every other field, including the previous line's hash. */
export interface LogEntry {
  seq: number;
  at: string;
  event: string;
  response_id: string | null;
  action: string | null;
  actor: string;
  approver: string | null;
  target: Target | null;
  before: StateDoc | null;
  after: StateDoc | null;
  key: string | null;
  detail: StateDoc | null;
  prev_hash: string;
  hash: string;
}
