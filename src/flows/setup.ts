/**
 * Builds the flow context a detection run needs (declarations from the models and a flows.yaml, the tracker lists,
 * an optional GeoIP database and DNS log) and turns the run's ledger into flow observations for the store.
 */
import { readFileSync } from "node:fs";
import { LongwatchError } from "../core/errors.ts";
import type { DeviceModel } from "../core/fleet.ts";
import { type FlowDeclaration, FlowsFileSchema } from "../core/flows.ts";
import type { DeviceIndex } from "../detect/device-index.ts";
import type { FlowObservation, FlowRepository } from "../store/flows.ts";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { FlowContext } from "./classify.ts";
import { readDnsLog } from "./dns-log.ts";
import { openGeoIp } from "./geoip.ts";
import { type InputMark, type InputPlan, markInput, planInputs } from "./inputs.ts";
import { loadTrackers } from "./trackers.ts";

export interface FlowSetup {
  models: readonly DeviceModel[];
  flowsFile?: string;
  geoip?: string;
  dnsLog?: string;
  trackers?: readonly string[];
  localNets?: readonly string[];
  /** Told where a DNS log or tracker list is not UTF-8 (read as Windows-1252 from that byte). */
  warn?: (message: string) => void;
}

/** model id → declaration, from models (`flows:`) and a flows.yaml (which wins for a model in both). */
export function readDeclarations(models: readonly DeviceModel[], flowsFile?: string): Map<string, FlowDeclaration> {
  const out = new Map<string, FlowDeclaration>();
  for (const m of models) if (m.flows) out.set(m.model_id, m.flows);
  if (flowsFile !== undefined) for (const [id, d] of Object.entries(readFlowsFile(flowsFile))) out.set(id, d);
  return out;
}

export function readFlowsFile(file: string): Record<string, FlowDeclaration> {
  const src = readYamlText(readFileSync(file, "utf8"));
  if (!src.ok) throw new LongwatchError("invalid_config", yamlProblemText(file, src), { file, line: src.line });
  const parsed = FlowsFileSchema.safeParse(src.value ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const node = src.doc.getIn(i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), true) as { range?: [number] } | undefined;
    const pos = node?.range ? src.lines.linePos(node.range[0]) : undefined;
    throw new LongwatchError("invalid_config", `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: ${i.path.join(".")}: ${i.message}`, { file, path: i.path.join(".") });
  }
  return parsed.data;
}

export function buildFlowContext(s: FlowSetup): FlowContext {
  return new FlowContext({
    declarations: readDeclarations(s.models, s.flowsFile),
    trackers: loadTrackers(s.trackers ?? [], s.warn),
    ...(s.geoip !== undefined ? { geoip: openGeoIp(s.geoip) } : {}),
    ...(s.dnsLog !== undefined ? { dnsNames: readDnsLog(s.dnsLog, undefined, s.warn).names } : {}),
    ...(s.localNets ? { localNets: s.localNets } : {}),
  });
}

/** The run's ledger as store rows (device names from the engine's index). */
export function observations(fc: FlowContext, index: DeviceIndex): FlowObservation[] {
  const out: FlowObservation[] = [];
  if (!fc.ledger) return out;
  for (const r of fc.ledger.rows()) {
    const c = fc.entries[r.entry]!;
    const o: FlowObservation = {
      device_id: index.name(r.device),
      day: new Date(r.day * 86_400_000).toISOString().slice(0, 10),
      destination: c.name,
      address: c.address,
      direction: c.outbound ? "from-device" : "to-device",
      name_source: c.nameSource,
      local: c.local,
      party: c.party,
      categories: [...c.categories],
      declared: c.declared >= 0,
      flows: r.flows,
      bytes_out: r.bytesOut,
      bytes_in: r.bytesIn,
      first_seen: new Date(r.firstTs).toISOString(),
      last_seen: new Date(r.lastTs).toISOString(),
    };
    if (c.model !== undefined) o.model_id = c.model;
    if (c.port !== undefined) o.port = c.port;
    if (c.proto !== undefined) o.protocol = c.proto;
    if (c.owner !== undefined) o.owner = c.owner;
    if (c.country !== undefined) o.country = c.country;
    if (c.purpose !== undefined) o.purpose = c.purpose;
    if (c.mudAllowed !== undefined) o.mud_allowed = c.mudAllowed;
    out.push(o);
  }
  return out;
}

/** Tells the context which lines of `files` earlier runs counted already (flow_inputs), so this run adds only the rest. */
export async function skipCountedInputs(store: { flows: Pick<FlowRepository, "inputs"> }, files: readonly string[], fc: FlowContext): Promise<{ marks: InputMark[]; plan: InputPlan }> {
  const marks = files.map(markInput);
  const plan = planInputs(marks, await store.flows.inputs(marks.map((m) => m.hash), marks.map((m) => m.path)));
  fc.skipCounted(plan.skip);
  return { marks, plan };
}
