/** Findings: what the audit, vulnerability and lifecycle engines report. Text is rendered from these in report/. */
import type { Severity } from "./severity.ts";
import type { StandardRef } from "./standards.ts";

export const FINDING_STATUSES = ["new", "unchanged", "fixed", "suppressed"] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export interface Finding {
  rule: string;
  severity: Severity;
  device_id?: string;
  model_id?: string;
  /** One line saying what was found on this subject, e.g. "telnet open on port 23". */
  title: string;
  /** What was seen: values, counts, the dictionary source … never a password. */
  evidence: Record<string, unknown>;
  standards: StandardRef[];
  /** Stable across scans for the same rule and subject: drives new / unchanged / fixed. */
  fingerprint: string;
  status: FindingStatus;
  /** Every affected device, for findings about a group (a shared certificate, a vulnerable firmware …). */
  devices?: string[];
  suppression?: { reason: string; expires?: string };
}
