/**
 * OSV records (https://ossf.github.io/osv-schema/): one JSON object per vulnerability, as published by osv.dev for
 * Debian, Alpine, npm, Go … An affected entry whose ecosystem Longwatch has no version scheme for, or whose ranges
 * are only git commits, is reported and skipped; the rest of the record is kept.
 */
import type { Advisory, Affected, Cvss, VersionBounds, VersionScheme } from "../core/advisory.ts";
import { cvssBaseScore, severityOfScore, severityOfWord } from "../core/cvss.ts";
import { cpeIndexKey } from "./cpe.ts";
import { IssueSink, isObject, jsonPath, kindOf, type ParseIssue } from "./json-path.ts";
import { parsePurl, purlIndexKey } from "./purl.ts";

export type CompareFor = (scheme: VersionScheme) => (a: string, b: string) => number;

interface EcosystemInfo {
  scheme: VersionScheme;
  key(name: string): string;
  /** The release part of `Debian:12`, `Alpine:v3.18`, `Ubuntu:22.04:LTS`. */
  distro?(rest: string): string | undefined;
}

const purlKey = (type: string, namespace?: string) => (name: string) => purlIndexKey(namespace ? { type, namespace, name } : { type, name });
const split = (type: string, sep: string) => (name: string) => {
  const i = name.lastIndexOf(sep);
  return i > 0 ? purlIndexKey({ type, namespace: name.slice(0, i), name: name.slice(i + 1) }) : purlIndexKey({ type, name });
};
const release = (rest: string) => /(\d+(?:\.\d+)*)/.exec(rest)?.[1];

/** OSV ecosystem → how its package names are indexed and its versions compared. */
const ECOSYSTEMS: Record<string, EcosystemInfo> = {
  npm: { scheme: "semver", key: split("npm", "/") },
  Go: { scheme: "semver", key: purlKey("golang") },
  "crates.io": { scheme: "semver", key: purlKey("cargo") },
  NuGet: { scheme: "semver", key: purlKey("nuget") },
  RubyGems: { scheme: "semver", key: purlKey("gem") },
  Packagist: { scheme: "semver", key: split("composer", "/") },
  Hex: { scheme: "semver", key: purlKey("hex") },
  Pub: { scheme: "semver", key: purlKey("pub") },
  Bitnami: { scheme: "semver", key: purlKey("bitnami") },
  PyPI: { scheme: "generic", key: purlKey("pypi") },
  Maven: { scheme: "generic", key: split("maven", ":") },
  Debian: { scheme: "dpkg", key: purlKey("deb", "debian"), distro: release },
  Ubuntu: { scheme: "dpkg", key: purlKey("deb", "ubuntu"), distro: release },
  Alpine: { scheme: "apk", key: purlKey("apk", "alpine"), distro: release },
  Wolfi: { scheme: "apk", key: purlKey("apk", "wolfi") },
  Chainguard: { scheme: "apk", key: purlKey("apk", "chainguard") },
  "Red Hat": { scheme: "rpm", key: purlKey("rpm", "redhat") },
  "Rocky Linux": { scheme: "rpm", key: purlKey("rpm", "rocky-linux"), distro: release },
  AlmaLinux: { scheme: "rpm", key: purlKey("rpm", "almalinux"), distro: release },
  SUSE: { scheme: "rpm", key: purlKey("rpm", "suse") },
  openSUSE: { scheme: "rpm", key: purlKey("rpm", "opensuse") },
  Mageia: { scheme: "rpm", key: purlKey("rpm", "mageia"), distro: release },
  openEuler: { scheme: "rpm", key: purlKey("rpm", "openeuler"), distro: release },
  // The kernel's OSV records name the kernel itself; index them where NVD's CPE puts it.
  Linux: { scheme: "generic", key: () => cpeIndexKey("linux", "linux_kernel") },
  "OSS-Fuzz": { scheme: "generic", key: purlKey("generic") },
};

export interface OsvParseResult {
  advisory?: Advisory;
  issues: ParseIssue[];
  /** Affected entries skipped (unknown ecosystem, unusable ranges). */
  skipped: number;
}

export function parseOsv(doc: unknown, compareFor: CompareFor, base = "$"): OsvParseResult {
  const sink = new IssueSink();
  const result: OsvParseResult = { issues: sink.issues, skipped: 0 };
  if (!isObject(doc)) {
    sink.error(base, `is a ${kindOf(doc)}, not an OSV record`);
    return result;
  }
  const id = sink.str(doc, "id", base, { required: true });
  if (id === undefined) return result;
  const adv: Advisory = { id, source: "osv", aliases: [], references: [], affected: [] };
  for (const a of sink.arr(doc, "aliases", base)) if (typeof a === "string") adv.aliases.push(a);
  // `upstream` names what a distro record derives from; one CVE there is the same vulnerability.
  const upstream = sink.arr(doc, "upstream", base).filter((u): u is string => typeof u === "string");
  if (upstream.length === 1 && !adv.aliases.includes(upstream[0]!)) adv.aliases.push(upstream[0]!);
  const summary = sink.str(doc, "summary", base, { level: "warning" }) ?? firstLine(sink.str(doc, "details", base, { level: "warning" }));
  if (summary !== undefined) adv.summary = summary.slice(0, 400);
  for (const k of ["published", "modified", "withdrawn"] as const) {
    const v = sink.str(doc, k, base, { level: "warning" });
    if (v !== undefined) adv[k] = v;
  }
  for (const r of sink.arr(doc, "references", base)) if (isObject(r) && typeof r.url === "string" && adv.references.length < 8) adv.references.push(r.url);
  applySeverity(adv, doc, base, sink);

  sink.arr(doc, "affected", base).forEach((a, i) => {
    const at = jsonPath(base, "affected", i);
    if (!isObject(a)) {
      sink.error(at, `is a ${kindOf(a)}, not an affected object`);
      result.skipped++;
      return;
    }
    const aff = readAffected(a, at, sink, compareFor);
    if (aff) adv.affected.push(aff);
    else result.skipped++;
    if (adv.cvss === undefined) applySeverity(adv, a, at, sink);
  });
  if (adv.affected.length === 0 && adv.withdrawn === undefined) sink.warn(jsonPath(base, "affected"), "names no package Longwatch can match; the record is kept for its aliases only");
  result.advisory = adv;
  return result;
}

function readAffected(a: Record<string, unknown>, at: string, sink: IssueSink, compareFor: CompareFor): Affected | undefined {
  const pkg = isObject(a.package) ? a.package : undefined;
  if (!pkg) {
    sink.error(jsonPath(at, "package"), "is missing");
    return undefined;
  }
  const pat = jsonPath(at, "package");
  const ecosystemFull = sink.str(pkg, "ecosystem", pat, { required: true });
  const name = sink.str(pkg, "name", pat, { required: true });
  if (ecosystemFull === undefined || name === undefined) return undefined;
  const colon = ecosystemFull.indexOf(":");
  const eco = colon >= 0 ? ecosystemFull.slice(0, colon) : ecosystemFull;
  const info = ECOSYSTEMS[eco];
  if (!info) {
    sink.error(jsonPath(pat, "ecosystem"), `"${ecosystemFull}" is an ecosystem Longwatch has no version scheme for; entry skipped`);
    return undefined;
  }
  let key = info.key(name);
  if (typeof pkg.purl === "string") {
    const p = parsePurl(pkg.purl);
    if ("error" in p) sink.warn(jsonPath(pat, "purl"), `${p.error}; the ecosystem and name are used instead`);
    else if (eco !== "Linux") key = purlIndexKey(p);
  }
  const aff: Affected = { key, scheme: info.scheme, ranges: [], versions: [] };
  const distro = colon >= 0 && info.distro ? info.distro(ecosystemFull.slice(colon + 1)) : undefined;
  if (distro !== undefined) aff.distro = distro;
  for (const v of sink.arr(a, "versions", at)) if (typeof v === "string" && v.trim() !== "") aff.versions.push(v.trim());
  let gitOnly = false;
  sink.arr(a, "ranges", at).forEach((r, j) => {
    const rat = jsonPath(at, "ranges", j);
    if (!isObject(r)) {
      sink.error(rat, `is a ${kindOf(r)}, not a range object`);
      return;
    }
    const type = typeof r.type === "string" ? r.type : "";
    if (type === "GIT") {
      gitOnly = true;
      return;
    }
    if (type !== "SEMVER" && type !== "ECOSYSTEM") {
      sink.error(jsonPath(rat, "type"), `"${type}" is not SEMVER, ECOSYSTEM or GIT; range skipped`);
      return;
    }
    const scheme = type === "SEMVER" ? "semver" : info.scheme;
    if (type === "SEMVER") aff.scheme = "semver";
    const bounds = eventsToBounds(sink.arr(r, "events", rat), jsonPath(rat, "events"), sink, compareFor(scheme));
    aff.ranges.push(...bounds);
  });
  if (aff.ranges.length === 0 && aff.versions.length === 0) {
    sink.error(at, gitOnly ? "gives only git commit ranges, which cannot be compared with package versions; entry skipped" : "has no usable ranges or versions; entry skipped");
    return undefined;
  }
  return aff;
}

/**
 * OSV events → intervals, following the schema's evaluation: sort events by version ("0" first), then walk them,
 * `introduced` opening an interval and `fixed` / `last_affected` closing it. `limit` only bounds git ranges.
 */
export function eventsToBounds(events: unknown[], at: string, sink: IssueSink, compare: (a: string, b: string) => number): VersionBounds[] {
  type Ev = { kind: "introduced" | "fixed" | "last_affected"; v: string };
  const evs: Ev[] = [];
  events.forEach((e, i) => {
    if (!isObject(e)) {
      sink.error(jsonPath(at, i), `is a ${kindOf(e)}, not an event`);
      return;
    }
    for (const kind of ["introduced", "fixed", "last_affected"] as const) {
      const v = e[kind];
      if (typeof v === "string" && v.trim() !== "") evs.push({ kind, v: v.trim() });
      else if (v !== undefined) sink.error(jsonPath(at, i, kind), "is not a version string");
    }
  });
  const rank = (e: Ev) => (e.kind === "introduced" && e.v === "0" ? -1 : 0);
  evs.sort((a, b) => rank(a) - rank(b) || (rank(a) === -1 ? 0 : compare(a.v, b.v)) || (a.kind === "introduced" ? -1 : b.kind === "introduced" ? 1 : 0));
  const out: VersionBounds[] = [];
  let open: string | undefined;
  for (const e of evs) {
    if (e.kind === "introduced") {
      if (open === undefined) open = e.v;
      continue;
    }
    if (open === undefined) continue; // a fix with nothing introduced before it affects nothing
    const b: VersionBounds = open === "0" ? {} : { introduced: open };
    if (e.kind === "fixed") b.fixed = e.v;
    else b.last_affected = e.v;
    out.push(b);
    open = undefined;
  }
  if (open !== undefined) out.push(open === "0" ? {} : { introduced: open });
  return out;
}

function applySeverity(adv: Advisory, o: Record<string, unknown>, at: string, sink: IssueSink): void {
  let best: Cvss | undefined;
  for (const s of sink.arr(o, "severity", at)) {
    if (!isObject(s) || typeof s.score !== "string") continue;
    const type = typeof s.type === "string" ? s.type : "";
    if (type === "Ubuntu") {
      const w = severityOfWord(s.score);
      if (w && adv.severity === undefined) adv.severity = w;
      continue;
    }
    const computed = cvssBaseScore(s.score);
    if (computed && (!best || computed.score > best.score)) best = { version: computed.version, score: computed.score, vector: s.score };
  }
  if (best) {
    adv.cvss = best;
    adv.severity = severityOfScore(best.score);
    return;
  }
  const db = isObject(o.database_specific) ? o.database_specific : undefined;
  const word = db && typeof db.severity === "string" ? severityOfWord(db.severity) : undefined;
  if (word && adv.severity === undefined) adv.severity = word;
}

function firstLine(s: string | undefined): string | undefined {
  return s?.split(/\n/, 1)[0];
}
