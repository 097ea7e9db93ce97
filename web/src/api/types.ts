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

export interface SessionInfo {
  name: string;
  role: Role;
  csrf_token?: string;
  expires_at?: string;
}

export interface Device {
  device_id: string;
  model?: string | null;
  firmware_version?: string | null;
  group?: string | null;
  country?: string | null;
  provider?: string | null;
  imei?: string | null;
  iccid?: string | null;
  [field: string]: unknown;
}

export interface Finding {
  rule_id: string;
  severity: Severity;
  device_id?: string | null;
  model?: string | null;
  title?: string;
  summary?: string;
  evidence?: string;
  remediation?: string;
  suppressed?: boolean;
  [field: string]: unknown;
}

export interface FindingGroup {
  rule_id: string;
  severity: Severity;
  title?: string;
  devices: number;
  findings: number;
}

export type AlertState = "open" | "acknowledged" | "resolved" | "suppressed";

export interface Alert {
  id: string;
  detector: string;
  severity: Severity;
  device_id?: string | null;
  state: AlertState;
  first_seen?: string;
  last_seen?: string;
  title?: string;
  explanation?: string;
  what_to_do?: string;
  assignee?: string | null;
  verification?: string | null;
  count?: number;
  evidence?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface AuditEntry {
  id: string | number;
  at: string;
  actor: string;
  action: string;
  target?: string;
  before?: unknown;
  after?: unknown;
}

export interface TokenInfo {
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  expires_at?: string | null;
  last_used_at?: string | null;
  revoked_at?: string | null;
}
