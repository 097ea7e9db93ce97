/**
 * CycloneDX 1.4–1.6 JSON SBOMs (https://cyclonedx.org/specification/overview/): every component, nested ones too, with
 * its name, version, purl, CPE and bom-ref; and VEX statements in `vulnerabilities[].analysis`.
 */
import type { VexStatus } from "../core/component.ts";
import { type EmbeddedVex, type ParsedComponent, type SbomParseResult } from "./sbom.ts";
import { IssueSink, isObject, jsonPath, kindOf } from "./json-path.ts";

const KNOWN_SPECS = new Set(["1.4", "1.5", "1.6"]);
/** Component types that are not software we can match advisories against. */
const SKIPPED_TYPES = new Set(["file", "data", "machine-learning-model", "cryptographic-asset"]);

/** CycloneDX analysis states → VEX status (CycloneDX 1.4+ `impactAnalysisState`). */
const STATES: Record<string, VexStatus> = {
  not_affected: "not_affected",
  false_positive: "not_affected",
  resolved: "fixed",
  resolved_with_pedigree: "fixed",
  exploitable: "affected",
  in_triage: "under_investigation",
};

export function parseCycloneDx(doc: unknown): SbomParseResult {
  const sink = new IssueSink();
  const out: SbomParseResult = { format: "cyclonedx", components: [], vex: [], issues: sink.issues };
  if (!isObject(doc)) {
    sink.error("$", `is a ${kindOf(doc)}, not a CycloneDX document`);
    return out;
  }
  if (doc.bomFormat !== "CycloneDX") sink.error("$.bomFormat", 'is not "CycloneDX"');
  const spec = sink.str(doc, "specVersion", "$", { required: true });
  if (spec !== undefined && !KNOWN_SPECS.has(spec)) sink.warn("$.specVersion", `is ${spec}; Longwatch reads 1.4–1.6 and will try anyway`);
  const meta = isObject(doc.metadata) ? doc.metadata : undefined;
  if (meta && isObject(meta.component)) {
    const m = meta.component;
    const name = typeof m.name === "string" ? m.name : undefined;
    if (name) out.describes = typeof m.version === "string" ? `${name} ${m.version}` : name;
  }
  const walk = (list: unknown[], path: string, depth: number) => {
    list.forEach((c, i) => {
      const at = jsonPath(path, i);
      if (!isObject(c)) {
        sink.error(at, `is a ${kindOf(c)}, not a component object`);
        return;
      }
      readComponent(c, at, sink, out.components);
      if (depth < 32) walk(sink.arr(c, "components", at), jsonPath(at, "components"), depth + 1);
    });
  };
  walk(sink.arr(doc, "components", "$"), "$.components", 0);
  sink.arr(doc, "vulnerabilities", "$").forEach((v, i) => readVulnerability(v, jsonPath("$.vulnerabilities", i), sink, out.vex));
  return out;
}

function readComponent(c: Record<string, unknown>, at: string, sink: IssueSink, into: ParsedComponent[]): void {
  const type = typeof c.type === "string" ? c.type : undefined;
  if (type !== undefined && SKIPPED_TYPES.has(type)) return;
  const name = sink.str(c, "name", at, { required: true });
  if (name === undefined) return;
  const comp: ParsedComponent = { name, at };
  const group = sink.str(c, "group", at, { level: "warning" });
  const version = sink.str(c, "version", at, { level: "warning" });
  const purl = sink.str(c, "purl", at, { level: "warning" });
  const cpe = sink.str(c, "cpe", at, { level: "warning" });
  const ref = sink.str(c, "bom-ref", at, { level: "warning" });
  if (version !== undefined) comp.version = version;
  if (purl !== undefined) comp.purl = purl;
  if (cpe !== undefined) comp.cpe = cpe;
  if (ref !== undefined) comp.bom_ref = ref;
  if (group !== undefined && purl === undefined) comp.name = `${group}/${name}`;
  const supplier = isObject(c.supplier) && typeof c.supplier.name === "string" ? c.supplier.name : typeof c.publisher === "string" ? c.publisher : undefined;
  if (supplier) comp.supplier = supplier;
  into.push(comp);
}

function readVulnerability(v: unknown, at: string, sink: IssueSink, into: EmbeddedVex[]): void {
  if (!isObject(v)) {
    sink.error(at, `is a ${kindOf(v)}, not a vulnerability object`);
    return;
  }
  const id = sink.str(v, "id", at, { required: true });
  if (id === undefined) return;
  const analysis = isObject(v.analysis) ? v.analysis : undefined;
  // A vulnerability without an analysis is a finding from some scanner, not a statement about it: nothing to record.
  if (!analysis) return;
  const state = typeof analysis.state === "string" ? analysis.state : undefined;
  const status = state !== undefined ? STATES[state] : undefined;
  if (status === undefined) {
    sink.warn(jsonPath(at, "analysis", "state"), state === undefined ? "is missing; the statement is ignored" : `"${state}" is not a CycloneDX analysis state; the statement is ignored`);
    return;
  }
  const affects = sink.arr(v, "affects", at);
  if (affects.length === 0) sink.warn(jsonPath(at, "affects"), "names no component; the statement is ignored");
  affects.forEach((a, j) => {
    const ref = isObject(a) && typeof a.ref === "string" ? a.ref : undefined;
    if (ref === undefined) {
      sink.warn(jsonPath(at, "affects", j, "ref"), "is missing; this entry is ignored");
      return;
    }
    const s: EmbeddedVex = { vuln_id: id, status, bom_ref: ref.replace(/^urn:cdx:[^#]*#/, "") };
    if (typeof analysis.justification === "string") s.justification = analysis.justification;
    if (typeof analysis.detail === "string") s.impact = analysis.detail;
    into.push(s);
  });
}
