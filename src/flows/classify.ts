/**
 * Classifies where a flow goes: the destination's name (the record's, a DNS log's, or only its address), whether the
 * model declared it (and whether its MUD file allows it), who receives it (first, support, third party, tracker),
 * which country it is in, what data it may carry, and whether personal data may go there. Results are cached per
 * (model, host, port, protocol, direction), with the host's bytes checked on every hit, so the detectors that share
 * this context pay one map lookup per flow; the cache is capped (`maxEntries`) and counts what it could not keep.
 */
import type { DataCategory, Destination, FlowDeclaration, Party, Purpose } from "../core/flows.ts";
import { LocalNets } from "../detect/local-net.ts";
import { hashString } from "../detect/read/bytes.ts";
import { F } from "../detect/read/fields.ts";
import type { Rec } from "../detect/read/rec.ts";
import type { GeoIp } from "./geoip.ts";
import { allowedIn, loadJurisdictions, zoneOf, type Allowance, type Jurisdictions, type Zone } from "./jurisdictions.ts";
import { FlowLedger } from "./ledger.ts";
import { DeclarationMatcher, describe } from "./match.ts";
import type { TrackerInfo, TrackerList } from "./trackers.ts";

export interface Classification {
  /** Entry number (ledger rows refer to it); -1 when the cache was full. */
  id: number;
  model: string | undefined;
  name: string;
  nameSource: "record" | "dns-log" | "address";
  address: string;
  port?: number;
  proto?: string;
  outbound: boolean;
  local: boolean;
  /** Index of the declared destination it matches, -1 when undeclared (or the model declares nothing). */
  declared: number;
  /** For an undeclared flow of a model with a declaration: the closest miss. */
  declaredWhy?: string;
  /** undefined when the model has no MUD file. */
  mudAllowed?: boolean;
  mudWhy?: string;
  destination?: Destination;
  party: Party;
  owner?: string;
  purpose?: Purpose;
  /** What it carries: the declared destination's data, else the model's `personal_data`. */
  categories: readonly DataCategory[];
  country?: string;
  zone: Zone | "local";
  /** Where personal data sent here may go, and whether this country is one of them (unknown country: undefined). */
  jurisdictions: readonly string[];
  allowance?: Allowance;
  /** A Chapter V safeguard declared for this destination. */
  safeguard?: string;
  tracker?: TrackerInfo;
}

export interface FlowContextOptions {
  declarations: ReadonlyMap<string, FlowDeclaration>;
  trackers: TrackerList;
  geoip?: GeoIp;
  /** Address → DNS name, from a DNS log. */
  dnsNames?: ReadonlyMap<string, string>;
  localNets?: readonly string[];
  maxEntries?: number;
  /** Rows of the observation ledger (0 disables it). */
  ledgerRows?: number;
  jurisdictions?: Jurisdictions;
}

interface Policy {
  decl: FlowDeclaration;
  all: DeclarationMatcher;
  mud: DeclarationMatcher | undefined;
  /** Destinations declared by hand (not only imported from MUD). */
  declaredByHand: boolean;
}

const TCP = hashString("tcp");
const UDP = hashString("udp");
const TRACKER_PURPOSE: Record<string, Purpose> = { advertising: "advertising", analytics: "analytics", diagnostics: "diagnostics" };

export class FlowContext {
  readonly entries: Classification[] = [];
  readonly ledger: FlowLedger | undefined;
  readonly stats = { classified: 0, cached: 0, uncached: 0, unknownCountry: 0, alreadyCounted: 0 };
  /** Per input (record source): the highest line counted in the ledger this run. */
  readonly linesCounted: number[] = [];
  /** Per input: lines up to this were counted by an earlier run (flow_inputs), so the ledger skips them. */
  private skipThrough: readonly number[] = [];
  private owner: object | undefined;
  private readonly policies = new Map<string, Policy | null>();
  private readonly cache = new Map<number, Map<number, { c: Classification; host: Uint8Array | number }>>();
  private readonly local: LocalNets;
  private readonly maxEntries: number;
  private readonly j: Jurisdictions;
  private lastSource = -1;
  private lastLine = -1;

  constructor(private readonly o: FlowContextOptions) {
    this.local = new LocalNets(o.localNets);
    this.maxEntries = o.maxEntries ?? 200_000;
    this.ledger = o.ledgerRows === 0 ? undefined : new FlowLedger(o.ledgerRows);
    this.j = o.jurisdictions ?? loadJurisdictions();
  }

  get jurisdictions(): Jurisdictions {
    return this.j;
  }

  /** The model's compiled declaration, or undefined when it declares nothing. */
  policy(modelId: string | undefined): Policy | undefined {
    if (modelId === undefined) return undefined;
    let p = this.policies.get(modelId);
    if (p === undefined) {
      const decl = this.o.declarations.get(modelId);
      const hasMud = decl?.destinations.some((d) => d.source === "mud") ?? false;
      p = decl ? { decl, all: new DeclarationMatcher(decl), mud: hasMud || decl.mud ? new DeclarationMatcher(decl, "mud") : undefined, declaredByHand: decl.destinations.some((d) => d.source !== "mud") } : null;
      this.policies.set(modelId, p);
    }
    return p ?? undefined;
  }

  /** The classification of a flow record (its device and direction resolved). `model` is the engine's model number. */
  classify(rec: Rec, model: number, modelId: string | undefined): Classification {
    const dns = rec.hash[F.dns_name]!;
    const hostHash = (dns !== 0 ? dns : rec.hash[rec.remoteIp]!) >>> 0;
    const port = rec.num[rec.remotePort]!;
    const ph = rec.hash[F.proto]!;
    const protoBits = ph === 0 ? 0 : ph === TCP ? 1 : ph === UDP ? 2 : 3;
    const key = hostHash * 2 ** 20 + ((port === port ? port : 65536) & 0x1ffff) * 8 + protoBits * 2 + (rec.outbound ? 1 : 0);
    let byModel = this.cache.get(model);
    const hit = byModel?.get(key);
    if (hit && sameHost(rec, hit.host) && (protoBits !== 3 || hit.c.proto === rec.text(F.proto)?.toLowerCase())) {
      this.stats.cached++;
      return hit.c;
    }
    this.stats.classified++;
    const c = this.compute(rec, modelId);
    if (this.entries.length >= this.maxEntries) {
      this.stats.uncached++;
      return c;
    }
    c.id = this.entries.length;
    this.entries.push(c);
    if (!byModel) this.cache.set(model, (byModel = new Map()));
    byModel.set(key, { c, host: hostOf(rec) });
    return c;
  }

  /**
   * Called by each detector that uses the context when its engine builds it. A replay that has to sort its inputs
   * starts again on a fresh engine with the same reference data: the ledger then starts again too, or the records
   * seen before the restart would be counted twice.
   */
  bind(owner: object): void {
    if (owner === this.owner) return;
    this.owner = owner;
    this.ledger?.clear();
    this.linesCounted.length = 0;
    this.lastSource = -1;
    this.lastLine = -1;
  }

  /** Lines of each input (by record source) that an earlier run counted already. */
  skipCounted(throughLine: readonly number[]): void {
    this.skipThrough = throughLine;
  }

  /** Counts the record in the ledger once, however many detectors look at it. */
  observe(rec: Rec, c: Classification): void {
    if (!this.ledger || c.id < 0 || (rec.source === this.lastSource && rec.line === this.lastLine)) return;
    this.lastSource = rec.source;
    this.lastLine = rec.line;
    if (rec.line <= (this.skipThrough[rec.source] ?? 0)) {
      this.stats.alreadyCounted++;
      return;
    }
    if (rec.line > (this.linesCounted[rec.source] ?? 0)) this.linesCounted[rec.source] = rec.line;
    const sent = rec.num[rec.outbound ? F.bytes_out : F.bytes_in]!;
    const got = rec.num[rec.outbound ? F.bytes_in : F.bytes_out]!;
    this.ledger.add(rec.device, c.id, rec.ts, sent === sent ? sent : 0, got === got ? got : 0);
  }

  /** Bytes held outside the columns. */
  bytes(): number {
    return this.entries.length * 400 + (this.ledger?.bytes() ?? 0);
  }

  private compute(rec: Rec, modelId: string | undefined): Classification {
    const address = rec.text(rec.remoteIp) ?? "?";
    const recName = rec.text(F.dns_name)?.toLowerCase().replace(/\.$/, "");
    const logName = recName === undefined ? this.o.dnsNames?.get(address) : undefined;
    const name = recName ?? logName;
    const port = rec.num[rec.remotePort]!;
    const proto = rec.text(F.proto)?.toLowerCase();
    const v4 = rec.num[rec.remoteIp]!;
    const local = v4 >= 0 ? this.local.hasV4(v4) : this.local.hasV6(address);
    const q = { ip: address, outbound: rec.outbound, local, ...(name !== undefined ? { name } : {}), ...(port === port ? { port } : {}), ...(proto !== undefined ? { proto } : {}) };
    const p = this.policy(modelId);
    const c: Classification = {
      id: -1,
      model: modelId,
      name: name ?? address,
      nameSource: recName !== undefined ? "record" : logName !== undefined ? "dns-log" : "address",
      address,
      outbound: rec.outbound,
      local,
      declared: -1,
      party: "third",
      categories: p?.decl.personal_data ?? [],
      zone: local ? "local" : "unknown",
      jurisdictions: p?.decl.jurisdictions ?? ["EEA", "adequacy"],
    };
    if (port === port) c.port = port;
    if (proto !== undefined) c.proto = proto;
    if (p) {
      const m = p.all.match(q);
      if (m.index >= 0) {
        c.declared = m.index;
        const d = p.decl.destinations[m.index]!;
        c.destination = d;
        if (d.data) c.categories = d.data;
        if (d.jurisdictions) c.jurisdictions = d.jurisdictions;
        if (d.purpose) c.purpose = d.purpose;
        if (d.owner) c.owner = d.owner;
        if (d.safeguard) c.safeguard = d.safeguard;
      } else if (m.why !== undefined) c.declaredWhy = m.why;
      if (p.mud) {
        const mm = p.mud.match(q);
        c.mudAllowed = mm.index >= 0;
        if (mm.index < 0 && mm.why !== undefined) c.mudWhy = mm.why;
      }
    }
    const tracker = name !== undefined ? this.o.trackers.lookup(name) : undefined;
    if (tracker) {
      c.tracker = tracker;
      c.owner ??= tracker.owner;
      const purpose = TRACKER_PURPOSE[tracker.category];
      if (c.purpose === undefined && purpose !== undefined) c.purpose = purpose;
    }
    c.party = partyOf(c, p?.decl, name, tracker);
    if (!local) {
      const country = this.o.geoip?.country(address);
      if (country !== undefined) {
        c.country = country;
        // Judged at the destination's first flow in the run: decisions are adopted and end years apart.
        c.zone = zoneOf(this.j, country, rec.ts);
        c.allowance = allowedIn(this.j, country, c.jurisdictions, rec.ts);
      } else this.stats.unknownCountry++;
    }
    return c;
  }
}

/** Declared party first; then the maker's domains; a tracker is a tracker even when declared; declared = support. */
function partyOf(c: Classification, decl: FlowDeclaration | undefined, name: string | undefined, tracker: TrackerInfo | undefined): Party {
  if (c.destination?.party) return c.destination.party;
  if (tracker) return "tracker";
  if (c.local) return "first";
  const mine = decl?.first_party_domains ?? [];
  if (name !== undefined && mine.some((d) => name === d || name.endsWith(`.${d}`))) return "first";
  if (c.destination?.class === "same-manufacturer" || c.destination?.class === "my-controller") return "first";
  return c.declared >= 0 ? "support" : "third";
}

function hostOf(rec: Rec): Uint8Array | number {
  if (rec.has(F.dns_name)) return rec.fieldBuf(F.dns_name).slice(rec.fieldStart(F.dns_name), rec.fieldEnd(F.dns_name));
  const v4 = rec.num[rec.remoteIp]!;
  return v4 >= 0 ? v4 : rec.fieldBuf(rec.remoteIp).slice(rec.fieldStart(rec.remoteIp), rec.fieldEnd(rec.remoteIp));
}

function sameHost(rec: Rec, host: Uint8Array | number): boolean {
  if (typeof host === "number") return !rec.has(F.dns_name) && rec.num[rec.remoteIp] === host;
  const f = rec.has(F.dns_name) ? F.dns_name : rec.remoteIp;
  if (f === rec.remoteIp && rec.num[f]! >= 0) return false;
  const b = rec.fieldBuf(f);
  const s = rec.fieldStart(f);
  const n = rec.fieldEnd(f) - s;
  if (n !== host.length) return false;
  for (let i = 0; i < n; i++) if (b[s + i] !== host[i]) return false;
  return true;
}

/** Plain words for where a classified flow goes, for alert text. */
export function destinationText(c: Classification): string {
  const port = c.port !== undefined ? `:${c.port}` : "";
  const via = c.nameSource === "dns-log" ? ` (${c.address}, named from the DNS log)` : c.nameSource === "record" && c.address !== c.name ? ` (${c.address})` : "";
  return `${c.name}${port}${via}`;
}

export function declaredText(c: Classification): string {
  return c.destination ? `declared as ${c.destination.name ?? describe(c.destination)}` : "not declared";
}
