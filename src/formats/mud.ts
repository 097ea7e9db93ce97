/**
 * Reads Manufacturer Usage Description files (RFC 8520, with RFC 8519 ACLs) into plain allow-list entries. Accepts
 * what real tools write, not only the RFC: the pre-RFC `ietf-access-control-list:access-lists` root, `acl-name` /
 * `rule-name` / `access-list-entries`, `ipv4-acl` containers, ports inside the IP container, and MUD matches written
 * directly under `matches` — each such deviation is a warning. Never throws: every ACE is either read or reported
 * with its JSON path and why.
 */
import { isObject, parseJsonText } from "./json-path.ts";

export interface MudMeta {
  url?: string;
  version?: number;
  lastUpdate?: string;
  cacheValidity?: number;
  supported?: boolean;
  systeminfo?: string;
  mfgName?: string;
  modelName?: string;
  documentation?: string;
}

/** One accepted ACE, seen from the device: the remote end, its port, the protocol and who opens the connection. */
export interface MudRule {
  /** JSON path of the ACE, for messages. */
  path: string;
  acl: string;
  ace: string;
  /** from-device-policy or to-device-policy. */
  policy: "from-device" | "to-device";
  remote:
    | { kind: "dnsname"; name: string }
    | { kind: "network"; cidr: string }
    | { kind: "class"; class: "controller" | "my-controller" | "local-networks" | "same-manufacturer" | "manufacturer" | "model"; value?: string }
    | { kind: "any" };
  protocol?: "tcp" | "udp" | "icmp";
  /** Remote port range, when the ACE restricts it. */
  ports?: [number, number];
  initiated?: "from-device" | "to-device";
}

export interface MudIssue {
  path: string;
  message: string;
  level: "error" | "warning";
  line?: number;
}

export interface MudFile {
  meta: MudMeta;
  rules: MudRule[];
  issues: MudIssue[];
}

const PROTOCOLS: Record<number, MudRule["protocol"]> = { 6: "tcp", 17: "udp", 1: "icmp", 58: "icmp" };

export function parseMud(text: string): MudFile {
  const out: MudFile = { meta: {}, rules: [], issues: [] };
  const err = (path: string, message: string): void => void out.issues.push({ path, message, level: "error" });
  const warn = (path: string, message: string): void => void out.issues.push({ path, message, level: "warning" });
  const parsed = parseJsonText(text);
  if (!parsed.ok) {
    out.issues.push({ path: "$", message: parsed.reason, level: "error", line: parsed.line });
    return out;
  }
  const root = parsed.value;
  if (!isObject(root)) {
    err("$", "is not a JSON object");
    return out;
  }
  const mud = root["ietf-mud:mud"];
  if (!isObject(mud)) {
    err("$", 'has no "ietf-mud:mud" object, so it is not a MUD file');
    return out;
  }
  out.meta = readMeta(mud, warn);
  let aclRoot = root["ietf-access-control-list:acls"];
  if (aclRoot === undefined && root["ietf-access-control-list:access-lists"] !== undefined) {
    aclRoot = root["ietf-access-control-list:access-lists"];
    warn("$", 'uses the pre-RFC root "ietf-access-control-list:access-lists"; RFC 8520 names it "ietf-access-control-list:acls"');
  }
  if (!isObject(aclRoot) || !Array.isArray(aclRoot.acl)) {
    err("$", 'has no access lists ("ietf-access-control-list:acls" with an "acl" list)');
    return out;
  }
  const acls = new Map<string, { acl: Record<string, unknown>; path: string }>();
  aclRoot.acl.forEach((acl, i) => {
    const path = `$.acls.acl[${i}]`;
    if (!isObject(acl)) return err(path, "is not an object");
    const name = str(acl.name) ?? str(acl["acl-name"]);
    if (acl.name === undefined && acl["acl-name"] !== undefined) warn(path, 'names the ACL with "acl-name" (pre-RFC); RFC 8519 uses "name"');
    if (name === undefined) return err(path, "has no name");
    acls.set(name, { acl, path });
  });
  const used = new Set<string>();
  for (const policy of ["from-device", "to-device"] as const) {
    const p = mud[`${policy}-policy`];
    if (p === undefined) continue;
    const list = isObject(p) && isObject(p["access-lists"]) ? p["access-lists"]["access-list"] : undefined;
    if (!Array.isArray(list)) {
      err(`$.mud.${policy}-policy`, 'has no "access-lists": {"access-list": [...]}');
      continue;
    }
    for (const ref of list) {
      const name = isObject(ref) ? (str(ref.name) ?? str(ref["acl-name"])) : undefined;
      if (name === undefined) {
        err(`$.mud.${policy}-policy`, "names an access list without a name");
        continue;
      }
      const acl = acls.get(name);
      if (!acl) {
        err(`$.mud.${policy}-policy`, `refers to access list "${name}", which the file does not define`);
        continue;
      }
      used.add(name);
      readAcl(acl.acl, acl.path, name, policy, out, warn, err);
    }
  }
  for (const [name, a] of acls) if (!used.has(name)) warn(a.path, `access list "${name}" is not used by from-device-policy or to-device-policy, so it applies to nothing`);
  if (mud["from-device-policy"] === undefined && mud["to-device-policy"] === undefined) err("$.mud", "has neither from-device-policy nor to-device-policy");
  return out;
}

function readMeta(mud: Record<string, unknown>, warn: (p: string, m: string) => void): MudMeta {
  const m: MudMeta = {};
  const set = <K extends keyof MudMeta>(k: K, v: MudMeta[K] | undefined) => {
    if (v !== undefined) m[k] = v;
  };
  set("url", str(mud["mud-url"]));
  set("version", num(mud["mud-version"]));
  set("lastUpdate", str(mud["last-update"]));
  set("cacheValidity", num(mud["cache-validity"]));
  set("supported", typeof mud["is-supported"] === "boolean" ? mud["is-supported"] : undefined);
  set("systeminfo", str(mud.systeminfo));
  set("mfgName", str(mud["mfg-name"]));
  set("modelName", str(mud["model-name"]));
  set("documentation", str(mud.documentation));
  if (m.url === undefined) warn("$.mud", 'has no "mud-url" (RFC 8520 requires it)');
  if (m.version === undefined) warn("$.mud", 'has no "mud-version" (RFC 8520 requires 1)');
  if (m.cacheValidity !== undefined && (m.cacheValidity < 1 || m.cacheValidity > 168)) warn("$.mud", `cache-validity ${m.cacheValidity} is outside 1-168 hours`);
  return m;
}

function readAcl(
  acl: Record<string, unknown>,
  path: string,
  name: string,
  policy: MudRule["policy"],
  out: MudFile,
  warn: (p: string, m: string) => void,
  err: (p: string, m: string) => void,
): void {
  let aces = isObject(acl.aces) ? acl.aces.ace : undefined;
  if (aces === undefined && isObject(acl["access-list-entries"])) {
    aces = acl["access-list-entries"].ace;
    warn(path, 'lists entries under "access-list-entries" (pre-RFC); RFC 8519 uses "aces"');
  }
  if (!Array.isArray(aces)) return err(path, 'has no "aces": {"ace": [...]}');
  aces.forEach((ace, i) => {
    const p = `${path}.aces.ace[${i}]`;
    if (!isObject(ace)) return err(p, "is not an object");
    const aceName = str(ace.name) ?? str(ace["rule-name"]) ?? `#${i}`;
    const forwarding = isObject(ace.actions) ? str(ace.actions.forwarding) : undefined;
    if (forwarding !== undefined && !/accept$/.test(forwarding)) return warn(p, `forwarding "${forwarding}" is not accept; Longwatch reads MUD files as allow-lists, so this entry is skipped`);
    const matches = ace.matches;
    if (!isObject(matches)) return err(p, "has no matches");
    const rule = readMatches(matches, p, warn, err, policy);
    if (rule) out.rules.push({ path: p, acl: name, ace: aceName, policy, ...rule });
  });
}

function readMatches(
  m: Record<string, unknown>,
  path: string,
  warn: (p: string, msg: string) => void,
  err: (p: string, msg: string) => void,
  policy: MudRule["policy"],
): Omit<MudRule, "path" | "acl" | "ace" | "policy"> | undefined {
  const remoteSide = policy === "from-device" ? "destination" : "source";
  const dnsKey = policy === "from-device" ? "ietf-acldns:dst-dnsname" : "ietf-acldns:src-dnsname";
  const out: Omit<MudRule, "path" | "acl" | "ace" | "policy"> = { remote: { kind: "any" } };
  let l3: Record<string, unknown> | undefined;
  for (const k of ["ipv4", "ipv6", "ipv4-acl", "ipv6-acl"]) {
    if (isObject(m[k])) {
      l3 = m[k];
      if (k.endsWith("-acl")) warn(path, `uses "${k}" (pre-RFC); RFC 8519 uses "${k.slice(0, 4)}"`);
    }
  }
  if (l3) {
    const proto = num(l3.protocol);
    if (proto !== undefined) {
      const p = PROTOCOLS[proto];
      if (!p) {
        err(path, `protocol ${proto} is not tcp (6), udp (17) or icmp (1/58)`);
        return undefined;
      }
      out.protocol = p;
    }
    const dns = str(l3[dnsKey]);
    if (dns !== undefined) out.remote = { kind: "dnsname", name: dns.toLowerCase().replace(/\.$/, "") };
    const net = str(l3[`${remoteSide}-ipv4-network`]) ?? str(l3[`${remoteSide}-ipv6-network`]);
    if (net !== undefined) out.remote = { kind: "network", cidr: net };
    // Pre-RFC drafts put the port ranges in the IP container.
    const ports = portsOf(l3[`${remoteSide}-port-range-or-operator`]) ?? portsOf(l3[`${remoteSide}-port-range`]);
    if (ports) {
      out.ports = ports;
      warn(path, `gives the ${remoteSide} port inside the IP container (pre-RFC); RFC 8519 puts it under tcp/udp`);
    }
  }
  for (const k of ["tcp", "udp"] as const) {
    const l4 = m[k];
    if (!isObject(l4)) continue;
    out.protocol ??= k;
    const ports = portsOf(l4[`${remoteSide}-port`]) ?? portsOf(l4[`${remoteSide}-port-range-or-operator`]);
    if (ports) out.ports = ports;
    const dir = str(l4["ietf-mud:direction-initiated"]);
    if (dir === "from-device" || dir === "to-device") out.initiated = dir;
  }
  const mudMatch = isObject(m["ietf-mud:mud"]) ? m["ietf-mud:mud"] : isObject(m["ietf-mud:mud-acl"]) ? m["ietf-mud:mud-acl"] : undefined;
  if (m["ietf-mud:mud-acl"] !== undefined) warn(path, 'uses "ietf-mud:mud-acl" (pre-RFC); RFC 8520 uses "ietf-mud:mud"');
  const loose: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (k.startsWith("ietf-mud:") && k !== "ietf-mud:mud" && k !== "ietf-mud:mud-acl") loose[k.slice(9)] = v;
  if (Object.keys(loose).length) warn(path, `puts ${Object.keys(loose).join(", ")} directly under matches (pre-RFC); RFC 8520 nests them in "ietf-mud:mud"`);
  const classes = { ...loose, ...(mudMatch ?? {}) };
  for (const c of ["local-networks", "same-manufacturer", "my-controller"] as const) if (classes[c] !== undefined) out.remote = { kind: "class", class: c };
  for (const c of ["controller", "manufacturer", "model"] as const) {
    const v = str(classes[c]);
    if (v !== undefined) out.remote = { kind: "class", class: c, value: v };
  }
  if (out.remote.kind === "any" && out.protocol === undefined && out.ports === undefined) {
    err(path, "matches nothing Longwatch can read (no DNS name, network, MUD class, protocol or port)");
    return undefined;
  }
  return out;
}

/** `{operator: eq, port}`, `{lower-port, upper-port}` (RFC 8519 range or the pre-RFC form). */
function portsOf(v: unknown): [number, number] | undefined {
  if (!isObject(v)) return undefined;
  const port = num(v.port);
  const op = str(v.operator) ?? "eq";
  if (port !== undefined) {
    if (op === "eq") return [port, port];
    if (op === "lte") return [0, port];
    if (op === "gte") return [port, 65535];
    return undefined;
  }
  const lo = num(v["lower-port"]);
  const hi = num(v["upper-port"]);
  return lo !== undefined && hi !== undefined && lo <= hi ? [lo, hi] : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
