/** Rows as both adapters store them (the same tables and columns) and the records they read as. */
import type { Finding, FindingStatus } from "../core/finding.ts";
import type { Alert, AlertState, Verification } from "../core/record.ts";
import type { Severity } from "../core/severity.ts";
import type { StandardRef } from "../core/standards.ts";

export interface FindingRow {
  fingerprint: string;
  rule: string;
  severity: string;
  device_id: string | null;
  model_id: string | null;
  title: string;
  evidence: string;
  standards: string;
  devices: string | null;
  /** Finding.reach (migration area "findings-reach"); BIGINT comes back as a string from PostgreSQL. */
  reach: number | string | null;
  suppression: string | null;
  status: string;
}

export function findingOf(r: FindingRow): Finding {
  const f: Finding = {
    rule: r.rule,
    severity: r.severity as Severity,
    title: r.title,
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    standards: JSON.parse(r.standards) as StandardRef[],
    fingerprint: r.fingerprint,
    status: r.status as FindingStatus,
  };
  if (r.device_id !== null) f.device_id = r.device_id;
  if (r.model_id !== null) f.model_id = r.model_id;
  if (r.devices !== null) f.devices = JSON.parse(r.devices) as string[];
  if (r.reach !== null && r.reach !== undefined) f.reach = Number(r.reach);
  if (r.suppression !== null) f.suppression = JSON.parse(r.suppression) as NonNullable<Finding["suppression"]>;
  return f;
}

export interface AlertRow {
  id: string;
  detector: string;
  device_id: string;
  model_id: string | null;
  key: string;
  severity: string;
  confidence: number;
  first_seen: string;
  last_seen: string;
  count: number;
  summary: string;
  action: string;
  evidence: string;
  state: string;
  verification: string;
  note: string | null;
  assignee: string | null;
}

export function alertOf(r: AlertRow): Alert {
  const a: Alert = {
    id: r.id,
    detector: r.detector as Alert["detector"],
    device_id: r.device_id,
    key: r.key,
    severity: r.severity as Severity,
    confidence: r.confidence,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
    count: r.count,
    summary: r.summary,
    action: r.action,
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    state: r.state as AlertState,
    verification: r.verification as Verification,
  };
  if (r.model_id !== null) a.model_id = r.model_id;
  if (r.note !== null) a.evidence = { ...a.evidence, note: r.note };
  if (r.assignee !== null) a.assignee = r.assignee;
  return a;
}

/** Severity as a number that sorts most severe first (0 = critical); the same text as the indexes on it. */
export const SEVERITY_ORDER = "(CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END)";
export const SEVERITY_NUMBER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** The separator the `groups` column joins a device's groups with (and starts and ends with), so `instr` finds one. */
export const GROUP_SEP = "\u001f";
