/**
 * Whether a VEX statement is about a given component of a given firmware. A statement embedded in that firmware's
 * SBOM names the component by bom-ref (or package name); a statement from a CSAF document names a product by key and
 * versions, which applies when the component (or the firmware itself) is filed under that key at a version the
 * statement covers.
 */
import type { MatchKey, StoredComponent, VexStatement } from "../core/component.ts";
import { isOrderableVersion } from "../core/version.ts";
import { affects } from "./match.ts";

export function vexApplies(s: VexStatement, f: { model_id: string; firmware_version: string }, c: StoredComponent): boolean {
  const p = s.product;
  if (p.kind === "component") {
    if (p.model_id !== f.model_id || p.firmware_version !== f.firmware_version) return false;
    if (p.bom_ref !== undefined && c.bom_ref !== undefined) return p.bom_ref === c.bom_ref;
    return p.name !== undefined && p.name.toLowerCase() === c.name.toLowerCase();
  }
  return c.keys.some((k) => k.key === p.key && covers(p, k));
}

function covers(p: Extract<VexStatement["product"], { kind: "key" }>, k: MatchKey): boolean {
  if (p.all_versions) return true;
  const scheme = p.scheme === "semver" || p.scheme === "dpkg" || p.scheme === "rpm" || p.scheme === "apk" || p.scheme === "opkg" ? p.scheme : "generic";
  return affects({ key: p.key, scheme, ranges: p.ranges, versions: p.versions }, k.version, k.version !== undefined && isOrderableVersion(k.version)) !== undefined;
}
