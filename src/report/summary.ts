/**
 * A running summary of a scan's findings, fed one finding at a time so it costs nothing to keep while findings stream
 * to the store: counts by severity and status, per-rule totals, and a score per device to find the worst ones.
 * Suppressed findings are counted apart and never raise a device's score.
 */
import type { Finding, FindingStatus } from "../core/finding.ts";
import { StringIndex } from "../core/string-index.ts";
import { SEVERITIES, type Severity } from "../core/severity.ts";

/** Weights for ranking devices: one critical outweighs several highs, and so on. */
const WEIGHT: Record<Severity, number> = { critical: 100, high: 25, medium: 8, low: 2, info: 0 };
const INDEX: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export interface RuleTotal {
  rule: string;
  severity: Severity;
  findings: number;
  /**
   * Distinct devices affected. When the rule has findings that say how many devices they reach without listing them
   * (Finding.reach: single-point-of-compromise), at least the largest such reach: they may overlap (`devicesAtLeast`).
   */
  devices: number;
  /** The largest reach of the rule's findings that do not list their devices; 0 when every finding lists them. */
  reach: number;
  /** `devices` is a lower bound (some findings reach devices they do not list), shown as "≥ N". */
  devicesAtLeast: boolean;
  bySeverity: Record<Severity, number>;
  /** Distinct devices affected, each under the worst severity of the rule's findings about it (counted once). */
  devicesBySeverity: Record<Severity, number>;
}

/** Per rule: the worst severity seen for each device slot (0 = none, 5 = critical … 1 = info). */
const RANK: Record<Severity, number> = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };
const BY_RANK: readonly Severity[] = ["info", "info", "low", "medium", "high", "critical"];

export interface DeviceTotal {
  device_id: string;
  score: number;
  bySeverity: Record<Severity, number>;
}

export class ScanSummary {
  readonly bySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  readonly byStatus: Record<FindingStatus, number> = { new: 0, unchanged: 0, fixed: 0, suppressed: 0 };
  private readonly rules = new Map<string, RuleTotal>();
  /** A rule's devices are counted once however many of its findings name them (one per component, say). */
  private readonly ruleDevices = new Map<string, Uint8Array>();
  /** Per rule: the severity of its finding with the largest reach (RuleTotal.reach). */
  private readonly reachSeverity = new Map<string, Severity>();
  /** The largest reach of any open finding that lists no devices (Finding.reach). */
  private maxReach = 0;
  /** Device id → slot; a device's five severity counters live at slot*5 in `counts` (no object per device). */
  private readonly slots = new StringIndex();
  private counts = new Uint32Array(5 * 1024);

  add(f: Finding): void {
    this.byStatus[f.status]++;
    if (f.status === "suppressed" || f.status === "fixed") return;
    this.bySeverity[f.severity]++;
    let r = this.rules.get(f.rule);
    if (!r) {
      r = { rule: f.rule, severity: f.severity, findings: 0, devices: 0, reach: 0, devicesAtLeast: false, bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 }, devicesBySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } };
      this.rules.set(f.rule, r);
    }
    r.findings++;
    r.bySeverity[f.severity]++;
    if (WEIGHT[f.severity] > WEIGHT[r.severity]) r.severity = f.severity;
    const affected = f.devices ?? (f.device_id !== undefined ? [f.device_id] : []);
    if (f.reach !== undefined && f.devices === undefined && f.device_id === undefined && (f.reach > r.reach || (f.reach === r.reach && RANK[f.severity] > RANK[this.reachSeverity.get(f.rule) ?? "info"]))) {
      r.reach = f.reach;
      this.reachSeverity.set(f.rule, f.severity);
    }
    if (f.reach !== undefined && f.devices === undefined && f.device_id === undefined && f.reach > this.maxReach) this.maxReach = f.reach;
    const i = INDEX[f.severity];
    const rank = RANK[f.severity];
    let seen = this.ruleDevices.get(f.rule) ?? new Uint8Array(1024);
    for (const id of affected) {
      const slot = this.slots.add(id);
      if ((slot + 1) * 5 > this.counts.length) {
        const grown = new Uint32Array(this.counts.length * 2);
        grown.set(this.counts);
        this.counts = grown;
      }
      this.counts[slot * 5 + i]!++;
      if (slot >= seen.length) {
        const grown = new Uint8Array(Math.max(seen.length * 2, slot + 1));
        grown.set(seen);
        seen = grown;
      }
      const was = seen[slot]!;
      if (was === 0) {
        r.devices++;
        r.devicesBySeverity[f.severity]++;
        seen[slot] = rank;
      } else if (rank > was) {
        r.devicesBySeverity[BY_RANK[was]!]--;
        r.devicesBySeverity[f.severity]++;
        seen[slot] = rank;
      }
    }
    this.ruleDevices.set(f.rule, seen);
  }

  get open(): number {
    return SEVERITIES.reduce((n, s) => n + this.bySeverity[s], 0);
  }

  /** Distinct devices the open findings are about; with `affectedAtLeast`, at least the largest unlisted reach. */
  get affectedDevices(): number {
    return Math.max(this.slots.size, this.maxReach);
  }

  /** Some open findings reach devices they do not list: `affectedDevices` is a lower bound ("≥ N"). */
  get affectedAtLeast(): boolean {
    return this.maxReach > 0;
  }

  topRules(n: number): RuleTotal[] {
    return [...this.rules.values()].map((r) => this.withReach(r)).sort((a, b) => WEIGHT[b.severity] - WEIGHT[a.severity] || b.devices - a.devices || a.rule.localeCompare(b.rule)).slice(0, n);
  }

  /**
   * The rule's total with its unlisted reach counted: at least the largest reach, the devices beyond those listed
   * under the severity of the finding that reaches them (so the chart's segments add up to the count).
   */
  private withReach(r: RuleTotal): RuleTotal {
    if (r.reach <= r.devices) return { ...r, devicesAtLeast: r.reach > 0, bySeverity: { ...r.bySeverity }, devicesBySeverity: { ...r.devicesBySeverity } };
    const sev = this.reachSeverity.get(r.rule) ?? r.severity;
    const devicesBySeverity = { ...r.devicesBySeverity, [sev]: r.devicesBySeverity[sev] + r.reach - r.devices };
    return { ...r, devices: r.reach, devicesAtLeast: true, bySeverity: { ...r.bySeverity }, devicesBySeverity };
  }

  worstDevices(n: number): DeviceTotal[] {
    const scored: DeviceTotal[] = [];
    const c = this.counts;
    for (let slot = 0; slot < this.slots.size; slot++) {
      const o = slot * 5;
      const score = c[o]! * WEIGHT.critical + c[o + 1]! * WEIGHT.high + c[o + 2]! * WEIGHT.medium + c[o + 3]! * WEIGHT.low;
      if (scored.length >= n && score <= scored[scored.length - 1]!.score) continue;
      const device_id = this.slots.keyAt(slot);
      scored.push({ device_id, score, bySeverity: { critical: c[o]!, high: c[o + 1]!, medium: c[o + 2]!, low: c[o + 3]!, info: c[o + 4]! } });
      scored.sort((a, b) => b.score - a.score || a.device_id.localeCompare(b.device_id));
      if (scored.length > n) scored.pop();
    }
    return scored;
  }

  /** The highest severity among open (not suppressed, not fixed) findings. */
  worstSeverity(): Severity | undefined {
    return SEVERITIES.find((s) => this.bySeverity[s] > 0);
  }

  toJSON() {
    return { open: this.open, affected_devices: this.affectedDevices, ...(this.affectedAtLeast ? { affected_devices_at_least: true } : {}), by_severity: this.bySeverity, by_status: this.byStatus, top_rules: this.topRules(10), worst_devices: this.worstDevices(10) };
  }
}
