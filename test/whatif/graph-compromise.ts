/**
 * The oracle for whatif/compromise.ts: a compromise answered on the fleet graph's arrays (graph.ts, select.ts), as it
 * was before the database counted it. compromise must give exactly this report (fast.test.ts); bench/whatif.ts times
 * it as the baseline of the same run.
 */
import type { RespondDeps } from "../../src/respond/context.ts";
import { type CompromiseReport, type Counted, reportOf } from "../../src/whatif/compromise.ts";
import { parseWhatifTarget } from "../../src/whatif/target.ts";
import { buildGraph, type FleetGraph } from "./graph.ts";
import { selectDevices } from "./select.ts";

const inc = (m: Map<string | null, number>, k: string | null) => m.set(k, (m.get(k) ?? 0) + 1);

/** `compromise(deps, target, opts)` over a graph (built from the store when none is given). */
export async function compromiseOnGraph(deps: RespondDeps, target: string, opts: { graph?: FleetGraph; sample?: number; devices?: boolean } = {}): Promise<CompromiseReport> {
  const t = parseWhatifTarget(target);
  const g = opts.graph ?? (await buildGraph(deps.store));
  const sample = opts.sample ?? 3;
  const sel = await selectDevices(deps.store, g, t);
  const byModel = new Map<string | null, number>(), byGroup = new Map<string | null, number>(), byCountry = new Map<string | null, number>();
  const name = (d: { names: string[] }, k: number) => (k < 0 ? null : d.names[k]!);
  const fps = new Set<string>();
  const mqttSample: string[] = [];
  let mqtt = 0;
  for (const i of sel.devices) {
    inc(byModel, name(g.models, g.model[i]!));
    inc(byCountry, name(g.countries, g.country[i]!));
    const a = g.groupStart[i]!, b = g.groupStart[i + 1]!;
    if (a === b) inc(byGroup, null);
    for (let k = a; k < b; k++) inc(byGroup, g.groups.names[g.groupList[k]!]!);
    if (g.cert[i]! >= 0) fps.add(g.certs.names[g.cert[i]!]!);
    if (g.mqtt[i]) {
      if (mqttSample.length < sample) mqttSample.push(g.ids[i]!);
      mqtt++;
    }
  }
  const certs = t.kind === "ca" || t.kind === "cert";
  const c: Counted = { fleet: g.size, devices: sel.devices.length, byModel, byGroup, byCountry, mqtt, mqttSample, certificates: certs ? fps.size : 0, certificateSample: certs ? [...fps].sort().slice(0, sample) : [], resolved: sel.resolved, notes: sel.notes, modelDocs: g.modelDocs };
  const listed = opts.devices ? [...sel.devices].map((i) => ({ device_id: g.ids[i]!, model_id: name(g.models, g.model[i]!), country: name(g.countries, g.country[i]!) })) : undefined;
  return reportOf(deps, t, c, listed);
}
