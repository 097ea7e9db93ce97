/**
 * MUD (RFC 8520) ↔ declared flows. Import turns a MUD file's accepted ACEs into destinations with `source: mud`
 * (replacing the model's earlier MUD entries, keeping what was declared by hand); export writes a MUD file of the
 * destinations a model's devices were seen to use — the allow-list a MUD manager or firewall can enforce.
 */
import type { Destination, FlowDeclaration, Purpose } from "../core/flows.ts";
import { FlowDeclarationSchema } from "../core/flows.ts";
import type { MudFile, MudRule } from "../formats/mud.ts";

const WELL_KNOWN: Record<string, Purpose> = { "urn:ietf:params:mud:dns": "dns", "urn:ietf:params:mud:ntp": "time" };

export interface MudImport {
  declaration: FlowDeclaration;
  added: number;
  /** Rules that could not become a destination, with why (also in declaration.mud.warnings). */
  skipped: { path: string; why: string }[];
}

/** Merges a parsed MUD file into a model's declaration (which may be empty). */
export function importMud(mud: MudFile, existing: FlowDeclaration | undefined, file: string, now: number): MudImport {
  const base = existing ?? FlowDeclarationSchema.parse({});
  const skipped: MudImport["skipped"] = [];
  const merged = new Map<string, Destination>();
  for (const r of mud.rules) {
    const d = toDestination(r);
    if (typeof d === "string") {
      skipped.push({ path: r.path, why: d });
      continue;
    }
    const key = JSON.stringify([d.host, d.domain, d.cidr, d.class, d.controller, d.ports, d.protocol]);
    const prev = merged.get(key);
    if (!prev) merged.set(key, d);
    else if (prev.direction !== d.direction) prev.direction = "either";
  }
  const warnings = [...mud.issues.filter((i) => i.level === "warning").map((i) => `${i.path}: ${i.message}`), ...skipped.map((s) => `${s.path}: skipped: ${s.why}`)];
  const declaration: FlowDeclaration = {
    ...base,
    destinations: [...base.destinations.filter((d) => d.source !== "mud"), ...merged.values()],
    mud: { file, imported_at: new Date(now).toISOString(), warnings, ...(mud.meta.url !== undefined ? { url: mud.meta.url } : {}), ...(mud.meta.lastUpdate !== undefined ? { last_update: mud.meta.lastUpdate } : {}) },
  };
  const url = mud.meta.url ?? base.mud_url;
  if (url !== undefined && /^https?:\/\//.test(url)) declaration.mud_url = url;
  return { declaration, added: merged.size, skipped };
}

function toDestination(r: MudRule): Destination | string {
  const d: Destination = { protocol: r.protocol ?? "any", direction: directionOf(r), source: "mud", name: `${r.acl}/${r.ace}` };
  if (r.ports) d.ports = [r.ports[0] === r.ports[1] ? r.ports[0] : `${r.ports[0]}-${r.ports[1]}`];
  const rem = r.remote;
  if (rem.kind === "dnsname") d.host = rem.name;
  else if (rem.kind === "network") d.cidr = rem.cidr;
  else if (rem.kind === "any") d.cidr = "0.0.0.0/0";
  else if (rem.class === "model") return "the model class (other devices with the same MUD URL) has no counterpart in flow records";
  else {
    d.class = rem.class;
    if (rem.value !== undefined) d.controller = rem.value;
    const purpose = rem.value !== undefined ? WELL_KNOWN[rem.value] : undefined;
    if (purpose) d.purpose = purpose;
  }
  if (d.purpose === undefined && r.ports?.[0] === r.ports?.[1]) {
    if (r.ports?.[0] === 53) d.purpose = "dns";
    else if (r.ports?.[0] === 123) d.purpose = "time";
  }
  return d;
}

function directionOf(r: MudRule): Destination["direction"] {
  if (r.initiated === "from-device") return "from-device";
  if (r.initiated === "to-device") return "to-device";
  return "either";
}

/** A destination a model's devices used, with how many of them did. */
export interface LearnedDestination {
  /** DNS name, or the address when no name was known. */
  name: string;
  isAddress: boolean;
  local: boolean;
  port?: number;
  protocol?: string;
  devices: number;
}

export interface MudExportOptions {
  modelId: string;
  mudUrl: string;
  now: number;
  systeminfo?: string;
  mfgName?: string;
  supported?: boolean;
  /** Devices of the model seen in the period (the denominator of the share). */
  devices: number;
  /** Keep destinations used by at least this share of the devices (0–1). */
  minShare: number;
}

export interface MudExport {
  mud: Record<string, unknown>;
  kept: LearnedDestination[];
  dropped: LearnedDestination[];
}

export function exportMud(learned: readonly LearnedDestination[], o: MudExportOptions): MudExport {
  const need = Math.max(1, Math.ceil(o.minShare * o.devices - 1e-9));
  const kept = learned.filter((l) => l.devices >= need).sort((a, b) => a.name.localeCompare(b.name) || (a.port ?? 0) - (b.port ?? 0));
  const dropped = learned.filter((l) => l.devices < need);
  const slug = o.modelId.replace(/[^A-Za-z0-9]+/g, "-");
  const acls: Record<string, unknown>[] = [];
  const policies: Record<string, { name: string }[]> = { from: [], to: [] };
  for (const v of ["v4", "v6"] as const) {
    const fits = kept.filter((l) => !l.isAddress || (v === "v4") === !l.name.includes(":"));
    if (!fits.length) continue;
    for (const dir of ["fr", "to"] as const) {
      const name = `mud-${slug}-${v}${dir}`;
      acls.push({ name, type: `ip${v}-acl-type`, aces: { ace: fits.map((l, i) => ace(l, i, v, dir === "fr")) } });
      policies[dir === "fr" ? "from" : "to"]!.push({ name });
    }
  }
  const mud: Record<string, unknown> = {
    "ietf-mud:mud": {
      "mud-version": 1,
      "mud-url": o.mudUrl,
      "last-update": new Date(o.now).toISOString().replace(/\.\d{3}Z$/, "Z"),
      "cache-validity": 48,
      "is-supported": o.supported ?? true,
      systeminfo: (o.systeminfo ?? `Learned by Longwatch from ${o.devices} devices of ${o.modelId}`).slice(0, 60),
      ...(o.mfgName !== undefined ? { "mfg-name": o.mfgName } : {}),
      "from-device-policy": { "access-lists": { "access-list": policies.from } },
      "to-device-policy": { "access-lists": { "access-list": policies.to } },
    },
    "ietf-access-control-list:acls": { acl: acls },
  };
  return { mud, kept, dropped };
}

function ace(l: LearnedDestination, i: number, v: "v4" | "v6", fromDevice: boolean): Record<string, unknown> {
  const matches: Record<string, unknown> = {};
  const l3: Record<string, unknown> = {};
  const side = fromDevice ? "destination" : "source";
  if (l.local) matches["ietf-mud:mud"] = { "local-networks": [null] };
  else if (l.isAddress) l3[`${side}-ip${v}-network`] = `${l.name}/${v === "v4" ? 32 : 128}`;
  else l3[fromDevice ? "ietf-acldns:dst-dnsname" : "ietf-acldns:src-dnsname"] = l.name;
  const proto = l.protocol?.toLowerCase();
  if (proto === "tcp" || proto === "udp") l3.protocol = proto === "tcp" ? 6 : 17;
  if (Object.keys(l3).length) matches[`ip${v}`] = l3;
  if (proto === "tcp" || proto === "udp") {
    const l4: Record<string, unknown> = {};
    if (l.port !== undefined) l4[`${side}-port`] = { operator: "eq", port: l.port };
    if (proto === "tcp") l4["ietf-mud:direction-initiated"] = "from-device";
    matches[proto] = l4;
  }
  return { name: `${l.local ? "loc" : "cl"}${i}-${fromDevice ? "frdev" : "todev"}`, matches, actions: { forwarding: "accept" } };
}
