/**
 * Version range specifiers: the `vers:` URI scheme (https://github.com/package-url/purl-spec/blob/master/VERSION-RANGE-SPEC.rst,
 * `vers:deb/>=1.0|<1.4`) that CSAF and others use, and the bare comparator lists seen in practice (`<=1.14.0`,
 * `>=2.0 <2.5`). Both become intervals (VersionBounds) plus exact versions.
 */
import type { VersionBounds, VersionScheme } from "../core/advisory.ts";

export interface ParsedRange {
  scheme?: VersionScheme;
  ranges: VersionBounds[];
  versions: string[];
  all: boolean;
}

const VERS_SCHEMES: Record<string, VersionScheme> = {
  deb: "dpkg",
  rpm: "rpm",
  apk: "apk",
  alpine: "apk",
  opkg: "opkg",
  npm: "semver",
  golang: "semver",
  cargo: "semver",
  semver: "semver",
  nuget: "semver",
  gem: "semver",
  composer: "semver",
  generic: "generic",
};

/** Parses `vers:…` or a list of comparators; returns an error text when it is neither. */
export function parseVersionRange(input: string): ParsedRange | { error: string } {
  const s = input.trim();
  let scheme: VersionScheme | undefined;
  let body = s;
  const m = /^vers:([a-z0-9.+-]+)\/(.*)$/i.exec(s);
  if (m) {
    scheme = VERS_SCHEMES[m[1]!.toLowerCase()] ?? "generic";
    body = m[2]!;
  }
  if (body.trim() === "*") return withScheme({ ranges: [], versions: [], all: true }, scheme);
  const parts = (m ? body.split("|") : body.split(/[|,]|\s+(?=[<>=!])/)).map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return { error: "is empty" };
  const constraints: { op: string; v: string }[] = [];
  for (const p of parts) {
    const c = /^(<=|>=|!=|<|>|=)?\s*(\S+)$/.exec(p);
    if (!c) return { error: `"${p}" is not a comparator and version` };
    const v = c[2]!;
    if (!/\d/.test(v)) return { error: `"${v}" is not a version` };
    let decoded: string;
    try {
      decoded = decodeURIComponent(v);
    } catch {
      return { error: `"${v}" has a bad %-escape` };
    }
    constraints.push({ op: c[1] ?? "=", v: decoded });
  }
  const out: ParsedRange = { ranges: [], versions: [], all: false };
  let lower: { v: string; exclusive: boolean } | undefined;
  for (const { op, v } of constraints) {
    if (op === "=") out.versions.push(v);
    else if (op === "!=") return { error: `"!=${v}" (an excluded version) cannot be represented` };
    else if (op === ">" || op === ">=") lower = { v, exclusive: op === ">" };
    else {
      const b: VersionBounds = {};
      if (lower) {
        b.introduced = lower.v;
        if (lower.exclusive) b.introduced_exclusive = true;
      }
      if (op === "<") b.fixed = v;
      else b.last_affected = v;
      out.ranges.push(b);
      lower = undefined;
    }
  }
  if (lower) out.ranges.push(lower.exclusive ? { introduced: lower.v, introduced_exclusive: true } : { introduced: lower.v });
  return withScheme(out, scheme);
}

function withScheme(r: ParsedRange, scheme: VersionScheme | undefined): ParsedRange {
  if (scheme !== undefined) r.scheme = scheme;
  return r;
}
