/**
 * The shapes the dashboard reads from the API. They follow the public contract in FORMATS.md ("Service") and the
 * OpenAPI document the server publishes at /api/v1/openapi.json.
 */
export type Role = "viewer" | "analyst" | "responder" | "admin";
export type Severity = "info" | "low" | "medium" | "high" | "critical";

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
}

export interface ListPage<T> {
  items: T[];
  next_page_token: string | null;
  total: { count: number; type: "exact" | "at_least" };
}

/** Who a request or session acts as. */
export interface Principal {
  kind: "token" | "account";
  name: string;
  role: Role;
}

export interface Device {
  device_id: string;
  name?: string;
  model_id?: string;
  firmware_version?: string;
  groups?: string[];
  country?: string;
  imei?: string;
  iccid?: string;
  imsi?: string;
  sim_apn?: string;
  sim_provider?: string;
  ip?: string;
  mqtt_client_id?: string;
  deployed_at?: string;
  retire_at?: string;
  [field: string]: unknown;
}

export interface Finding {
  rule: string;
  severity: Severity;
  device_id?: string;
  model_id?: string;
  title: string;
  evidence: Record<string, unknown>;
  standards: string[];
  fingerprint: string;
  status: string;
  devices?: string[];
  suppression?: { reason: string; expires?: string };
}

/** One row per rule: its findings and the distinct devices they touch. */
export interface FindingGroup {
  rule: string;
  severity: Severity;
  title?: string;
  findings: number;
  devices: number;
  new: number;
  suppressed: number;
}

export type AlertState = "open" | "acknowledged" | "resolved";
export type Verification = "unknown" | "true_positive" | "benign_positive" | "false_positive";

export interface Alert {
  id: string;
  detector: string;
  device_id: string;
  model_id?: string;
  key: string;
  severity: Severity;
  confidence: number;
  first_seen: string;
  last_seen: string;
  count: number;
  /** What was seen and how unusual it is. */
  summary: string;
  /** What to do about it. */
  action: string;
  evidence: Record<string, unknown>;
  state: AlertState;
  verification: Verification;
  assignee?: string;
}

export interface AlertEvent {
  id: number;
  alert_id: string;
  at: string;
  actor: string;
  action: "state" | "verification" | "assignee" | "comment";
  from?: string;
  to?: string;
  comment?: string;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  actor_kind: "token" | "account" | "system";
  role?: Role;
  action: string;
  target_kind: string;
  target_id?: string;
  before?: unknown;
  after?: unknown;
}

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  created_by: string;
  expires_at?: string;
  last_used_at?: string;
  revoked_at?: string;
}
