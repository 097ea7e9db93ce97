/**
 * The contract every audit rule fulfils. A rule is a module that declares what it checks and why (metadata the CLI,
 * reports and certification use), its parameters with defaults, and a `start` that returns hooks for one scan.
 * The engine calls the hooks; it never looks at which rule it is running.
 */
import type { z } from "zod";
import type { CertificateInfo, Credential, DeviceModel } from "../core/fleet.ts";
import type { Severity } from "../core/severity.ts";
import type { StandardRef } from "../core/standards.ts";
import type { StoreTx, StoredDevice } from "../store/store.ts";

export const RULE_FAMILIES = ["credentials", "identity", "updates", "connectivity", "exposure", "vulnerabilities", "lifecycle", "inventory", "worst-case"] as const;
export type RuleFamily = (typeof RULE_FAMILIES)[number];

export interface RuleMeta {
  id: string;
  family: RuleFamily;
  /** Short name of the problem, e.g. "Default password in use". */
  title: string;
  /** Default severity; a finding may raise or lower it with a reason in its evidence. */
  severity: Severity;
  /** Provisions this rule gives evidence on (a finding means the provision is not met). */
  standards: StandardRef[];
  /** Why it matters, in plain words for someone new to IoT security. */
  rationale: string;
  /** What to do about it, as concrete steps. */
  remediation: string;
  /**
   * MITRE ATT&CK technique ids (Enterprise, ICS or Mobile) a finding leaves the device open to, only where a technique
   * describes exactly what the finding makes possible; checked against data/attack-techniques.csv. `intel export
   * --exposure` shares them as attack patterns with device counts.
   */
  attack?: readonly string[];
}

/** A device as rules see it: inventory fields, its model, certificate and every credential that applies to it. */
export interface DeviceView {
  device: StoredDevice;
  model?: DeviceModel;
  certificate?: CertificateInfo;
  credentials: Credential[];
}

/** What a rule reports; the engine adds rule id, standards, fingerprint and status. */
export interface FindingDraft {
  /** Identifies what the finding is about within the rule (device id, device+service …); the fingerprint derives from it. */
  subject: string;
  title: string;
  evidence: Record<string, unknown>;
  device_id?: string;
  model_id?: string;
  devices?: string[];
  /** How many devices the finding reaches when it does not list them (Finding.reach). */
  reach?: number;
  severity?: Severity;
  /**
   * The finding is already settled by data the rule read (a VEX statement that the product is not affected): it is
   * reported with status `suppressed` and this reason, unless a user suppression also matches (which then wins).
   */
  suppression?: { reason: string };
}

/** Services the engine lends to rules for one scan. */
export interface RuleServices {
  /** The store's keyed digest of a plaintext password (see inventory/secrets), to compare against imported ones. */
  keyedDigest(password: string): string;
  /** Read access to everything stored, for rules that need more than one device at a time. */
  store: StoreTx;
}

export interface RuleContext<P> {
  params: P;
  /** The scan's clock, in epoch milliseconds: every date comparison uses it, so scans are reproducible. */
  now: number;
  models: ReadonlyMap<string, DeviceModel>;
  services: RuleServices;
  report(finding: FindingDraft): void;
}

export interface RuleRun {
  device?(view: DeviceView): void;
  finish?(): void | Promise<void>;
}

export interface Rule<P = unknown> extends RuleMeta {
  /** Parameters with their defaults; `{}` must parse. */
  params: z.ZodType<P>;
  start(ctx: RuleContext<P>): RuleRun;
}

/** Declares a rule with its parameter type inferred from its schema. */
export function defineRule<S extends z.ZodType>(rule: RuleMeta & { params: S; start(ctx: RuleContext<z.output<S>>): RuleRun }): Rule {
  return rule as unknown as Rule;
}
