/**
 * CSAF 2.0 documents (https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html): security advisories and VEX.
 *
 * Products are identified from the product tree: a purl or CPE in `product_identification_helper` when there is one,
 * otherwise the vendor and product name of its branches (indexed like a CPE vendor:product) with the version from
 * its product_version / service_pack branch or a product_version_range; `model_numbers` also index it by device
 * model. A relationship (`default_component_of`, `installed_on` …) stands for its component product.
 *
 * Per vulnerability: products in `known_affected`/`first_affected`/`last_affected` make an advisory; every product
 * status also becomes a VEX statement (not_affected with its flag as justification and its impact threat as
 * statement, fixed, affected, under_investigation).
 */
import type { Advisory, Cvss, VersionBounds, VersionScheme } from "../core/advisory.ts";
import type { VexStatement, VexStatus } from "../core/component.ts";
import { severityOfScore } from "../core/cvss.ts";
import { cpeHasVersion, cpeIndexKey, parseCpe } from "./cpe.ts";
import { IssueSink, isObject, jsonPath, kindOf, type ParseIssue } from "./json-path.ts";
import { parsePurl, purlIndexKey } from "./purl.ts";
import { parseVersionRange } from "./vers.ts";

/** Where a product's versions are: exact versions and/or ranges, or every version. */
interface ProductIdentity {
  keys: string[];
  scheme: VersionScheme;
  versions: string[];
  ranges: VersionBounds[];
  all_versions: boolean;
  name: string;
}

export interface CsafParseResult {
  advisories: Advisory[];
  vex: VexStatement[];
  issues: ParseIssue[];
  /** Products whose identity could not be worked out (no helper, vendor or name). */
  skipped: number;
}

export function isCsafDocument(doc: unknown): boolean {
  return isObject(doc) && isObject(doc.document) && typeof doc.document.csaf_version === "string";
}

const AFFECTED = ["known_affected", "first_affected", "last_affected"];
const STATUS: Record<string, VexStatus> = {
  known_affected: "affected",
  first_affected: "affected",
  last_affected: "affected",
  known_not_affected: "not_affected",
  fixed: "fixed",
  first_fixed: "fixed",
  under_investigation: "under_investigation",
};

export function parseCsaf(doc: unknown): CsafParseResult {
  const sink = new IssueSink();
  const out: CsafParseResult = { advisories: [], vex: [], issues: sink.issues, skipped: 0 };
  if (!isObject(doc) || !isObject(doc.document)) {
    sink.error("$.document", "is missing: not a CSAF document");
    return out;
  }
  const document = doc.document;
  const version = sink.str(document, "csaf_version", "$.document", { required: true });
  if (version !== undefined && version !== "2.0") sink.warn("$.document.csaf_version", `is ${version}; Longwatch reads CSAF 2.0 and will try anyway`);
  const tracking = isObject(document.tracking) ? document.tracking : {};
  const docId = sink.str(tracking, "id", "$.document.tracking", { required: true }) ?? "csaf";
  const modified = typeof tracking.current_release_date === "string" ? tracking.current_release_date : undefined;
  const published = typeof tracking.initial_release_date === "string" ? tracking.initial_release_date : undefined;
  const title = typeof document.title === "string" ? document.title : undefined;

  const products = readProductTree(isObject(doc.product_tree) ? doc.product_tree : {}, sink);
  sink.arr(doc, "vulnerabilities", "$").forEach((v, i) => {
    const at = jsonPath("$.vulnerabilities", i);
    if (!isObject(v)) return sink.error(at, `is a ${kindOf(v)}, not a vulnerability`);
    const cve = sink.str(v, "cve", at, { level: "warning" });
    const otherIds = sink.arr(v, "ids", at).flatMap((x) => (isObject(x) && typeof x.text === "string" ? [x.text] : []));
    const vulnId = cve ?? otherIds[0] ?? `${docId}#${i + 1}`;
    const status = isObject(v.product_status) ? v.product_status : {};
    const flags = justifications(v, sink, at);
    const impacts = threats(v);

    const adv: Advisory = { id: cve !== undefined ? `${docId}:${cve}` : `${docId}:${vulnId}`, source: "csaf", aliases: [vulnId, ...otherIds.filter((x) => x !== vulnId)], references: [], affected: [] };
    const summary = (Array.isArray(v.notes) ? v.notes : []).find((n) => isObject(n) && (n.category === "description" || n.category === "summary"));
    adv.summary = (isObject(summary) && typeof summary.text === "string" ? summary.text : typeof v.title === "string" ? v.title : title ?? vulnId).slice(0, 400);
    if (modified !== undefined) adv.modified = modified;
    if (published !== undefined) adv.published = published;
    const cvss = bestScore(v);
    if (cvss) {
      adv.cvss = cvss;
      adv.severity = severityOfScore(cvss.score);
    }
    for (const r of sink.arr(v, "references", at)) if (isObject(r) && typeof r.url === "string" && adv.references.length < 8) adv.references.push(r.url);

    for (const [statusName, list] of Object.entries(status)) {
      const vexStatus = STATUS[statusName];
      if (vexStatus === undefined || !Array.isArray(list)) continue;
      list.forEach((pid, j) => {
        const pat = jsonPath(at, "product_status", statusName, j);
        const p = typeof pid === "string" ? products.get(pid) : undefined;
        if (!p) {
          sink.warn(pat, typeof pid === "string" ? `product "${pid}" is not in the product tree or cannot be identified; skipped` : "is not a product id");
          out.skipped++;
          return;
        }
        if (AFFECTED.includes(statusName)) for (const key of p.keys) addAffected(adv, key, p);
        for (const key of p.keys) {
          const s: VexStatement = {
            vuln_id: vulnId,
            status: vexStatus,
            source: docId,
            product: { kind: "key", key, scheme: p.scheme, versions: p.versions, ranges: p.ranges, all_versions: p.all_versions },
          };
          const just = flags.get(pid as string);
          if (just !== undefined) s.justification = just;
          const impact = impacts.get(pid as string);
          if (impact !== undefined) s.impact = impact;
          out.vex.push(s);
        }
      });
    }
    if (adv.affected.length > 0) out.advisories.push(adv);
  });
  return out;
}

function addAffected(adv: Advisory, key: string, p: ProductIdentity): void {
  let a = adv.affected.find((x) => x.key === key && x.scheme === p.scheme);
  if (!a) {
    a = { key, scheme: p.scheme, ranges: [], versions: [] };
    adv.affected.push(a);
  }
  a.versions.push(...p.versions);
  a.ranges.push(...p.ranges);
  if (p.all_versions) a.all_versions = true;
}

/** product_id → identity, from branches, full_product_names and relationships. */
function readProductTree(tree: Record<string, unknown>, sink: IssueSink): Map<string, ProductIdentity> {
  const out = new Map<string, ProductIdentity>();
  interface Ctx {
    vendor?: string;
    product?: string;
    version?: string;
    range?: string;
  }
  const leaf = (prod: unknown, ctx: Ctx, at: string) => {
    if (!isObject(prod)) return;
    const id = typeof prod.product_id === "string" ? prod.product_id : undefined;
    if (id === undefined) return sink.warn(jsonPath(at, "product_id"), "is missing");
    const ident = identify(prod, ctx, jsonPath(at), sink);
    if (ident) out.set(id, ident);
  };
  const walk = (branches: unknown[], ctx: Ctx, at: string, depth: number) => {
    branches.forEach((b, i) => {
      const bat = jsonPath(at, i);
      if (!isObject(b) || depth > 30) return;
      const name = typeof b.name === "string" ? b.name : undefined;
      const next: Ctx = { ...ctx };
      switch (b.category) {
        case "vendor":
          if (name) next.vendor = name;
          break;
        case "product_name":
        case "product_family":
          if (name) next.product = name;
          break;
        case "product_version":
        case "service_pack":
        case "patch_level":
          if (name) next.version = name;
          break;
        case "product_version_range":
          if (name) next.range = name;
          break;
      }
      if (b.product !== undefined) leaf(b.product, next, jsonPath(bat, "product"));
      if (Array.isArray(b.branches)) walk(b.branches, next, jsonPath(bat, "branches"), depth + 1);
    });
  };
  walk(sink.arr(tree, "branches", "$.product_tree"), {}, "$.product_tree.branches", 0);
  sink.arr(tree, "full_product_names", "$.product_tree").forEach((p, i) => leaf(p, {}, jsonPath("$.product_tree.full_product_names", i)));
  sink.arr(tree, "relationships", "$.product_tree").forEach((r, i) => {
    if (!isObject(r) || !isObject(r.full_product_name)) return;
    const component = typeof r.product_reference === "string" ? out.get(r.product_reference) : undefined;
    const id = r.full_product_name.product_id;
    if (component && typeof id === "string") out.set(id, component);
    else if (typeof id === "string") sink.warn(jsonPath("$.product_tree.relationships", i, "product_reference"), "names no identifiable product");
  });
  return out;
}

function identify(prod: Record<string, unknown>, ctx: { vendor?: string; product?: string; version?: string; range?: string }, at: string, sink: IssueSink): ProductIdentity | undefined {
  const helper = isObject(prod.product_identification_helper) ? prod.product_identification_helper : {};
  const name = typeof prod.name === "string" ? prod.name : ctx.product ?? "product";
  const ident: ProductIdentity = { keys: [], scheme: "generic", versions: [], ranges: [], all_versions: false, name };
  let version = ctx.version;
  if (typeof helper.purl === "string") {
    const p = parsePurl(helper.purl);
    if ("error" in p) sink.warn(jsonPath(at, "product_identification_helper", "purl"), p.error);
    else {
      ident.keys.push(purlIndexKey(p));
      if (p.version !== undefined) version = p.version;
    }
  }
  if (ident.keys.length === 0 && typeof helper.cpe === "string") {
    const c = parseCpe(helper.cpe);
    if ("error" in c) sink.warn(jsonPath(at, "product_identification_helper", "cpe"), c.error);
    else {
      ident.keys.push(cpeIndexKey(c.vendor, c.product));
      if (cpeHasVersion(c)) version = c.version;
    }
  }
  if (ident.keys.length === 0 && ctx.vendor && ctx.product) ident.keys.push(cpeIndexKey(ctx.vendor, ctx.product));
  for (const m of Array.isArray(helper.model_numbers) ? helper.model_numbers : []) if (typeof m === "string") ident.keys.push(`model:${m.trim().toLowerCase()}`);
  if (ident.keys.length === 0) return undefined;
  if (ctx.range !== undefined && version === undefined) {
    const r = parseVersionRange(ctx.range);
    if ("error" in r) {
      sink.error(at, `product_version_range "${ctx.range}" ${r.error}; product skipped`);
      return undefined;
    }
    ident.ranges = r.ranges;
    ident.versions = r.versions;
    ident.all_versions = r.all;
    if (r.scheme) ident.scheme = r.scheme;
  } else if (version !== undefined) ident.versions = [version];
  else ident.all_versions = true;
  return ident;
}

/** product id → justification label from `flags` (CSAF's VEX justifications). */
function justifications(v: Record<string, unknown>, sink: IssueSink, at: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of sink.arr(v, "flags", at)) {
    if (!isObject(f) || typeof f.label !== "string") continue;
    for (const pid of Array.isArray(f.product_ids) ? f.product_ids : []) if (typeof pid === "string") m.set(pid, f.label);
  }
  return m;
}

/** product id → impact statement (threats of category impact). */
function threats(v: Record<string, unknown>): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of Array.isArray(v.threats) ? v.threats : []) {
    if (!isObject(t) || t.category !== "impact" || typeof t.details !== "string") continue;
    for (const pid of Array.isArray(t.product_ids) ? t.product_ids : []) if (typeof pid === "string") m.set(pid, t.details.trim());
  }
  return m;
}

function bestScore(v: Record<string, unknown>): Cvss | undefined {
  let best: Cvss | undefined;
  for (const s of Array.isArray(v.scores) ? v.scores : []) {
    if (!isObject(s)) continue;
    for (const [k, version] of [["cvss_v3", "3"], ["cvss_v2", "2.0"]] as const) {
      const c = isObject(s[k]) ? (s[k] as Record<string, unknown>) : undefined;
      if (!c || typeof c.baseScore !== "number") continue;
      if (!best || c.baseScore > best.score) {
        best = { version: typeof c.version === "string" ? c.version : version, score: c.baseScore };
        if (typeof c.vectorString === "string") best.vector = c.vectorString;
      }
    }
  }
  return best;
}
