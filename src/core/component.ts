/**
 * Component inventories: what software a firmware image (a device model at one firmware version) contains, and the
 * VEX statements that say whether a vulnerability really affects it. Parsers in formats/ produce these; vulns/ stores
 * and matches them.
 */
import type { VersionBounds, VersionScheme } from "./advisory.ts";

/** The package lists Longwatch reads. */
export const SBOM_FORMATS = ["cyclonedx", "spdx", "dpkg-status", "opkg-status", "buildroot-manifest", "buildroot-show-info"] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

export interface Component {
  name: string;
  version?: string;
  /** Package URL as given by the SBOM, or derived (dpkg status → pkg:deb/…). */
  purl?: string;
  /** CPE 2.3 (or 2.2) name as given by the SBOM or the build (Buildroot's cpe-id). */
  cpe?: string;
  /** Which package world the name belongs to: deb, opkg, buildroot, apk, rpm, npm …; drives the version scheme. */
  ecosystem?: string;
  /** Debian binary packages are built from a source package, which is what Debian's advisories name. */
  source_name?: string;
  source_version?: string;
  supplier?: string;
  /** The SBOM's own id of the component (CycloneDX bom-ref, SPDX SPDXID), for VEX statements that refer to it. */
  bom_ref?: string;
  /** The distribution release a distro package was built for (debian-12, alpine-3.18), when known. */
  distro?: string;
}

export const VEX_STATUSES = ["not_affected", "affected", "fixed", "under_investigation"] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

/**
 * A statement that one vulnerability does or does not affect a product. It names its product either by a matching
 * key (purl/CPE/model, with versions) for statements from advisories (CSAF), or by the bom-ref of a component of one
 * firmware for statements embedded in an SBOM (CycloneDX `vulnerabilities`).
 */
export interface VexStatement {
  vuln_id: string;
  status: VexStatus;
  /** Why it is not affected, e.g. CSAF flag `vulnerable_code_not_in_execute_path`, CycloneDX `code_not_reachable`. */
  justification?: string;
  /** Free-text impact statement or detail. */
  impact?: string;
  /** Where the statement came from: document id and file. */
  source: string;
  product: VexProduct;
}

export type VexProduct =
  | { kind: "key"; key: string; scheme: string; versions: string[]; ranges: VersionBounds[]; all_versions: boolean }
  | { kind: "component"; model_id: string; firmware_version: string; bom_ref?: string; name?: string };


/**
 * One name a component can be found under in the advisory index, with the version to compare there and how.
 * A component usually has several: its purl, its Debian source package, its CPE, the CPEs of its alias entry.
 */
export interface MatchKey {
  key: string;
  version?: string;
  scheme: VersionScheme;
  distro?: string;
  /** How the key was found: purl, source, cpe, alias:<entry id>. */
  via: string;
}

/** A component as stored: what the SBOM said plus the keys it is matched under (computed once, on import). */
export interface StoredComponent extends Component {
  keys: MatchKey[];
  /** The version cannot be ordered (a commit hash, `custom`): only exact-version statements can match it. */
  version_unorderable?: boolean;
}
