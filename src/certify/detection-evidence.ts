/**
 * Detection as certification evidence. Detectors declare `standards` like audit rules do (the data-flow detectors map
 * to ETSI EN 303 645 clause 6 and GDPR Art. 5, 13, 25, 44, 46), so an assessment treats each detector as a rule whose
 * findings are its unresolved alerts about the model: an open or acknowledged alert is an open finding (FAIL); one
 * verified as a benign positive is a suppressed finding; false positives and resolved
 * alerts do not count. A detector that reads network flows counts as having run on a model when detection recorded
 * flows of the model's devices in the evidence window (the flow store), so a quiet detector is partial evidence, never
 * proof: it cannot make a provision PASS on its own.
 */
import type { Alert } from "../core/record.ts";
import type { Severity } from "../core/severity.ts";
import type { StandardRef } from "../core/standards.ts";
import type { StoreTx } from "../store/store.ts";
import type { RuleInfo } from "./assess.ts";
import { type FleetEvidence, type ModelEvidence, type RuleOutcome, SAMPLE_LIMIT } from "./evidence.ts";
import { SEVERITIES } from "../core/severity.ts";

/** What certify needs to know of a detector (cli/ passes the detectors' metadata in). */
export interface DetectorInfo {
  id: string;
  title: string;
  severity: Severity;
  standards?: readonly StandardRef[];
  why: string;
  action: string;
  kinds: readonly string[];
}

/** Flows recorded this long before the assessment show that detection watched a model. */
export const DETECTION_WINDOW_DAYS = 30;

export function detectorRules(detectors: readonly DetectorInfo[]): RuleInfo[] {
  return detectors
    .filter((d) => d.standards?.length)
    .map((d) => ({ id: d.id, title: d.title, severity: d.severity, standards: [...d.standards!], rationale: d.why, remediation: d.action, evidenceFrom: "detect" as const }));
}

export async function addDetectionEvidence(store: StoreTx, evidence: FleetEvidence, detectors: readonly DetectorInfo[], now: number): Promise<void> {
  const used = detectors.filter((d) => d.standards?.length);
  const subject = (id: string): ModelEvidence => {
    let m = evidence.models.get(id);
    if (!m) evidence.models.set(id, (m = { model_id: id, devices: 0, deviceFields: new Map(), rules: new Map() }));
    return m;
  };
  for (const d of used) {
    const alerts = [...(await store.alerts.list({ detector: d.id, state: "open", limit: 1_000_000 })), ...(await store.alerts.list({ detector: d.id, state: "acknowledged", limit: 1_000_000 }))];
    const devices = new Map<string, Set<string>>();
    for (const a of alerts) {
      if (a.model_id === undefined || a.verification === "false_positive") continue;
      const m = subject(a.model_id);
      let o = m.rules.get(d.id);
      if (!o) m.rules.set(d.id, (o = { rule: d.id, open: 0, suppressed: 0, devices: 0, devicesApproximate: false, samples: [], suppressionReasons: [], standards: [...(d.standards ?? [])] }));
      note(o, a, devices);
    }
  }
  // Which models detection watched: flows recorded for their devices in the window.
  const since = new Date(now - DETECTION_WINDOW_DAYS * 86_400_000).toISOString().slice(0, 10);
  const until = new Date(now + 86_400_000).toISOString().slice(0, 10);
  const flowDetectors = used.filter((d) => d.kinds.includes("flow")).map((d) => d.id);
  if (!flowDetectors.length) return;
  for (const m of evidence.models.values()) {
    if ((await store.flows.modelDevices(m.model_id, since, until)) === 0) continue;
    m.detected ??= new Set();
    for (const id of flowDetectors) m.detected.add(id);
  }
}

function note(o: RuleOutcome, a: Alert, devices: Map<string, Set<string>>): void {
  const benign = a.verification === "benign_positive";
  if (benign) {
    o.suppressed++;
    const reason = "an alert verified as a benign positive";
    if (!o.suppressionReasons.includes(reason) && o.suppressionReasons.length < 5) o.suppressionReasons.push(reason);
  } else {
    o.open++;
    if (o.worst === undefined || SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(o.worst)) o.worst = a.severity;
    const key = `${a.model_id}\0${a.detector}`;
    let seen = devices.get(key);
    if (!seen) devices.set(key, (seen = new Set()));
    if (!seen.has(a.device_id)) {
      seen.add(a.device_id);
      o.devices++;
    }
  }
  if (o.samples.length < SAMPLE_LIMIT) {
    o.samples.push({ fingerprint: a.id, severity: a.severity, title: a.summary, device_id: a.device_id, devices: 1, status: benign ? "suppressed" : "new", ...(benign ? { suppressed: "verified benign positive" } : {}) });
  }
}
