/**
 * Destination keys shared by the destination detectors: a flow's remote end as a domain when the flow names one
 * (a CDN's addresses rotate, its name does not), else its address; and its port. Hashes only — text is made when an
 * alert is written.
 */
import { hashUtf8, mix32 } from "../read/bytes.ts";
import { F } from "../read/fields.ts";
import type { Rec } from "../read/rec.ts";

/** Zeek states of attempts that never got an answer or were refused: not a destination the device really talked to. */
const FAILED_STATES = new Set(["S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"].map((s) => hashAscii(s)));

export function hashAscii(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h === 0 ? 1 : h;
}

/** The remote host as a hash: its DNS name when given, else its address. */
export function hostKey(rec: Rec): number {
  const dns = rec.hash[F.dns_name]!;
  return dns !== 0 ? dns : rec.hash[rec.remoteIp]!;
}

export function hostText(rec: Rec): string {
  return rec.text(F.dns_name) ?? rec.text(rec.remoteIp) ?? "?";
}

/** Port keys live apart from host hashes (proto in the high bits keeps tcp/23 and udp/23 apart). */
export function portKey(rec: Rec): number {
  const port = rec.num[rec.remotePort]!;
  if (!(port >= 0)) return 0;
  const proto = rec.hash[F.proto]!;
  return (0x7f000000 ^ ((proto & 0xff) << 16) ^ port) | 0;
}

/** Did the flow get an answer? Zeek's states say so; without one, any bytes or packets back count as an answer. */
export function established(rec: Rec): boolean {
  const state = rec.hash[F.conn_state]!;
  if (state !== 0) return !FAILED_STATES.has(state);
  const back = rec.num[rec.outbound ? F.bytes_in : F.bytes_out]!;
  const pk = rec.num[rec.outbound ? F.packets_in : F.packets_out]!;
  if (back === back || pk === pk) return back > 0 || pk > 0;
  return true;
}

/** hostKey from text (as alerts store it): the same hash the record gave, for learning from a verdict. */
export function hostKeyOfText(dns: string | undefined, ip: string | undefined): number {
  if (dns !== undefined) return hashUtf8(dns);
  if (ip === undefined) return 0;
  const p = ip.split(".");
  if (p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x))) return mix32(p.reduce((v, x) => v * 256 + Number(x), 0)) | 1;
  return hashUtf8(ip);
}

/**
 * Infrastructure every device uses and whose servers rotate by design: time (NTP), name resolution (DNS, DoT,
 * mDNS, LLMNR), address assignment (DHCP) and local discovery (NetBIOS, SSDP). A new server of one of these is not
 * news — an NTP pool or a resolver hands out different addresses all the time — so they are grouped by service.
 * By remote port; `udpOnly` ports count only over UDP (or when the protocol is not given).
 */
const INFRA: readonly { port: number; service: string; udpOnly: boolean }[] = [
  { port: 123, service: "ntp", udpOnly: true },
  { port: 53, service: "dns", udpOnly: false },
  { port: 853, service: "dns", udpOnly: false },
  { port: 5353, service: "mdns", udpOnly: true },
  { port: 5355, service: "llmnr", udpOnly: false },
  { port: 67, service: "dhcp", udpOnly: true },
  { port: 68, service: "dhcp", udpOnly: true },
  { port: 547, service: "dhcp", udpOnly: true },
  { port: 546, service: "dhcp", udpOnly: true },
  { port: 137, service: "netbios", udpOnly: true },
  { port: 138, service: "netbios", udpOnly: true },
  { port: 1900, service: "ssdp", udpOnly: true },
];
const INFRA_BY_PORT = new Map(INFRA.map((x) => [x.port, x]));
const UDP = hashAscii("udp");
const TCP = hashAscii("tcp");

/** The infrastructure service a flow's remote port is, or undefined. */
export function infraService(rec: Rec): string | undefined {
  const port = rec.num[rec.remotePort]!;
  const x = port >= 0 ? INFRA_BY_PORT.get(port) : undefined;
  if (!x) return undefined;
  const proto = rec.hash[F.proto]!;
  if (x.udpOnly && proto !== 0 && proto !== UDP) return undefined;
  if (!x.udpOnly && proto !== 0 && proto !== UDP && proto !== TCP) return undefined;
  return x.service;
}

/** Multicast and broadcast remote ends: link-local chatter, never a destination on the Internet. */
export function isMulticast(rec: Rec): boolean {
  const v4 = rec.num[rec.remoteIp]!;
  if (v4 >= 0) return v4 >>> 28 === 14 || (v4 & 0xff) === 255;
  const t = rec.text(rec.remoteIp);
  return t !== undefined && /^ff[0-9a-f]{2}:/i.test(t);
}

/**
 * What new-destination judges as one destination: an infrastructure service as a whole (`service:ntp`); a DNS
 * name when the flow has one (a leading number label dropped, so 0.pool.ntp.org and 1.pool.ntp.org are one); else
 * the address's /24 (IPv4) or /48 (IPv6), since a cloud or CDN service answers from neighbouring addresses.
 */
export function groupText(rec: Rec): string {
  const svc = infraService(rec) ?? (isMulticast(rec) ? "multicast" : undefined);
  if (svc !== undefined) return `service:${svc}`;
  const dns = rec.text(F.dns_name);
  if (dns !== undefined) return dns.toLowerCase().replace(/^\d+\./, "");
  return prefixOf(rec.text(rec.remoteIp) ?? "?");
}

/** groupText as a hash, without making text on the common path (an IPv4 /24 with no name). */
export function groupKey(rec: Rec): number {
  const v4 = rec.num[rec.remoteIp]!;
  if (v4 >= 0 && rec.hash[F.dns_name] === 0 && infraService(rec) === undefined && !isMulticast(rec)) return (mix32((v4 & 0xffffff00) ^ 0x5bd1e995) | 1) ^ 0x40000000;
  return hashUtf8(groupText(rec));
}

/** groupKey from text (as alerts store it), for learning from a verdict. */
export function groupKeyOfText(group: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.0\/24$/.exec(group);
  if (m) return (mix32(((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8)) >>> 0 & 0xffffff00 ^ 0x5bd1e995) | 1) ^ 0x40000000;
  return hashUtf8(group);
}

/** An address's /24 (IPv4) or /48 (IPv6) as text. */
export function prefixOf(ip: string): string {
  const p = ip.split(".");
  if (p.length === 4) return `${p[0]}.${p[1]}.${p[2]}.0/24`;
  if (!ip.includes(":")) return ip;
  const [head] = ip.split("::");
  const groups = (head ?? "").split(":").filter((x) => x !== "");
  while (groups.length < 3) groups.push("0");
  return `${groups.slice(0, 3).map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")).join(":")}::/48`;
}
