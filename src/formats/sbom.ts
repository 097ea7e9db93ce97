/**
 * What every SBOM / package-list parser returns, and the detection of which one a file is. Parsers are pure: text in,
 * components + VEX statements + issues (with JSON path or line) out. vulns/import-sbom.ts stores the result.
 */
import type { Component, SbomFormat, VexStatus } from "../core/component.ts";
import type { ParseIssue } from "./json-path.ts";

export interface ParsedComponent extends Component {
  /** Where it was in the input: a JSON path or `line N`, for messages about it. */
  at: string;
}

/** A VEX statement embedded in an SBOM, naming its component by bom-ref (CycloneDX) or package name (Buildroot). */
export interface EmbeddedVex {
  vuln_id: string;
  status: VexStatus;
  justification?: string;
  impact?: string;
  bom_ref?: string;
  name?: string;
}

export interface SbomParseResult {
  format: SbomFormat;
  components: ParsedComponent[];
  vex: EmbeddedVex[];
  issues: ParseIssue[];
  /** What the SBOM says it describes (CycloneDX metadata.component, SPDX document name), for the import summary. */
  describes?: string;
}

/** Guesses the format from the content: JSON documents by their marker fields, text by its first lines. */
export function detectSbomFormat(text: string, json: unknown): SbomFormat | undefined {
  if (json !== undefined) {
    if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
    const o = json as Record<string, unknown>;
    if (o.bomFormat === "CycloneDX") return "cyclonedx";
    if (typeof o.spdxVersion === "string") return "spdx";
    const first = Object.values(o)[0];
    if (typeof first === "object" && first !== null && "type" in first && "name" in first && ("version" in first || "virtual" in first)) return "buildroot-show-info";
    return undefined;
  }
  const head = text.slice(0, 4096).replace(/^\uFEFF/, "");
  const firstLine = head.split(/\r?\n/, 1)[0] ?? "";
  if (/^"?PACKAGE"?\s*,\s*"?VERSION"?/i.test(firstLine)) return "buildroot-manifest";
  if (/^Package:\s*\S/m.test(head)) {
    // opkg writes Installed-Time and has no Maintainer/Description in its status file; dpkg always has them.
    if (/^Installed-Time:/m.test(text) || /^Status:\s*\S+\s+user\s/m.test(head)) return "opkg-status";
    return "dpkg-status";
  }
  return undefined;
}
