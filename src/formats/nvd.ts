/**
 * NVD CVE API 2.0 JSON (https://nvd.nist.gov/developers/vulnerabilities), as returned by the API or in the yearly
 * `nvdcve-2.0-*.json` feeds: `{ vulnerabilities: [ { cve: {…} } ] }`. Each vulnerable CPE match criterion becomes an
 * affected entry under `cpe:vendor:product`, with its versionStart/End Including/Excluding bounds.
 *
 * Configurations that combine a vulnerable CPE with a non-vulnerable platform (AND nodes: "firmware X running on
 * hardware Y") are read for their vulnerable part only, so a match means "this software version is affected".
 */
import type { Advisory, Affected, Cvss, VersionBounds } from "../core/advisory.ts";
import { severityOfScore, severityOfWord } from "../core/cvss.ts";
import { cpeHasVersion, cpeIndexKey, parseCpe } from "./cpe.ts";
import { IssueSink, isObject, jsonPath, kindOf, type ParseIssue } from "./json-path.ts";

export interface NvdParseResult {
  advisories: Advisory[];
  issues: ParseIssue[];
  skipped: number;
}

export function isNvdDocument(doc: unknown): boolean {
  if (!isObject(doc) || !Array.isArray(doc.vulnerabilities)) return false;
  if (doc.format === "NVD_CVE") return true;
  const first = doc.vulnerabilities[0];
  return isObject(first) && isObject(first.cve);
}

export function parseNvd(doc: unknown): NvdParseResult {
  const sink = new IssueSink();
  const out: NvdParseResult = { advisories: [], issues: sink.issues, skipped: 0 };
  if (!isObject(doc)) {
    sink.error("$", `is a ${kindOf(doc)}, not an NVD CVE document`);
    return out;
  }
  sink.arr(doc, "vulnerabilities", "$").forEach((v, i) => {
    const at = jsonPath("$.vulnerabilities", i, "cve");
    const cve = isObject(v) && isObject(v.cve) ? v.cve : undefined;
    if (!cve) {
      sink.error(jsonPath("$.vulnerabilities", i), "has no cve object; skipped");
      out.skipped++;
      return;
    }
    const adv = readCve(cve, at, sink);
    if (adv) out.advisories.push(adv);
    else out.skipped++;
  });
  return out;
}

function readCve(cve: Record<string, unknown>, at: string, sink: IssueSink): Advisory | undefined {
  const id = sink.str(cve, "id", at, { required: true });
  if (id === undefined) return undefined;
  const adv: Advisory = { id, source: "nvd", aliases: [], references: [], affected: [] };
  const published = sink.str(cve, "published", at, { level: "warning" });
  const modified = sink.str(cve, "lastModified", at, { level: "warning" });
  if (published !== undefined) adv.published = published;
  if (modified !== undefined) adv.modified = modified;
  if (cve.vulnStatus === "Rejected") adv.withdrawn = modified ?? published ?? "rejected";
  const desc = sink.arr(cve, "descriptions", at).find((d) => isObject(d) && d.lang === "en");
  if (isObject(desc) && typeof desc.value === "string") adv.summary = desc.value.slice(0, 400);
  for (const r of sink.arr(cve, "references", at)) if (isObject(r) && typeof r.url === "string" && adv.references.length < 8) adv.references.push(r.url);
  readMetrics(cve, adv);

  const byKey = new Map<string, Affected>();
  sink.arr(cve, "configurations", at).forEach((conf, ci) => {
    const cat = jsonPath(at, "configurations", ci);
    if (!isObject(conf)) return sink.error(cat, `is a ${kindOf(conf)}, not a configuration`);
    sink.arr(conf, "nodes", cat).forEach((node, ni) => {
      const nat = jsonPath(cat, "nodes", ni);
      if (!isObject(node)) return sink.error(nat, `is a ${kindOf(node)}, not a node`);
      if (node.negate === true) return; // "not running on X": says nothing about what is vulnerable
      sink.arr(node, "cpeMatch", nat).forEach((m, mi) => readMatch(m, jsonPath(nat, "cpeMatch", mi), sink, byKey));
    });
  });
  adv.affected = [...byKey.values()];
  return adv;
}

function readMatch(m: unknown, at: string, sink: IssueSink, byKey: Map<string, Affected>): void {
  if (!isObject(m)) return sink.error(at, `is a ${kindOf(m)}, not a CPE match`);
  if (m.vulnerable !== true) return;
  const criteria = sink.str(m, "criteria", at, { required: true });
  if (criteria === undefined) return;
  const cpe = parseCpe(criteria);
  if ("error" in cpe) return sink.error(jsonPath(at, "criteria"), `${cpe.error}; match skipped`);
  const key = cpeIndexKey(cpe.vendor, cpe.product);
  let aff = byKey.get(key);
  if (!aff) {
    aff = { key, scheme: "generic", ranges: [], versions: [] };
    byKey.set(key, aff);
  }
  const b: VersionBounds = {};
  const get = (k: string) => (typeof m[k] === "string" && (m[k] as string).trim() !== "" ? (m[k] as string).trim() : undefined);
  const si = get("versionStartIncluding");
  const se = get("versionStartExcluding");
  const ei = get("versionEndIncluding");
  const ee = get("versionEndExcluding");
  if (si !== undefined) b.introduced = si;
  else if (se !== undefined) {
    b.introduced = se;
    b.introduced_exclusive = true;
  }
  if (ee !== undefined) b.fixed = ee;
  else if (ei !== undefined) b.last_affected = ei;
  if (Object.keys(b).length > 0) {
    aff.ranges.push(b);
    return;
  }
  if (cpeHasVersion(cpe)) {
    // NVD writes OpenSSH 9.3p1 as version 9.3, update p1; the component version is the joined form.
    const update = cpe.update !== "*" && cpe.update !== "-" && cpe.update !== "" ? cpe.update : "";
    aff.versions.push(cpe.version + update);
    return;
  }
  // `*` without bounds: every version. `-` means "no version applies" (typically hardware or unversioned firmware).
  aff.all_versions = true;
}

/** NVD lists several CVSS metrics; prefer the newest version, and NVD's own (Primary) over a CNA's (Secondary). */
function readMetrics(cve: Record<string, unknown>, adv: Advisory): void {
  const metrics = isObject(cve.metrics) ? cve.metrics : undefined;
  if (!metrics) return;
  for (const key of ["cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"]) {
    const list = Array.isArray(metrics[key]) ? (metrics[key] as unknown[]) : [];
    const chosen = list.filter(isObject).sort((a, b) => (a.type === "Primary" ? -1 : 0) - (b.type === "Primary" ? -1 : 0))[0];
    const data = chosen && isObject(chosen.cvssData) ? chosen.cvssData : undefined;
    if (!data || typeof data.baseScore !== "number") continue;
    const cvss: Cvss = { version: typeof data.version === "string" ? data.version : key.replace("cvssMetricV", "").replace(/^(\d)(\d)$/, "$1.$2"), score: data.baseScore };
    if (typeof data.vectorString === "string") cvss.vector = data.vectorString;
    adv.cvss = cvss;
    const word = typeof data.baseSeverity === "string" ? data.baseSeverity : typeof chosen!.baseSeverity === "string" ? (chosen!.baseSeverity as string) : undefined;
    adv.severity = (word !== undefined ? severityOfWord(word) : undefined) ?? severityOfScore(data.baseScore);
    return;
  }
}
