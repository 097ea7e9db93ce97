/**
 * Indicators to watch for (from `intel import`): IPv4/IPv6 addresses and blocks, and domains (a domain matches its
 * subdomains too). Lookups are O(1) on the hot path: an IPv4 address is checked in one set per prefix length in use
 * (at most 33), and a DNS name's verdict is remembered by its hash (capped) so its labels are walked once.
 */
import { cidrContainsV6, ipv6Groups, parseCidrText, type Cidr } from "../core/flows.ts";

export interface WatchEntry {
  /** The STIX indicator id it came from. */
  indicator: string;
  name: string;
  /** The value as written: an address, block or domain. */
  value: string;
  kind: "ipv4" | "ipv6" | "domain";
  source: string;
  valid_until?: string;
  indicator_types?: string[];
}

export class Watchlist {
  private readonly v4 = new Map<number, Map<number, WatchEntry>>();
  private readonly v6: { c: Cidr; e: WatchEntry }[] = [];
  private readonly domains = new Map<string, WatchEntry>();
  private readonly nameCache = new Map<number, WatchEntry | null>();
  readonly entries: WatchEntry[] = [];

  constructor(entries: readonly WatchEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  get size(): number {
    return this.entries.length;
  }

  add(e: WatchEntry): boolean {
    if (e.kind === "domain") this.domains.set(e.value.toLowerCase().replace(/^\*\./, ""), e);
    else {
      const c = parseCidrText(e.value);
      if (!c) return false;
      if (c.v === 4) {
        let m = this.v4.get(c.bits);
        if (!m) this.v4.set(c.bits, (m = new Map()));
        m.set(c.base, e);
      } else this.v6.push({ c, e });
    }
    this.entries.push(e);
    return true;
  }

  /** An IPv4 address as an unsigned 32-bit number. */
  matchV4(ip: number): WatchEntry | undefined {
    for (const [bits, m] of this.v4) {
      const base = bits === 0 ? 0 : (ip & (~0 << (32 - bits))) >>> 0;
      const e = m.get(base);
      if (e) return e;
    }
    return undefined;
  }

  matchV6(text: string): WatchEntry | undefined {
    if (!this.v6.length) return undefined;
    const g = ipv6Groups(text);
    return g ? this.v6.find((x) => cidrContainsV6(x.c, g))?.e : undefined;
  }

  /** `hash` is the name's 32-bit hash (the record's), so a name seen before costs one map lookup. */
  matchName(name: () => string, hash: number): WatchEntry | undefined {
    if (this.domains.size === 0) return undefined;
    const known = this.nameCache.get(hash);
    // A remembered miss is trusted; a remembered hit is re-checked, so a hash collision cannot raise a false alert.
    if (known === null) return undefined;
    if (known !== undefined) {
      const n = name().toLowerCase().replace(/\.$/, "");
      const v = known.value.toLowerCase().replace(/^\*\./, "");
      if (n === v || n.endsWith(`.${v}`)) return known;
    }
    let label = name().toLowerCase().replace(/\.$/, "");
    let hit: WatchEntry | undefined;
    for (;;) {
      hit = this.domains.get(label);
      if (hit) break;
      const dot = label.indexOf(".");
      if (dot < 0) break;
      label = label.slice(dot + 1);
    }
    if (this.nameCache.size >= 100_000) this.nameCache.clear();
    this.nameCache.set(hash, hit ?? null);
    return hit;
  }
}
