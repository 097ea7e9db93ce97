/**
 * Which firmware images carry which vulnerabilities: loads their components, fetches only the advisory entries filed
 * under those components' keys, matches through the index (cost linear in components), then groups hits by
 * vulnerability (an OSV, an NVD and a CSAF record about one CVE are one vulnerability), and adds severity, KEV, EPSS
 * and the VEX statements that apply. Rules, `vulns diff` and the demo all use this.
 */
import { canonicalVulnId, type Cvss, type EpssScore, type KevEntry } from "../core/advisory.ts";
import type { MatchKey, StoredComponent, VexStatement } from "../core/component.ts";
import { severityOfScore } from "../core/cvss.ts";
import type { DeviceModel } from "../core/fleet.ts";
import { maxSeverity, type Severity } from "../core/severity.ts";
import { cpeIndexKey } from "../formats/cpe.ts";
import type { AdvisoryInfo, StoreTx } from "../store/store.ts";
import { AdvisoryIndex, type KeyHit } from "./match.ts";
import { vexApplies } from "./vex.ts";

export interface FirmwareRef {
  model_id: string;
  firmware_version: string;
  /** The model's record, for device-level advisories (CSAF about the product itself). */
  model?: DeviceModel;
}

export interface MatchedComponent {
  name: string;
  version?: string;
  purl?: string;
  cpe?: string;
  bom_ref?: string;
  /** True for the firmware image itself, matched by its model (vendor advisories about the device). */
  firmware?: boolean;
}

/**
 * One vulnerability of one component of one firmware image. Matches of the same component in several images share
 * their nested objects and arrays (component, aliases, advisories …): treat them as read-only.
 */
export interface VulnMatch {
  model_id: string;
  firmware_version: string;
  component: MatchedComponent;
  /** The CVE when there is one, else the advisory's own id. */
  vuln_id: string;
  aliases: string[];
  advisories: string[];
  summary?: string;
  severity: Severity;
  /** Where the severity came from: the highest CVSS score, the advisory's own rating, or the default for unknown. */
  severity_source: "cvss" | "advisory" | "unknown";
  cvss?: Cvss;
  /** The advisory the CVSS score comes from, when it is not one of the matching advisories. */
  scored_by?: string;
  /** How it matched: the key, how the key was derived, the component version compared and the range it fell in. */
  matched: { key: string; via: string; version?: string; because: string }[];
  fixed_in?: string;
  kev?: KevEntry;
  epss?: EpssScore;
  /** VEX statements about this vulnerability that apply to this component (or to the firmware as a whole). */
  vex: VexStatement[];
  /** The statement that says it does not apply (not_affected or fixed), when no statement says it does. */
  not_affected_by?: VexStatement;
  references: string[];
}

export interface AssessOptions {
  /** Only advisories about a CVE in the KEV catalogue (cheaper: the known-exploited rule needs nothing else). */
  knownExploited?: boolean;
}

/** Severity of a vulnerability whose feeds give neither a score nor a rating. */
export const UNKNOWN_SEVERITY: Severity = "medium";

export async function assessFirmware(store: StoreTx, firmware: readonly FirmwareRef[], opts: AssessOptions = {}): Promise<Map<string, VulnMatch[]>> {
  // 1. Inventories. A component stored identically in several images comes back as one shared object, so everything
  //    below (matching, grouping) happens once per distinct component, and each image only stamps the result.
  const shared = new Map<string, StoredComponent>();
  const comps = new Map<string, StoredComponent[]>();
  const keys = new Set<string>();
  for (const f of firmware) {
    const list = await store.vulns.components(f.model_id, f.firmware_version, shared);
    list.push(firmwareItself(f));
    comps.set(firmwareKey(f), list);
    for (const c of list) for (const k of c.keys) keys.add(k.key);
  }
  // 2. Only the advisory entries filed under those keys, then the index lookups.
  const index = new AdvisoryIndex(await store.vulns.affectedByKeys([...keys], { knownExploited: opts.knownExploited ?? false }));
  const hitsOf = new Map<StoredComponent, KeyHit[]>();
  const advisoryIds = new Set<string>();
  for (const list of comps.values()) {
    for (const c of list) {
      if (hitsOf.has(c)) continue;
      const h = index.match(c.keys);
      hitsOf.set(c, h);
      for (const x of h) advisoryIds.add(x.advisory_id);
    }
  }
  // 3. What the matched advisories say, and what KEV, EPSS and VEX add.
  const infos = await store.vulns.advisories([...advisoryIds]);
  const allIds = new Set<string>();
  for (const a of infos.values()) {
    allIds.add(canonicalVulnId(a));
    for (const x of [a.id, ...a.aliases]) allIds.add(x);
  }
  const cves = [...allIds].filter((x) => /^CVE-/i.test(x));
  const [kev, epss, vex] = await Promise.all([store.vulns.kev(cves), store.vulns.epss(cves), store.vulns.vex([...allIds])]);
  const vexById = groupVex(vex);
  // A distro feed often carries no score; another feed's record of the same CVE (NVD's) does. Fetched only for those.
  const unscored = new Set<string>();
  for (const a of infos.values()) if (!a.cvss) unscored.add(canonicalVulnId(a));
  const scoreById = bestScores(unscored.size ? await store.vulns.advisoriesAbout([...unscored].filter((x) => /^CVE-/i.test(x))) : []);

  // 4. Per distinct component: its vulnerabilities, grouped (one per CVE however many feeds name it).
  const templates = new Map<StoredComponent, Omit<VulnMatch, "model_id" | "firmware_version">[]>();
  const templatesOf = (c: StoredComponent) => {
    let t = templates.get(c);
    if (!t) {
      t = group(c, hitsOf.get(c) ?? [], infos, scoreById, kev, epss);
      templates.set(c, t);
    }
    return t;
  };
  // 5. Stamped per firmware image; VEX statements can be about one image, so they are applied here.
  const out = new Map<string, VulnMatch[]>();
  for (const f of firmware) {
    const list: VulnMatch[] = [];
    for (const c of comps.get(firmwareKey(f))!) {
      for (const t of templatesOf(c)) {
        const m: VulnMatch = { ...t, model_id: f.model_id, firmware_version: f.firmware_version, vex: [] };
        if (vexById.size > 0) applyVex(m, vexById, f, c);
        list.push(m);
      }
    }
    // Plain code-unit order (not localeCompare): stable across machines, and fast on hundreds of thousands of matches.
    list.sort((a, b) => cmp(a.component.name, b.component.name) || cmp(a.vuln_id, b.vuln_id));
    out.set(firmwareKey(f), list);
  }
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function group(
  c: StoredComponent,
  hits: readonly KeyHit[],
  infos: Map<string, AdvisoryInfo>,
  scoreById: Map<string, { id: string; cvss: Cvss }>,
  kev: Map<string, KevEntry>,
  epss: Map<string, EpssScore>,
): Omit<VulnMatch, "model_id" | "firmware_version">[] {
  if (hits.length === 0) return [];
  const byVuln = new Map<string, VulnMatch>();
  for (const hit of hits) {
    const info = infos.get(hit.advisory_id);
    if (!info) continue;
    const vulnId = canonicalVulnId(info);
    let m = byVuln.get(vulnId);
    if (!m) {
      m = newMatch(c, vulnId);
      byVuln.set(vulnId, m);
    }
    addAdvisory(m, info, hit);
  }
  for (const m of byVuln.values()) {
    const other = scoreById.get(m.vuln_id.toUpperCase());
    if (other && (!m.cvss || other.cvss.score > m.cvss.score)) {
      m.cvss = other.cvss;
      if (!m.advisories.includes(other.id)) m.scored_by = other.id;
    }
    finish(m, kev, epss);
  }
  return [...byVuln.values()];
}

export function firmwareKey(f: Pick<FirmwareRef, "model_id" | "firmware_version">): string {
  return `${f.model_id}\0${f.firmware_version}`;
}

/**
 * The firmware image as a component of its own, so advisories about the device product (a vendor's CSAF naming the
 * model, or NVD's CPE of the manufacturer's firmware) match too: keyed by model id, and by manufacturer:name.
 */
function firmwareItself(f: FirmwareRef): StoredComponent {
  const keys: MatchKey[] = [{ key: `model:${f.model_id.toLowerCase()}`, version: f.firmware_version, scheme: "generic", via: "model" }];
  const m = f.model;
  if (m?.manufacturer && m.name) {
    keys.push({ key: cpeIndexKey(m.manufacturer, m.name), version: f.firmware_version, scheme: "generic", via: "model" });
    keys.push({ key: cpeIndexKey(m.manufacturer, `${m.name}_firmware`), version: f.firmware_version, scheme: "generic", via: "model" });
  }
  return { name: `${f.model_id} firmware`, version: f.firmware_version, keys, ecosystem: "firmware" };
}

/** A match before it is stamped with its firmware image (model_id and firmware_version are filled in per image). */
function newMatch(c: StoredComponent, vulnId: string): VulnMatch {
  const component: MatchedComponent = { name: c.name };
  if (c.version !== undefined) component.version = c.version;
  if (c.purl !== undefined) component.purl = c.purl;
  if (c.cpe !== undefined) component.cpe = c.cpe;
  if (c.bom_ref !== undefined) component.bom_ref = c.bom_ref;
  if (c.ecosystem === "firmware") component.firmware = true;
  return {
    model_id: "",
    firmware_version: "",
    component,
    vuln_id: vulnId,
    aliases: [],
    advisories: [],
    severity: UNKNOWN_SEVERITY,
    severity_source: "unknown",
    matched: [],
    vex: [],
    references: [],
  };
}

function addAdvisory(m: VulnMatch, info: AdvisoryInfo, hit: KeyHit): void {
  m.advisories.push(info.id);
  for (const a of [info.id, ...info.aliases]) if (a !== m.vuln_id && !m.aliases.includes(a)) m.aliases.push(a);
  const matched: VulnMatch["matched"][number] = { key: hit.key.key, via: hit.key.via, because: hit.hit.because };
  if (hit.key.version !== undefined) matched.version = hit.key.version;
  m.matched.push(matched);
  if (hit.hit.fixed_in !== undefined && m.fixed_in === undefined) m.fixed_in = hit.hit.fixed_in;
  if (m.summary === undefined && info.summary !== undefined) m.summary = info.summary;
  for (const r of info.references) if (m.references.length < 5 && !m.references.includes(r)) m.references.push(r);
  if (info.cvss && (!m.cvss || info.cvss.score > m.cvss.score)) m.cvss = info.cvss;
  if (info.severity) m.severity = m.severity_source === "unknown" ? info.severity : maxSeverity(m.severity, info.severity);
  if (m.severity_source === "unknown" && info.severity) m.severity_source = "advisory";
}

function finish(m: VulnMatch, kev: Map<string, KevEntry>, epss: Map<string, EpssScore>): void {
  if (m.cvss) {
    m.severity = severityOfScore(m.cvss.score);
    m.severity_source = "cvss";
  }
  for (const id of [m.vuln_id, ...m.aliases]) {
    const k = kev.get(id.toUpperCase());
    if (k && !m.kev) m.kev = k;
    const e = epss.get(id.toUpperCase());
    if (e && !m.epss) m.epss = e;
  }
  m.advisories.sort();
  m.aliases.sort();
}

/** CVE → the highest CVSS score any stored advisory about it gives, and which advisory that is. */
function bestScores(advisories: readonly AdvisoryInfo[]): Map<string, { id: string; cvss: Cvss }> {
  const m = new Map<string, { id: string; cvss: Cvss }>();
  for (const a of advisories) {
    if (!a.cvss) continue;
    for (const id of [a.id, ...a.aliases]) {
      if (!/^CVE-/i.test(id)) continue;
      const key = id.toUpperCase();
      const cur = m.get(key);
      if (!cur || a.cvss.score > cur.cvss.score) m.set(key, { id: a.id, cvss: a.cvss });
    }
  }
  return m;
}

function applyVex(m: VulnMatch, vexById: Map<string, VexStatement[]>, f: FirmwareRef, c: StoredComponent): void {
  const stmts: VexStatement[] = [];
  for (const id of new Set([m.vuln_id, ...m.aliases])) for (const s of vexById.get(id.toUpperCase()) ?? []) if (vexApplies(s, f, c)) stmts.push(s);
  m.vex = stmts;
  const denies = stmts.filter((s) => s.status === "not_affected" || s.status === "fixed");
  if (denies.length > 0 && !stmts.some((s) => s.status === "affected")) m.not_affected_by = denies[0]!;
}

function groupVex(vex: readonly VexStatement[]): Map<string, VexStatement[]> {
  const m = new Map<string, VexStatement[]>();
  for (const s of vex) {
    const id = s.vuln_id.toUpperCase();
    const list = m.get(id);
    if (list) list.push(s);
    else m.set(id, [s]);
  }
  return m;
}

