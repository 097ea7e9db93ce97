/**
 * `longwatch import sbom`: reads the component inventory of one firmware image (CycloneDX, SPDX, dpkg/opkg status,
 * Buildroot manifest or show-info), derives what the input lacks (purls for dpkg packages, CPEs from the alias table),
 * works out the keys each component is matched under, and replaces that firmware's inventory in the store in one
 * transaction. Callable as a library function (the demo uses it).
 */
import { basename } from "node:path";
import type { Component, SbomFormat, StoredComponent, VexStatement } from "../core/component.ts";
import type { InputIssue } from "../core/input-issue.ts";
import { parseBuildrootManifest, parseBuildrootShowInfo } from "../formats/buildroot.ts";
import { parseCycloneDx } from "../formats/cyclonedx.ts";
import { parseJsonText } from "../formats/json-path.ts";
import { parseDpkgStatus, parseOpkgStatus } from "../formats/package-status.ts";
import { parseCpe } from "../formats/cpe.ts";
import { formatPurl, parsePurl } from "../formats/purl.ts";
import { detectSbomFormat, type ParsedComponent, type SbomParseResult } from "../formats/sbom.ts";
import { parseSpdx } from "../formats/spdx.ts";
import type { StoreTx } from "../store/store.ts";
import { type AliasTable, shippedAliases } from "./aliases.ts";
import { componentKeys, isVersionOrderable } from "./component-keys.ts";
import { decodeText, readInputBytes } from "./read-input.ts";

export interface SbomImportOptions {
  model: string;
  firmware: string;
  /** Skip detection. */
  format?: SbomFormat;
  /** Distribution release the packages were built for (debian-12, ubuntu-22.04), for dpkg status files. */
  distro?: string;
  /** Also match distribution packages against NVD CPE ranges (see component-keys.ts for why it is off). */
  cpeForDistroPackages?: boolean;
  aliases?: AliasTable;
  /** The clock, for `imported_at`. */
  now?: number;
}

export interface SbomImportResult {
  file: string;
  format: SbomFormat;
  components: number;
  /** Components with at least one key to look advisories up under. */
  matchable: number;
  /** Components matched only through the alias table (their input had no purl or CPE). */
  via_alias: number;
  /** Components without a version, or with one that cannot be ordered (commit hash, `custom`). */
  unversioned: string[];
  vex: number;
  /** Whether an inventory for this model and firmware was already stored (and has been replaced). */
  replaced: boolean;
  issues: InputIssue[];
  /** Records that were left out because of errors. */
  rejected: number;
  describes?: string;
}

/** Thrown when the file as a whole cannot be read as an SBOM; nothing is written. */
export class SbomInputError extends Error {}

export async function importSbomFile(store: StoreTx, file: string, opts: SbomImportOptions): Promise<SbomImportResult> {
  const bytes = await readInputBytes(file);
  const text = decodeText(bytes);
  if (typeof text !== "string") throw new SbomInputError(`${file}: ${text.error}`);
  return importSbomText(store, text, file, opts);
}

export async function importSbomText(store: StoreTx, text: string, file: string, opts: SbomImportOptions): Promise<SbomImportResult> {
  const parsed = parseSbom(text, file, opts.format);
  const aliases = opts.aliases ?? shippedAliases();
  const issues: InputIssue[] = parsed.issues.map((i) => ({ file, ...i }));
  const components: StoredComponent[] = [];
  let viaAlias = 0;
  const unversioned: string[] = [];
  for (const pc of parsed.components) {
    checkIdentifiers(pc, file, issues);
    const c = enrich(pc, parsed.format, opts);
    const stored: StoredComponent = { ...c, keys: componentKeys(c, { aliases, cpeForDistroPackages: opts.cpeForDistroPackages ?? false }) };
    if (!isVersionOrderable(c)) {
      stored.version_unorderable = true;
      unversioned.push(c.version === undefined ? c.name : `${c.name} ${c.version}`);
    }
    if (stored.keys.length > 0 && stored.keys.every((k) => k.via.startsWith("alias:"))) viaAlias++;
    components.push(stored);
  }
  const vex = embeddedVex(parsed, opts.model, opts.firmware, file);
  const sbom = {
    model_id: opts.model,
    firmware_version: opts.firmware,
    format: parsed.format,
    source: basename(file),
    imported_at: new Date(opts.now ?? Date.now()).toISOString(),
    component_count: components.length,
    ...(parsed.describes !== undefined ? { describes: parsed.describes } : {}),
  };
  const { replaced } = await store.vulns.replaceSbom(sbom, components, vex);
  const result: SbomImportResult = {
    file,
    format: parsed.format,
    components: components.length,
    matchable: components.filter((c) => c.keys.length > 0).length,
    via_alias: viaAlias,
    unversioned,
    vex: vex.length,
    replaced,
    issues,
    rejected: issues.filter((i) => i.level === "error").length,
  };
  if (parsed.describes !== undefined) result.describes = parsed.describes;
  return result;
}

/** Parses any supported SBOM text; a document that cannot be read at all throws SbomInputError naming the file. */
export function parseSbom(text: string, file: string, format?: SbomFormat): SbomParseResult {
  const trimmed = text.trimStart().replace(/^\uFEFF/, "");
  let json: unknown;
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    const r = parseJsonText(text);
    if (!r.ok) throw new SbomInputError(`${file}:${r.line}:${r.column}: ${r.reason}`);
    json = r.value;
  }
  const f = format ?? detectSbomFormat(text, json);
  if (f === undefined) {
    throw new SbomInputError(
      `${file}: is not an SBOM Longwatch reads (CycloneDX 1.4–1.6 JSON, SPDX 2.3 JSON, dpkg or opkg status, Buildroot legal-info manifest.csv or show-info JSON); give --format if it is one of them`,
    );
  }
  switch (f) {
    case "cyclonedx":
      return parseCycloneDx(json ?? mustJson(text, file));
    case "spdx":
      return parseSpdx(json ?? mustJson(text, file));
    case "buildroot-show-info":
      return parseBuildrootShowInfo(json ?? mustJson(text, file));
    case "buildroot-manifest":
      return parseBuildrootManifest(text);
    case "dpkg-status":
      return parseDpkgStatus(text);
    case "opkg-status":
      return parseOpkgStatus(text);
  }
}

/** A purl or CPE that does not parse is dropped with a warning (the component may still match by name). */
function checkIdentifiers(c: ParsedComponent, file: string, issues: InputIssue[]): void {
  const where = (field: string) => (c.at.startsWith("$") ? { path: `${c.at}.${field}` } : { line: Number(c.at.replace("line ", "")), column: field });
  if (c.purl !== undefined) {
    const p = parsePurl(c.purl);
    if ("error" in p) {
      issues.push({ file, ...where("purl"), reason: `"${c.purl}" ${p.error}; ignored`, level: "warning" });
      delete c.purl;
    }
  }
  if (c.cpe !== undefined) {
    const p = parseCpe(c.cpe);
    if ("error" in p) {
      issues.push({ file, ...where("cpe"), reason: `"${c.cpe}" ${p.error}; ignored`, level: "warning" });
      delete c.cpe;
    }
  }
}

function mustJson(text: string, file: string): unknown {
  const r = parseJsonText(text);
  if (!r.ok) throw new SbomInputError(`${file}:${r.line}:${r.column}: ${r.reason}`);
  return r.value;
}

/** Fills in what the package list implies: a purl for dpkg packages, the distro release. */
function enrich(pc: ParsedComponent, format: SbomFormat, opts: SbomImportOptions): Component {
  const { at: _at, ...c } = pc;
  if (opts.distro !== undefined && c.distro === undefined && (format === "dpkg-status" || c.ecosystem === "deb")) c.distro = opts.distro;
  if (format === "dpkg-status" && c.purl === undefined && c.version !== undefined) {
    const namespace = opts.distro?.split(/[-:]/)[0]?.toLowerCase() || "debian";
    const qualifiers: Record<string, string> = {};
    const arch = c.bom_ref?.split(":")[1];
    if (arch) qualifiers.arch = arch;
    if (c.distro) qualifiers.distro = c.distro;
    c.purl = formatPurl({ type: "deb", namespace, name: c.name, version: c.version, qualifiers });
  }
  return c;
}

function embeddedVex(parsed: SbomParseResult, model: string, firmware: string, file: string): VexStatement[] {
  return parsed.vex.map((v) => {
    const s: VexStatement = {
      vuln_id: v.vuln_id,
      status: v.status,
      source: `${basename(file)} (${parsed.format})`,
      product: { kind: "component", model_id: model, firmware_version: firmware, ...(v.bom_ref !== undefined ? { bom_ref: v.bom_ref } : {}), ...(v.name !== undefined ? { name: v.name } : {}) },
    };
    if (v.justification !== undefined) s.justification = v.justification;
    if (v.impact !== undefined) s.impact = v.impact;
    return s;
  });
}
