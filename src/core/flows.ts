/**
 * Declared data flows of a device model: where its devices may send data, for what purpose, what kind of data, to
 * which jurisdictions and for how long it is kept. Written in models.yaml (`flows:` on a model) or in a flows.yaml
 * beside it (model id → declaration), or imported from a MUD file (RFC 8520). The JSON Schema in docs/schemas/ is
 * generated from these zod schemas. Pure: the matching and classification live in flows/.
 */
import { z } from "zod";

export const PURPOSES = ["telemetry", "control", "update", "time", "dns", "location", "diagnostics", "analytics", "advertising"] as const;
export type Purpose = (typeof PURPOSES)[number];

/** What a flow carries: personal data (names, contacts, identifiers of people), location, pseudonymous ids, or nothing personal. */
export const DATA_CATEGORIES = ["personal", "location", "pseudonymous", "none"] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** Who receives it: the maker (first), a service provider working for it (support), anyone else (third), a tracker. */
export const PARTIES = ["first", "support", "third", "tracker"] as const;
export type Party = (typeof PARTIES)[number];

/** MUD (RFC 8520) classes a destination can name instead of an address. */
export const MUD_CLASSES = ["controller", "my-controller", "local-networks", "same-manufacturer", "manufacturer"] as const;
export type MudClass = (typeof MUD_CLASSES)[number];

/** A country code, `EEA` (EU + Iceland, Liechtenstein, Norway) or `adequacy` (the EU adequacy list, data/jurisdictions.yaml). */
const jurisdiction = z
  .string()
  .trim()
  .transform((s) => (/^(eea|adequacy)$/i.test(s) ? s.toUpperCase().replace("ADEQUACY", "adequacy") : s.toUpperCase()))
  .pipe(z.string().regex(/^([A-Z]{2}|EEA|adequacy)$/, "is not a country code (ISO 3166-1 alpha-2), EEA or adequacy"))
  .describe("ISO 3166-1 alpha-2 country code, EEA, or adequacy (countries with an EU adequacy decision).");

/** ISO 8601 duration such as P30D, P6M, P1Y, PT12H. */
const duration = z
  .string()
  .trim()
  .regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/, "is not an ISO 8601 duration (e.g. P30D, P1Y, PT12H)");

const hostName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62}\.)*[a-z0-9_-]{1,63}\.?$/, "is not a DNS name")
  .transform((s) => s.replace(/\.$/, ""));

const cidr = z
  .string()
  .trim()
  .refine((s) => parseCidrText(s) !== undefined, "is not an IPv4 or IPv6 address or CIDR block (e.g. 192.0.2.0/24, 2001:db8::/32)");

const portSpec = z
  .union([z.number().int().min(0).max(65535), z.string().trim().regex(/^\d{1,5}(-\d{1,5})?$/, "is not a port or range like 8000-8100")])
  .refine((p) => {
    const [a, b] = String(p).split("-").map(Number);
    return a! <= 65535 && (b === undefined || (b <= 65535 && a! <= b));
  }, "is outside 0-65535 or an empty range");

export const DestinationSchema = z
  .object({
    name: z.string().trim().min(1).max(128).optional().describe("What the destination is, for people (e.g. 'telemetry broker')."),
    host: hostName.optional().describe("Exact DNS name; `*.example.com` matches its subdomains only."),
    domain: hostName.optional().describe("A domain and every name under it."),
    cidr: cidr.optional().describe("Address or CIDR block."),
    class: z.enum(MUD_CLASSES).optional().describe("A MUD class instead of an address: controller, my-controller, local-networks, same-manufacturer, manufacturer."),
    controller: z.string().trim().min(1).max(512).optional().describe("For class controller: the controller URI (e.g. urn:ietf:params:mud:ntp); for class manufacturer: the authority."),
    ports: z.array(portSpec).optional().describe("Remote ports or ranges; any when absent."),
    protocol: z.enum(["tcp", "udp", "icmp", "any"]).default("any"),
    direction: z.enum(["from-device", "to-device", "either"]).default("from-device").describe("Who opens the connection (MUD direction-initiated)."),
    purpose: z.enum(PURPOSES).optional(),
    data: z.array(z.enum(DATA_CATEGORIES)).optional().describe("What the flow carries; the model's `personal_data` when absent."),
    party: z.enum(PARTIES).optional().describe("Who receives it; derived from the first-party domains and the tracker list when absent."),
    owner: z.string().trim().min(1).max(256).optional().describe("The organisation that runs it."),
    jurisdictions: z.array(jurisdiction).optional().describe("Where personal data sent here may go; the model's `jurisdictions` when absent."),
    safeguard: z.enum(["scc", "bcr", "derogation"]).optional().describe("GDPR Chapter V basis for a transfer outside the allowed jurisdictions (Art. 46 SCCs, Art. 47 BCRs, Art. 49)."),
    retention: duration.optional().describe("How long the recipient keeps the data (ISO 8601 duration)."),
    max_per_hour: z.number().int().positive().optional().describe("For location: how many flows an hour a device is declared to send at most."),
    source: z.enum(["declared", "mud"]).default("declared").describe("Where this entry came from."),
  })
  .strict()
  .superRefine((d, ctx) => {
    const given = [d.host, d.domain, d.cidr, d.class].filter((x) => x !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: "custom", path: ["host"], message: "give exactly one of host, domain, cidr or class" });
    if ((d.class === "controller" || d.class === "manufacturer") && d.controller === undefined) ctx.addIssue({ code: "custom", path: ["controller"], message: `class ${d.class} needs controller (its URI or authority)` });
  });
export type Destination = z.output<typeof DestinationSchema>;

export const FlowDeclarationSchema = z
  .object({
    mud_url: z.url().optional().describe("The model's MUD URL."),
    first_party_domains: z.array(hostName).default([]).describe("Domains of the maker: destinations under them are first party (and MUD same-manufacturer)."),
    personal_data: z.array(z.enum(DATA_CATEGORIES)).default([]).describe("What the device's data is by default (e.g. [location] for a tracker)."),
    jurisdictions: z.array(jurisdiction).default(["EEA", "adequacy"]).describe("Where personal data may go by default."),
    retention: duration.optional(),
    controllers: z
      .record(z.string(), z.array(z.union([hostName, cidr])))
      .default({})
      .describe("What MUD controller classes stand for here: controller URI (or my-controller) → names or CIDR blocks."),
    destinations: z.array(DestinationSchema).default([]),
    mud: z
      .object({ url: z.string().optional(), last_update: z.string().optional(), file: z.string(), imported_at: z.string(), warnings: z.array(z.string()).default([]) })
      .optional()
      .describe("Set when the destinations were imported from a MUD file."),
  })
  .strict();
export type FlowDeclaration = z.output<typeof FlowDeclarationSchema>;

/** flows.yaml: model id → its declaration. */
export const FlowsFileSchema = z.record(z.string().min(1).max(128), FlowDeclarationSchema);

/** An address block as numbers: IPv4 as one 32-bit value, IPv6 as eight 16-bit groups. */
export type Cidr = { v: 4; base: number; bits: number } | { v: 6; groups: number[]; bits: number };

export function parseCidrText(s: string): Cidr | undefined {
  const [addr, len, extra] = s.split("/");
  if (extra !== undefined || addr === undefined) return undefined;
  const v4 = ipv4ToNumber(addr);
  if (v4 !== undefined) {
    const bits = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
    if (!(bits >= 0 && bits <= 32)) return undefined;
    return { v: 4, base: bits === 0 ? 0 : (v4 & (~0 << (32 - bits))) >>> 0, bits };
  }
  const groups = ipv6Groups(addr);
  if (!groups) return undefined;
  const bits = len === undefined ? 128 : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= 128)) return undefined;
  return { v: 6, groups, bits };
}

export function ipv4ToNumber(s: string): number | undefined {
  const p = s.split(".");
  if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return undefined;
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

export function ipv6Groups(s: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(":")) return undefined;
  let text = s;
  if (s.includes(".")) {
    // An embedded IPv4 address (::ffff:192.0.2.1) stands for the last two groups.
    const at = s.lastIndexOf(":");
    const v4 = ipv4ToNumber(s.slice(at + 1));
    if (v4 === undefined) return undefined;
    text = `${s.slice(0, at + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const part = (h: string) => (h === "" ? [] : h.split(":"));
  const head = part(halves[0]!);
  const rest = halves.length === 2 ? part(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const n = head.length + rest.length;
  if (halves.length === 1 ? n !== 8 : n > 7) return undefined;
  const zeros = halves.length === 2 ? 8 - n : 0;
  return [...head.map((g) => parseInt(g, 16)), ...Array<number>(zeros).fill(0), ...rest.map((g) => parseInt(g, 16))];
}

export function cidrContainsV4(c: Cidr, ip: number): boolean {
  if (c.v !== 4) return false;
  if (c.bits === 0) return true;
  return ((ip & (~0 << (32 - c.bits))) >>> 0) === c.base;
}

export function cidrContainsV6(c: Cidr, groups: readonly number[]): boolean {
  if (c.v !== 6) return false;
  let left = c.bits;
  for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
    const take = Math.min(16, left);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((groups[i]! & mask) !== (c.groups[i]! & mask)) return false;
  }
  return true;
}
