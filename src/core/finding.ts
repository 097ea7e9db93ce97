/** Findings: what the audit, vulnerability and lifecycle engines report. Text is rendered from these in report/. */
import { z } from "zod";
import { SEVERITIES, type Severity } from "./severity.ts";
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
  /**
   * How many devices the finding reaches when it does not list them (a fleet-level finding such as
   * single-point-of-compromise: one CA reaching 82,089 devices). Counts name at least this many for the rule.
   */
  reach?: number;
  suppression?: { reason: string; expires?: string };
}

/** The Finding contract as a schema, for the generated JSON Schema in docs/schemas (kept equal to the interface). */
export const FindingSchema = z
  .object({
    rule: z.string().describe("Rule id, e.g. default-password."),
    severity: z.enum(SEVERITIES),
    device_id: z.string().optional(),
    model_id: z.string().optional(),
    title: z.string(),
    evidence: z.record(z.string(), z.unknown()).describe("What was seen; never a password."),
    // <STANDARD>:<provision> (FORMATS.md); standard ids are mixed case (OWASP-IoT-2018), so the pattern is too.
    standards: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*:\S.*$/, "is not <STANDARD>:<provision>, e.g. ETSI-EN-303-645:5.1-1 or OWASP-IoT-2018:I1")).describe("Provisions, e.g. ETSI-EN-303-645:5.1-1, UK-PSTI:1, EU-CRA:I.1.2.a, NISTIR-8259A:device-identification, OWASP-IoT-2018:I1."),
    fingerprint: z.string().regex(/^[0-9a-f]{32}$/).describe("Stable across scans."),
    status: z.enum(FINDING_STATUSES),
    devices: z.array(z.string()).optional().describe("Every affected device, for findings about a group."),
    reach: z.number().int().min(0).optional().describe("How many devices a fleet-level finding reaches without listing them (single-point-of-compromise); a rule's device count is at least its findings' largest reach."),
    suppression: z.object({ reason: z.string(), expires: z.string().optional() }).optional(),
  })
  .strict();
