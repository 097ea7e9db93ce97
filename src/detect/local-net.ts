/**
 * Which addresses are "inside": the networks the fleet's devices live in. For a flow, the endpoint inside is the
 * device; an outside scanner hitting a device must not be taken for one. The default is the private IPv4 ranges
 * (RFC 1918, CGNAT 100.64/10 used by cellular carriers, link-local) and IPv6 unique-local and link-local.
 */
import { LongwatchError } from "../core/errors.ts";

export const DEFAULT_LOCAL_NETS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"];

interface V4Net {
  base: number;
  mask: number;
}

export class LocalNets {
  private readonly v4: V4Net[] = [];
  private readonly v6: { words: number[]; bits: number }[] = [];

  constructor(cidrs: readonly string[] = DEFAULT_LOCAL_NETS) {
    for (const c of cidrs) {
      const parsed = parseCidr(c);
      if (parsed === undefined) throw new LongwatchError("invalid_config", `"${c}" is not a CIDR block (e.g. 10.0.0.0/8 or fd00::/8)`, { cidr: c });
      if ("base" in parsed) this.v4.push(parsed);
      else this.v6.push(parsed);
    }
  }

  /** IPv4 as an unsigned 32-bit number. */
  hasV4(ip: number): boolean {
    for (const n of this.v4) if (((ip & n.mask) >>> 0) === n.base) return true;
    return false;
  }

  hasV6(text: string): boolean {
    const words = parseIPv6(text);
    if (!words) return false;
    return this.v6.some((n) => prefixMatch(words, n.words, n.bits));
  }
}

function parseCidr(c: string): V4Net | { words: number[]; bits: number } | undefined {
  const [addr, len] = c.trim().split("/");
  if (addr === undefined) return undefined;
  if (addr.includes(":")) {
    const words = parseIPv6(addr);
    const bits = len === undefined ? 128 : Number(len);
    return words && Number.isInteger(bits) && bits >= 0 && bits <= 128 ? { words, bits } : undefined;
  }
  const parts = addr.split(".").map(Number);
  const bits = len === undefined ? 32 : Number(len);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255) || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const ip = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, mask };
}

/** IPv6 text as eight 16-bit words, or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  const t = text.split("%")[0]!.toLowerCase();
  const halves = t.split("::");
  if (halves.length > 2) return undefined;
  const part = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (g.includes(".")) {
        const v4 = g.split(".").map(Number);
        if (v4.length !== 4 || v4.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - tail.length;
  return fill < 1 ? undefined : [...head, ...new Array<number>(fill).fill(0), ...tail];
}

function prefixMatch(a: number[], b: number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}
