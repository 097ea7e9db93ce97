/**
 * The names a component is looked up under in the advisory index (see MatchKey). Worked out once, when an SBOM is
 * imported, so that matching is a handful of map lookups per component.
 *
 * - its purl (ecosystem, namespace, name), compared with the scheme of the purl type; for a Debian binary package
 *   also its source package, because Debian's advisories name source packages;
 * - its CPE vendor:product, compared with the generic scheme (NVD's ranges are upstream versions);
 * - when it has no CPE, the CPEs of its entry in the package-alias table, also with its upstream version.
 *
 * Packages of a distribution (deb, rpm, apk purls) are not matched by CPE unless asked: distributions backport fixes
 * without changing the upstream version (OpenSSL 3.0.11-1~deb12u2 has fixes NVD only lists for 3.0.13), so NVD
 * ranges would report vulnerabilities the package no longer has. Their distribution's own feed is the right source.
 */
import type { VersionScheme } from "../core/advisory.ts";
import type { Component, MatchKey } from "../core/component.ts";
import { isOrderableVersion } from "../core/version.ts";
import { cpeHasVersion, cpeIndexKey, parseCpe } from "../formats/cpe.ts";
import { parsePurl, purlIndexKey } from "../formats/purl.ts";
import type { AliasTable } from "./aliases.ts";
import { opkgUpstream } from "./versions/opkg.ts";
import { schemeOfPurlType } from "./versions/index.ts";

export interface KeyOptions {
  aliases: AliasTable;
  /** Also match distribution packages by CPE (off by default; see above). */
  cpeForDistroPackages?: boolean;
}

const DISTRO_PURL_TYPES = new Set(["deb", "rpm", "apk"]);
/** Package worlds whose version is `upstream-revision`; NVD compares the upstream part. */
const REVISIONED = new Set(["opkg", "deb", "rpm", "apk"]);

export function componentKeys(c: Component, opts: KeyOptions): MatchKey[] {
  const keys: MatchKey[] = [];
  const add = (k: MatchKey) => {
    if (!keys.some((x) => x.key === k.key && x.version === k.version)) keys.push(k);
  };
  let distroPackage = c.ecosystem === "deb";
  if (c.purl) {
    const p = parsePurl(c.purl);
    if (!("error" in p)) {
      const scheme: VersionScheme = schemeOfPurlType(p.type);
      const version = p.version ?? c.version;
      const distro = p.qualifiers.distro ?? c.distro;
      add(withOptional({ key: purlIndexKey(p), scheme, via: "purl" }, version, distro));
      if (c.source_name) add(withOptional({ key: purlIndexKey({ type: p.type, ...(p.namespace ? { namespace: p.namespace } : {}), name: c.source_name }), scheme, via: "source" }, c.source_version ?? version, distro));
      if (DISTRO_PURL_TYPES.has(p.type)) distroPackage = true;
    }
  }
  if (distroPackage && !opts.cpeForDistroPackages) return keys;
  const upstream = upstreamVersion(c);
  if (c.cpe) {
    const cpe = parseCpe(c.cpe);
    if (!("error" in cpe)) {
      // Buildroot writes the version into the CPE; an SBOM's component version is at least as precise.
      const v = upstream ?? (cpeHasVersion(cpe) ? cpe.version : undefined);
      add(withOptional({ key: cpeIndexKey(cpe.vendor, cpe.product), scheme: "generic", via: "cpe" }, v));
      return keys;
    }
  }
  const entry = opts.aliases.lookup(c.name) ?? (c.source_name ? opts.aliases.lookup(c.source_name) : undefined);
  if (entry) for (const vp of entry.cpe) add(withOptional({ key: `cpe:${vp}`, scheme: "generic", via: `alias:${entry.id}` }, upstream));
  return keys;
}

/** The upstream version: without the packaging revision (`1.1.1k-1` → `1.1.1k`) or a trailing build hash. */
export function upstreamVersion(c: Component): string | undefined {
  if (c.version === undefined) return undefined;
  let v = c.version.replace(/-[0-9a-f]{16,64}$/i, "");
  if (c.ecosystem !== undefined && REVISIONED.has(c.ecosystem)) v = opkgUpstream(v);
  return v;
}

export function isVersionOrderable(c: Component): boolean {
  return c.version !== undefined && isOrderableVersion(c.version);
}

function withOptional(k: MatchKey, version: string | undefined, distro?: string): MatchKey {
  if (version !== undefined) k.version = version;
  if (distro !== undefined) k.distro = distro;
  return k;
}
