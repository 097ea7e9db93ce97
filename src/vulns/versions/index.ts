/**
 * Version schemes by name, and which scheme an ecosystem uses. Matching always compares a component's version with an
 * advisory's bounds using the scheme of the advisory's ecosystem, never a one-size-fits-all comparison: `1.1.1k` is
 * not semver, and Debian's `1:2.0~rc1-3` means something no other scheme understands.
 */
import { compareApkVersions } from "./apk.ts";
import { compareDebianVersions } from "./dpkg.ts";
import { compareGenericVersions } from "./generic.ts";
import { compareOpkgVersions } from "./opkg.ts";
import { compareRpmVersions } from "./rpm.ts";
import { compareSemver } from "./semver.ts";

import { VERSION_SCHEMES, type VersionScheme } from "../../core/advisory.ts";

export { VERSION_SCHEMES };
export type { VersionScheme };

export type Comparator = (a: string, b: string) => number;

export const comparators: Record<VersionScheme, Comparator> = {
  semver: compareSemver,
  dpkg: compareDebianVersions,
  rpm: compareRpmVersions,
  apk: compareApkVersions,
  opkg: compareOpkgVersions,
  generic: compareGenericVersions,
};

export function isVersionScheme(s: string): s is VersionScheme {
  return (VERSION_SCHEMES as readonly string[]).includes(s);
}

/** The scheme of a package URL type (https://github.com/package-url/purl-spec); unknown types use the generic one. */
export function schemeOfPurlType(type: string): VersionScheme {
  switch (type) {
    case "deb":
      return "dpkg";
    case "rpm":
      return "rpm";
    case "apk":
      return "apk";
    case "opkg":
      return "opkg";
    case "npm":
    case "golang":
    case "cargo":
    case "hex":
    case "pub":
    case "composer":
    case "nuget":
    case "gem":
    case "swift":
    case "cocoapods":
    case "bitnami":
      return "semver";
    default:
      return "generic";
  }
}
