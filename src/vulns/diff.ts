/**
 * What a firmware upgrade changes: the vulnerabilities it fixes, the ones it introduces and the ones it leaves,
 * comparing the matches of two firmware versions of one model component by component (by name: versions differ).
 */
import type { Severity } from "../core/severity.ts";
import { severityRank } from "../core/severity.ts";
import type { StoreTx } from "../store/store.ts";
import { assessFirmware, firmwareKey, type FirmwareRef, type VulnMatch } from "./assess.ts";

export type DiffChange = "fixed" | "introduced" | "remaining";

export interface DiffEntry {
  change: DiffChange;
  vuln_id: string;
  severity: Severity;
  component: string;
  from_version?: string;
  to_version?: string;
  fixed_in?: string;
  known_exploited: boolean;
  /** Settled by a VEX statement (not affected / fixed) in the firmware it applies to. */
  not_affected?: boolean;
  summary?: string;
}

export interface FirmwareDiff {
  model_id: string;
  from: string;
  to: string;
  entries: DiffEntry[];
  counts: Record<DiffChange, number>;
}

export class MissingSbomError extends Error {}

export async function diffFirmware(store: StoreTx, modelId: string, from: string, to: string): Promise<FirmwareDiff> {
  const have = new Set((await store.vulns.sboms()).filter((s) => s.model_id === modelId).map((s) => s.firmware_version));
  for (const v of [from, to]) if (!have.has(v)) throw new MissingSbomError(`no component inventory for model ${modelId} firmware ${v}; load one with \`longwatch import sbom FILE --model ${modelId} --firmware ${v}\``);
  const model = (await store.fleet.models()).find((m) => m.model_id === modelId);
  const refs: FirmwareRef[] = [from, to].map((v) => (model ? { model_id: modelId, firmware_version: v, model } : { model_id: modelId, firmware_version: v }));
  const results = await assessFirmware(store, refs);
  // The version each firmware ships of every component, to show what an upgrade moves it to (or that it removes it).
  const [vf, vt] = await Promise.all([from, to].map(async (v) => new Map((await store.vulns.components(modelId, v)).map((c) => [c.name, c.version ?? "?"]))));
  const versions: [Map<string, string>, Map<string, string>] = [vf!, vt!];
  const before = index(results.get(firmwareKey(refs[0]!)) ?? []);
  const after = index(results.get(firmwareKey(refs[1]!)) ?? []);
  const entries: DiffEntry[] = [];
  for (const [k, m] of before) entries.push(entry(after.has(k) ? "remaining" : "fixed", m, after.get(k), versions, [from, to]));
  for (const [k, m] of after) if (!before.has(k)) entries.push(entry("introduced", undefined, m, versions, [from, to]));
  const order: Record<DiffChange, number> = { introduced: 0, remaining: 1, fixed: 2 };
  entries.sort((a, b) => order[a.change] - order[b.change] || severityRank(b.severity) - severityRank(a.severity) || a.vuln_id.localeCompare(b.vuln_id) || a.component.localeCompare(b.component));
  const counts: Record<DiffChange, number> = { fixed: 0, introduced: 0, remaining: 0 };
  for (const e of entries) counts[e.change]++;
  return { model_id: modelId, from, to, entries, counts };
}

/** Component name (the firmware itself counts as one) + vulnerability. */
function index(matches: readonly VulnMatch[]): Map<string, VulnMatch> {
  return new Map(matches.map((m) => [`${m.component.firmware ? "\0firmware" : m.component.name}\0${m.vuln_id}`, m]));
}

function entry(change: DiffChange, before: VulnMatch | undefined, after: VulnMatch | undefined, versions: [Map<string, string>, Map<string, string>], firmware: [string, string]): DiffEntry {
  const m = (after ?? before)!;
  const e: DiffEntry = { change, vuln_id: m.vuln_id, severity: m.kev ? "critical" : m.severity, component: m.component.firmware ? "(firmware)" : m.component.name, known_exploited: m.kev !== undefined };
  const version = (side: 0 | 1) => (m.component.firmware ? firmware[side] : (versions[side].get(m.component.name) ?? "(not present)"));
  e.from_version = version(0);
  e.to_version = version(1);
  const fixedIn = after?.fixed_in ?? before?.fixed_in;
  if (fixedIn !== undefined) e.fixed_in = fixedIn;
  if ((after ?? before)!.not_affected_by) e.not_affected = true;
  if (m.summary !== undefined) e.summary = m.summary;
  return e;
}
