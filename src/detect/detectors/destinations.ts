/**
 * Destination keys shared by the destination detectors: a flow's remote end as a domain when the flow names one
 * (a CDN's addresses rotate, its name does not), else its address; and its port. Hashes only — text is made when an
 * alert is written.
 */
import { mix32 } from "../read/bytes.ts";
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

function hashUtf8(s: string): number {
  let h = 0x811c9dc5;
  for (const x of new TextEncoder().encode(s)) h = Math.imul(h ^ x, 0x01000193);
  return h === 0 ? 1 : h;
}
