/**
 * Shared by the data-flow detectors (undeclared-flow, data-residency, location-to-third-party, mud-violation): the
 * flow context the engine was given (declarations, classifier, ledger), the classification of a flow the device
 * opened, and which devices produce location data (cellular location events, fixes with lat/lon, position metrics —
 * personal data by default, GDPR Art. 4(1)). Without a flow context these detectors register no work at all.
 */
import type { DataCategory } from "../../core/flows.ts";
import type { Classification, FlowContext } from "../../flows/classify.ts";
import type { Columns } from "../columns.ts";
import type { FleetView } from "../fleet.ts";
import { hashString } from "../read/bytes.ts";
import { EV, F, KIND } from "../read/fields.ts";
import type { Rec } from "../read/rec.ts";
import { established } from "./destinations.ts";

const POSITION_METRICS = new Set(["lat", "lon", "lng", "latitude", "longitude", "gps", "gps_lat", "gps_lon", "position", "position_lat", "position_lon", "location", "geo_lat", "geo_lon"].map(hashString));

export function flowContextOf(fleet: FleetView): FlowContext | undefined {
  const fc = fleet.reference().flows;
  fc?.bind(fleet);
  return fc;
}

/** Classifies an established flow and counts it in the ledger; undefined for flows the detectors do not judge. */
export function classifyFlow(rec: Rec, fleet: FleetView, fc: FlowContext, inbound = false): Classification | undefined {
  if ((!rec.outbound && !inbound) || !established(rec)) return undefined;
  const model = fleet.model(rec.device);
  const c = fc.classify(rec, model, fleet.modelName(model));
  if (rec.outbound) fc.observe(rec, c);
  return c;
}

/** A per-device bit: the device has sent location data (its connectivity events or metrics carry a position). */
export class LocationProducers {
  private readonly col;
  constructor(columns: Columns, name: string) {
    this.col = columns.u8(`${name}.location`);
  }

  /** For connectivity and metric records. */
  note(rec: Rec): void {
    if (this.col.a[rec.device] === 1) return;
    if (rec.kind === KIND.connectivity ? rec.event === EV.location_update || rec.has(F.lat) || rec.has(F.lon) : rec.kind === KIND.metric && POSITION_METRICS.has(rec.hash[F.metric]!)) this.col.a[rec.device] = 1;
  }

  has(device: number): boolean {
    return this.col.a[device] === 1;
  }
}

/** What a flow may carry: the declared categories, plus location for an undeclared flow of a device that produces it. */
export function carried(c: Classification, producesLocation: boolean): { categories: DataCategory[]; inferred: boolean } {
  const categories = [...c.categories];
  let inferred = false;
  if (c.declared < 0 && producesLocation && !categories.includes("location")) {
    categories.push("location");
    inferred = true;
  }
  return { categories, inferred };
}

export function isPersonal(categories: readonly DataCategory[]): boolean {
  return categories.includes("personal") || categories.includes("location");
}

export function partyText(c: Classification): string {
  const who = c.owner !== undefined ? ` (${c.owner})` : "";
  if (c.party === "tracker") return `a tracker${who}`;
  if (c.party === "third") return `a third party${who}`;
  if (c.party === "support") return `a service provider${who}`;
  return `the maker${who}`;
}

export function countryText(c: Classification): string {
  if (c.local) return "inside the local network";
  return c.country !== undefined ? `in ${c.country}` : "in an unknown country (no GeoIP database given)";
}

/** Raises at most once an hour per device and destination entry: a chatty flow must not cost an alert lookup per record. */
export class HourlyGate {
  private readonly entry;
  private readonly hour;
  constructor(columns: Columns, name: string) {
    this.entry = columns.i32(`${name}.gate.entry`, 1, -1);
    this.hour = columns.u16(`${name}.gate.hour`);
  }

  pass(device: number, entry: number, ts: number): boolean {
    const h = Math.floor(ts / 3_600_000) & 0xffff;
    if (entry >= 0 && this.entry.a[device] === entry && this.hour.a[device] === h) return false;
    this.entry.a[device] = entry;
    this.hour.a[device] = h;
    return true;
  }
}
