/**
 * `intel import`: STIX 2.1 indicators (a bundle, or one object) become watchlist entries. The STIX patterns read are
 * comparisons of ipv4-addr / ipv6-addr / domain-name values (and url values, by their host, and network-traffic
 * dst_ref/src_ref values), joined by OR, with `=` or `IN (...)`. Anything else — AND across objects, other object
 * types, revoked or expired indicators, other pattern languages — is reported per indicator with why, not dropped
 * silently.
 */
import { isIPv4, isIPv6 } from "../core/coerce.ts";
import { parseCidrText } from "../core/flows.ts";
import { isObject, parseJsonText } from "../formats/json-path.ts";
import type { WatchEntry } from "./watchlist.ts";

export interface IntelImport {
  entries: WatchEntry[];
  indicators: number;
  skipped: { id: string; why: string }[];
  source: string;
}

export function importIntel(text: string, fallbackSource: string, now: number): IntelImport {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { entries: [], indicators: 0, skipped: [{ id: "(file)", why: `line ${parsed.line}: ${parsed.reason}` }], source: fallbackSource };
  const root = parsed.value;
  const objects = isObject(root) && Array.isArray(root.objects) ? root.objects : isObject(root) ? [root] : [];
  const identities = new Map<string, string>();
  for (const o of objects) if (isObject(o) && o.type === "identity" && typeof o.id === "string" && typeof o.name === "string") identities.set(o.id, o.name);
  const out: IntelImport = { entries: [], indicators: 0, skipped: [], source: fallbackSource };
  for (const o of objects) {
    if (!isObject(o) || o.type !== "indicator") continue;
    out.indicators++;
    const id = typeof o.id === "string" ? o.id : "(indicator without id)";
    const why = check(o, now);
    if (why) {
      out.skipped.push({ id, why });
      continue;
    }
    const values = readPattern(String(o.pattern));
    if (typeof values === "string") {
      out.skipped.push({ id, why: values });
      continue;
    }
    const source = (typeof o.created_by_ref === "string" ? identities.get(o.created_by_ref) : undefined) ?? fallbackSource;
    for (const v of values) {
      const e: WatchEntry = { indicator: id, name: typeof o.name === "string" ? o.name : v.value, value: v.value, kind: v.kind, source };
      if (typeof o.valid_until === "string") e.valid_until = o.valid_until;
      if (Array.isArray(o.indicator_types)) e.indicator_types = o.indicator_types.filter((t): t is string => typeof t === "string");
      out.entries.push(e);
    }
  }
  return out;
}

function check(o: Record<string, unknown>, now: number): string | undefined {
  if (o.revoked === true) return "revoked";
  if (typeof o.pattern !== "string") return "has no pattern";
  if (o.pattern_type !== undefined && o.pattern_type !== "stix") return `pattern_type ${String(o.pattern_type)} is not stix`;
  if (typeof o.valid_until === "string" && Date.parse(o.valid_until) < now) return `expired (valid_until ${o.valid_until})`;
  return undefined;
}

const COMPARISON = /^\s*([a-z0-9-]+):([a-z0-9_.'-]+)\s*(=|IN)\s*(\(.*\)|'(?:[^'\\]|\\.)*')\s*$/i;

export function readPattern(pattern: string): { value: string; kind: WatchEntry["kind"] }[] | string {
  const m = /^\s*\[(.*)\]\s*$/s.exec(pattern);
  if (!m) return "only single-observation patterns ([ ... ]) are read";
  if (/\]\s*(AND|OR|FOLLOWEDBY)\s*\[/i.test(pattern)) return "patterns of several observations are not read";
  const out: { value: string; kind: WatchEntry["kind"] }[] = [];
  for (const part of splitOr(m[1]!)) {
    if (/\sAND\s/i.test(part)) return "AND inside an observation is not read";
    const c = COMPARISON.exec(part);
    if (!c) return `cannot read "${part.trim()}"`;
    const [, type, prop, op, rhs] = c;
    const literals = op!.toUpperCase() === "IN" ? [...rhs!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((x) => x[1]!) : [rhs!.slice(1, -1)];
    for (const raw of literals) {
      const lit = raw.replace(/\\(.)/g, "$1");
      const v = valueOf(type!.toLowerCase(), prop!.toLowerCase(), lit);
      if (typeof v === "string") return v;
      out.push(v);
    }
  }
  return out;
}

function valueOf(type: string, prop: string, lit: string): { value: string; kind: WatchEntry["kind"] } | string {
  if ((type === "ipv4-addr" || type === "ipv6-addr") && prop === "value") {
    const c = parseCidrText(lit);
    if (!c || (c.v === 4) !== (type === "ipv4-addr")) return `"${lit}" is not an ${type} value`;
    return { value: lit, kind: c.v === 4 ? "ipv4" : "ipv6" };
  }
  if (type === "network-traffic" && /^(dst|src)_ref\.value$/.test(prop)) {
    if (isIPv4(lit) || parseCidrText(lit)?.v === 4) return { value: lit, kind: "ipv4" };
    if (isIPv6(lit) || parseCidrText(lit)?.v === 6) return { value: lit, kind: "ipv6" };
    return { value: lit.toLowerCase(), kind: "domain" };
  }
  if (type === "domain-name" && prop === "value") return /^[a-z0-9_*.-]+$/i.test(lit) ? { value: lit.toLowerCase(), kind: "domain" } : `"${lit}" is not a domain name`;
  if (type === "url" && prop === "value") {
    try {
      const host = new URL(lit).hostname.replace(/^\[|\]$/g, "");
      return isIPv4(host) ? { value: host, kind: "ipv4" } : isIPv6(host) ? { value: host, kind: "ipv6" } : { value: host.toLowerCase(), kind: "domain" };
    } catch {
      return `"${lit}" is not a URL`;
    }
  }
  return `${type}:${prop} is not something a flow record can match (addresses and domains are)`;
}

function splitOr(s: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "\\" && quoted) {
      cur += ch + (s[++i] ?? "");
      continue;
    }
    if (ch === "'") quoted = !quoted;
    if (!quoted && /^\sOR\s/i.test(s.slice(i, i + 4))) {
      parts.push(cur);
      cur = "";
      i += 3;
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}
