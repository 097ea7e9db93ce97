/**
 * The audit engine: streams the fleet through every enabled rule once, fingerprints what they report, applies
 * suppressions, records the scan (new / unchanged / fixed) and hands each finding to a sink. It knows rules only
 * through the Rule contract.
 */
import { hash } from "node:crypto";
import type { Credential, DeviceModel } from "../core/fleet.ts";
import type { Finding, FindingStatus } from "../core/finding.ts";
import { formatIsoDate } from "../core/dates.ts";
import type { Severity } from "../core/severity.ts";
import type { FleetDevice, ScanInfo, ScanRuleSettings, ScanRun, StoreTx, Suppression } from "../store/store.ts";
import { type Forecast, ForecastTally, SCAN_FORECAST_YEARS } from "../lifecycle/forecast.ts";
import { sharedAssessor } from "../lifecycle/secure-until.ts";
import type { RuleSettings } from "./config.ts";
import type { DeviceView, FindingDraft, Rule, RuleRun } from "./rule.ts";
import { matchSuppression } from "./suppress.ts";

export interface AuditOptions {
  /** The store (runAudit opens a transaction on it) or, for beginAudit, the transaction to audit in. */
  store: StoreTx;
  rules: readonly Rule[];
  /** The date the fleet is audited as of. */
  now: number;
  /** The wall clock, for when the scan finished (default: the system's). */
  clock?: () => number;
  keyedDigest(password: string): string;
  /** Per-rule settings from the user's config (already validated); rules not listed run with their defaults. */
  settings?: ReadonlyMap<string, RuleSettings>;
  /** Suppressions from a file, in addition to those in the store. */
  extraSuppressions?: readonly Suppression[];
  onProgress?(devicesDone: number): void;
  /** Receives every finding of this scan, with its final status. */
  onFinding?(finding: Finding): void;
  /** Where the scan's rows are written (beginAudit; default: `store`, the transaction the audit runs in). */
  writer?: ScanWriter;
}

/**
 * Where a scan's rows go. By default into the transaction the audit reads in; a scan that reads a snapshot instead
 * (scan-chunked.ts) writes each step in a short transaction of its own.
 */
export interface ScanWriter {
  begin(startedAt: string, rules: readonly string[], settings: Readonly<Record<string, ScanRuleSettings>>): Promise<ScanRun>;
  record(scan: ScanRun, findings: readonly Finding[]): Promise<FindingStatus[]>;
  /** Makes the scan the latest, with its forecast; returns the findings it fixed. */
  finish(scan: ScanRun, finishedAt: string, counts: ScanInfo["counts"], forecast: Forecast): Promise<Finding[]>;
}

/** A scan written in the transaction `tx`, from begin to finish. */
export function writerIn(tx: StoreTx): ScanWriter {
  return {
    begin: (startedAt, rules, settings) => tx.findings.beginScan(startedAt, rules, settings),
    record: (scan, findings) => tx.findings.record(scan, findings),
    async finish(scan, finishedAt, counts, forecast) {
      const fixed = await tx.findings.finishScan(scan, finishedAt, counts);
      await tx.findings.saveForecast(scan.id, finishedAt, forecast);
      return fixed;
    },
  };
}

export interface AuditResult {
  scanId: number;
  devices: number;
  rules: string[];
  counts: Partial<Record<Severity, number>>;
  fixed: Finding[];
  findings: number;
  /** The lifecycle forecast of the audited fleet as of `now`, 20 years ahead, with the shipped crypto policy, also per model (stored with the scan). */
  forecast: Forecast;
}


/** Stable identity of a finding: the same rule about the same subject gives the same fingerprint in every scan. */
export function fingerprint(rule: string, subject: string): string {
  return hash("sha256", `${rule}\0${subject}`, "hex").slice(0, 32);
}

const BATCH = 5000;

/** Audits every stored device, in one transaction: a scan that fails leaves the store as it was. */
export async function runAudit(opts: AuditOptions): Promise<AuditResult> {
  return opts.store.transaction(async (tx) => {
    const audit = await beginAudit({ ...opts, store: tx });
    for await (const page of tx.fleet.devicePages()) await audit.devices(page);
    return audit.finish();
  });
}

/**
 * An audit fed device by device, so a scan can audit an import while it streams in (and then the stored devices the
 * import did not touch) instead of reading the whole fleet back. Every device must be given exactly once. It reads
 * in the transaction it is given (`opts.store`), from begin to finish, and writes there too unless given a `writer`.
 */
export interface AuditSession {
  devices(page: readonly FleetDevice[]): Promise<void>;
  finish(): Promise<AuditResult>;
}

export async function beginAudit(opts: AuditOptions): Promise<AuditSession> {
  const { store, now } = opts;
  const enabled = opts.rules.filter((r) => opts.settings?.get(r.id)?.enabled !== false);
  const models = new Map<string, DeviceModel>((await store.fleet.models()).map((m) => [m.model_id, m]));
  const modelCreds = groupBy(await store.fleet.modelCredentials(), (c) => c.model_id ?? "");
  const suppressions = [...(await store.findings.suppressions()), ...(opts.extraSuppressions ?? [])];
  const startedAt = new Date(now).toISOString();
  const today = formatIsoDate(now);
  // Each rule's params as its schema resolves them (defaults filled in), kept with the scan for what grades the same
  // results outside it (the device page's components).
  const params = new Map(enabled.map((rule) => [rule.id, rule.params.parse(opts.settings?.get(rule.id)?.params ?? {}) as Record<string, unknown>]));
  const kept = Object.fromEntries(enabled.map((rule) => {
    const severity = opts.settings?.get(rule.id)?.severity;
    return [rule.id, { params: params.get(rule.id)!, ...(severity ? { severity } : {}) }];
  }));
  const writer = opts.writer ?? writerIn(store);
  const scan = await writer.begin(startedAt, enabled.map((r) => r.id), kept);

  const pending: Finding[] = [];
  const counts: Partial<Record<Severity, number>> = {};
  let total = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending.splice(0, pending.length);
    const statuses = await writer.record(scan, batch);
    batch.forEach((f, i) => {
      f.status = f.suppression ? "suppressed" : statuses[i]!;
      if (f.status !== "suppressed") counts[f.severity] = (counts[f.severity] ?? 0) + 1;
      total++;
      opts.onFinding?.(f);
    });
  };

  const runs: RuleRun[] = enabled.map((rule) => {
    const settings = opts.settings?.get(rule.id);
    return rule.start({
      params: params.get(rule.id)!,
      now,
      models,
      services: { keyedDigest: opts.keyedDigest, store },
      report: (draft: FindingDraft) => pending.push(toFinding(rule, draft, settings?.severity, suppressions, today)),
    });
  });
  const deviceHooks = runs.filter((r) => r.device !== undefined);
  // The forecast rides on this pass over the fleet (after the rules, so it reuses the lifecycle rules' assessment of
  // each device), so the dashboard and the HTML report need not read every device again.
  const assessor = sharedAssessor(undefined);
  const forecast = new ForecastTally({ now, until: new Date(now).getUTCFullYear() + SCAN_FORECAST_YEARS, policy: assessor.policy, byModel: true }, assessor);

  let devices = 0;
  return {
    async devices(page) {
      for (const fd of page) {
        const model = fd.device.model_id !== undefined ? models.get(fd.device.model_id) : undefined;
        const view: DeviceView = { device: fd.device, credentials: withModelCredentials(fd.credentials, fd.device.model_id, fd.device.firmware_version, modelCreds) };
        if (model) view.model = model;
        if (fd.certificate) view.certificate = fd.certificate;
        for (const run of deviceHooks) run.device!(view);
        forecast.add(fd.device, model, fd.certificate);
      }
      devices += page.length;
      opts.onProgress?.(devices);
      if (pending.length >= BATCH) await flush();
    },
    async finish() {
      for (const run of runs) await run.finish?.();
      await flush();
      const finishedAt = new Date((opts.clock ?? Date.now)()).toISOString();
      const tallied = forecast.result();
      const fixed = await writer.finish(scan, finishedAt, counts, tallied);
      return { scanId: scan.id, devices, rules: enabled.map((r) => r.id), counts, fixed, findings: total, forecast: tallied };
    },
  };
}

function toFinding(rule: Rule, d: FindingDraft, severityOverride: Severity | undefined, suppressions: readonly Suppression[], today: string): Finding {
  const f: Finding = {
    rule: rule.id,
    // A severity the user set for the rule wins; otherwise the finding's own (rules grade some findings), else the rule's.
    severity: severityOverride ?? d.severity ?? rule.severity,
    title: d.title,
    evidence: d.evidence,
    standards: rule.standards,
    fingerprint: fingerprint(rule.id, d.subject),
    status: "new",
  };
  if (d.device_id !== undefined) f.device_id = d.device_id;
  if (d.model_id !== undefined) f.model_id = d.model_id;
  if (d.devices !== undefined) f.devices = d.devices;
  if (d.reach !== undefined) f.reach = d.reach;
  const s = suppressions.length ? matchSuppression(suppressions, f, today) : undefined;
  if (s) f.suppression = s.expires !== undefined ? { reason: s.reason, expires: s.expires } : { reason: s.reason };
  else if (d.suppression) f.suppression = { reason: d.suppression.reason };
  return f;
}

/** A device's own credentials plus those declared for its model (and, when given, its firmware version). */
function withModelCredentials(own: Credential[], modelId: string | undefined, firmware: string | undefined, byModel: Map<string, Credential[]>): Credential[] {
  if (modelId === undefined) return own;
  const shared = byModel.get(modelId);
  if (!shared) return own;
  const applicable = shared.filter((c) => c.firmware_version === undefined || c.firmware_version === firmware);
  // A device-level credential for the same account overrides the model's.
  const ownKeys = new Set(own.map((c) => `${c.service}\0${c.username}`));
  return [...own, ...applicable.filter((c) => !ownKeys.has(`${c.service}\0${c.username}`))];
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}
