/**
 * opkg (OpenWrt, Yocto) package versions. opkg parses `[epoch:]version[-revision]` and compares each part with the
 * same `verrevcmp` as dpkg (`~` before everything, letters before symbols, digit runs numerically), so the ordering
 * is dpkg's; this module exists so the ecosystem has a name of its own and so the upstream part can be taken apart.
 */
import { compareDebianVersions, parseDebianVersion } from "./dpkg.ts";

export function compareOpkgVersions(a: string, b: string): number {
  return compareDebianVersions(a, b);
}

/** The upstream version an opkg or Buildroot package was built from: `1.1.1k-1` → `1.1.1k`, `2:5.4-3` → `5.4`. */
export function opkgUpstream(v: string): string {
  return parseDebianVersion(v).upstream;
}
