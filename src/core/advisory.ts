/**
 * Advisories as Longwatch stores them, whatever feed they came from (OSV, NVD, CSAF): which packages and versions a
 * vulnerability affects, how severe it is, and what other ids it is known by. KEV and EPSS add facts about a CVE.
 */
import type { Severity } from "./severity.ts";

export const VERSION_SCHEMES = ["semver", "dpkg", "rpm", "apk", "opkg", "generic"] as const;
export type VersionScheme = (typeof VERSION_SCHEMES)[number];

/**
 * One interval of affected versions. Lower bound inclusive unless `introduced_exclusive`; the upper bound is `fixed`
 * (exclusive) or `last_affected` (inclusive); a missing bound is open.
 */
export interface VersionBounds {
  introduced?: string;
  introduced_exclusive?: boolean;
  fixed?: string;
  last_affected?: string;
}

export const ADVISORY_SOURCES = ["osv", "nvd", "csaf"] as const;
export type AdvisorySource = (typeof ADVISORY_SOURCES)[number];

/** The packages one advisory affects under one name (an index key such as `purl:deb/debian/openssl` or `cpe:openssl:openssl`). */
export interface Affected {
  key: string;
  scheme: VersionScheme;
  ranges: VersionBounds[];
  /** Exact affected versions (OSV `versions`, NVD criteria with a version, CSAF product versions). */
  versions: string[];
  /** Every version is affected (NVD criteria with version `*` and no bounds). */
  all_versions?: boolean;
  /** Release of a distribution the statement is about (OSV `Debian:12` → `12`); components of other releases don't match. */
  distro?: string;
}

export interface Cvss {
  version: string;
  score: number;
  vector?: string;
}

export interface Advisory {
  id: string;
  source: AdvisorySource;
  /** Other ids of the same vulnerability (CVE, GHSA, DSA …). */
  aliases: string[];
  summary?: string;
  published?: string;
  modified?: string;
  withdrawn?: string;
  /** Severity as the advisory states it, or derived from its CVSS score. */
  severity?: Severity;
  cvss?: Cvss;
  references: string[];
  affected: Affected[];
}

/** One entry of CISA's Known Exploited Vulnerabilities catalogue. */
export interface KevEntry {
  cve_id: string;
  vendor?: string;
  product?: string;
  name?: string;
  date_added?: string;
  due_date?: string;
  required_action?: string;
  known_ransomware?: string;
  notes?: string;
}

/** FIRST EPSS: probability of exploitation activity in the next 30 days, and its percentile among all CVEs. */
export interface EpssScore {
  cve_id: string;
  epss: number;
  percentile: number;
  date?: string;
}

/** The canonical id of a vulnerability: its CVE when it has one (so feeds about the same CVE meet), else its own id. */
export function canonicalVulnId(a: Pick<Advisory, "id" | "aliases">): string {
  if (/^CVE-\d{4}-\d+$/i.test(a.id)) return a.id.toUpperCase();
  const cve = a.aliases.find((x) => /^CVE-\d{4}-\d+$/i.test(x));
  return cve ? cve.toUpperCase() : a.id;
}
