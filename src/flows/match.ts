/**
 * Matches an observed flow's remote end against a model's declared destinations: by DNS name (exact, `*.` wildcard
 * or domain suffix), address block, MUD class, then port, protocol and direction. Compiled once per model; a lookup
 * walks the name's labels and the address blocks, so it is cheap — and the classifier caches its results anyway.
 */
import { cidrContainsV4, cidrContainsV6, ipv4ToNumber, ipv6Groups, parseCidrText, type Cidr, type Destination, type FlowDeclaration } from "../core/flows.ts";

export interface FlowQuery {
  /** The remote end's DNS name, lower case, when known. */
  name?: string;
  /** The remote address as text. */
  ip: string;
  port?: number;
  /** tcp, udp, icmp … as the record says. */
  proto?: string;
  /** The device opened the flow. */
  outbound: boolean;
  /** The remote address is inside the local networks. */
  local: boolean;
}

export interface MatchResult {
  /** Index in the declaration's destinations, -1 when none matches. */
  index: number;
  /** When none matches: the closest miss in plain words (e.g. "api.acme.example is declared, but not port 80"). */
  why?: string;
}

interface Entry {
  index: number;
  d: Destination;
  ports: [number, number][] | undefined;
}

export class DeclarationMatcher {
  private readonly exact = new Map<string, Entry[]>();
  /** Domain suffix → entries; `*.x` wildcards are stored with `wildcard` so `x` itself does not match. */
  private readonly suffix = new Map<string, { e: Entry; wildcard: boolean }[]>();
  private readonly blocks: { c: Cidr; e: Entry }[] = [];
  private readonly local: Entry[] = [];

  constructor(readonly decl: FlowDeclaration, onlySource?: Destination["source"]) {
    decl.destinations.forEach((d, index) => {
      if (onlySource !== undefined && d.source !== onlySource) return;
      const e: Entry = { index, d, ports: d.ports?.map(portRange) };
      if (d.host !== undefined) {
        if (d.host.startsWith("*.")) this.addSuffix(d.host.slice(2), e, true);
        else push(this.exact, d.host, e);
      } else if (d.domain !== undefined) this.addSuffix(d.domain, e, false);
      else if (d.cidr !== undefined) this.blocks.push({ c: parseCidrText(d.cidr)!, e });
      else if (d.class === "local-networks") this.local.push(e);
      else if (d.class === "same-manufacturer") for (const dom of [...decl.first_party_domains, ...authorityOf(decl.mud_url)]) this.addSuffix(dom, e, false);
      else if (d.class === "manufacturer") this.addSuffix(d.controller!.toLowerCase(), e, false);
      else {
        // controller / my-controller: what the operator says the class stands for here.
        const key = d.class === "my-controller" ? "my-controller" : d.controller!;
        for (const target of decl.controllers[key] ?? []) {
          const c = parseCidrText(target);
          if (c) this.blocks.push({ c, e });
          else push(this.exact, target, e);
        }
      }
    });
  }

  /** How many destinations took part (for "this model's MUD file has N entries"). */
  get size(): number {
    let n = this.local.length + this.blocks.length;
    for (const l of this.exact.values()) n += l.length;
    for (const l of this.suffix.values()) n += l.length;
    return n;
  }

  match(q: FlowQuery): MatchResult {
    const candidates: Entry[] = [];
    if (q.local) candidates.push(...this.local);
    if (q.name !== undefined) {
      candidates.push(...(this.exact.get(q.name) ?? []));
      let dot = -1;
      let label = q.name;
      do {
        for (const s of this.suffix.get(label) ?? []) if (!s.wildcard || dot >= 0) candidates.push(s.e);
        dot = q.name.indexOf(".", dot + 1);
        label = q.name.slice(dot + 1);
      } while (dot >= 0);
    }
    candidates.push(...(this.exact.get(q.ip) ?? []));
    if (this.blocks.length) {
      const v4 = ipv4ToNumber(q.ip);
      const v6 = v4 === undefined ? ipv6Groups(q.ip) : undefined;
      for (const b of this.blocks) if (v4 !== undefined ? cidrContainsV4(b.c, v4) : v6 !== undefined && cidrContainsV6(b.c, v6)) candidates.push(b.e);
    }
    let miss: string | undefined;
    let best = -1;
    for (const e of candidates) {
      const why = this.rest(e, q);
      if (why === undefined) {
        if (best < 0 || e.index < best) best = e.index;
      } else miss ??= why;
    }
    if (best >= 0) return { index: best };
    return { index: -1, why: miss ?? `${q.name ?? q.ip} is not declared` };
  }

  /** Port, protocol and direction of a destination that matched by name or address; undefined when all fit. */
  private rest(e: Entry, q: FlowQuery): string | undefined {
    const what = describe(e.d);
    if (e.d.protocol !== "any" && q.proto !== undefined && q.proto.toLowerCase() !== e.d.protocol) return `${what} is declared for ${e.d.protocol}, not ${q.proto}`;
    if (e.ports && q.port !== undefined && !e.ports.some(([a, b]) => q.port! >= a && q.port! <= b)) return `${what} is declared, but not port ${q.port} (declared: ${e.d.ports!.join(", ")})`;
    if (e.d.direction === "from-device" && !q.outbound) return `${what} is declared for connections the device opens, but this one was opened from outside`;
    if (e.d.direction === "to-device" && q.outbound) return `${what} is declared only for connections to the device`;
    return undefined;
  }

  private addSuffix(domain: string, e: Entry, wildcard: boolean): void {
    const list = this.suffix.get(domain);
    if (list) list.push({ e, wildcard });
    else this.suffix.set(domain, [{ e, wildcard }]);
  }
}

export function describe(d: Destination): string {
  if (d.host !== undefined) return d.host;
  if (d.domain !== undefined) return `*.${d.domain}`;
  if (d.cidr !== undefined) return d.cidr;
  return d.controller !== undefined ? `${d.class} ${d.controller}` : d.class!;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function portRange(p: number | string): [number, number] {
  const [a, b] = String(p).split("-").map(Number);
  return [a!, b ?? a!];
}

function authorityOf(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    return [new URL(url).hostname.toLowerCase()];
  } catch {
    return [];
  }
}
