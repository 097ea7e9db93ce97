/**
 * The privacy report of one model: every destination its devices used in a period — purpose, party, country, what
 * data, declared or not, devices and volume per day — set against the declaration (including declared destinations
 * never seen), and what changed since the last saved report (new or vanished destinations, a new country or party).
 * Pure: the caller reads the store and saves the result.
 */
import type { FlowDeclaration } from "../core/flows.ts";
import type { DestinationDay } from "../store/flows.ts";
import { describe } from "./match.ts";

export const PRIVACY_REPORT_SCHEMA = "longwatch-privacy-report/1";

export interface ReportDestination {
  destination: string;
  port?: number;
  protocol?: string;
  purpose?: string;
  party: string;
  owner?: string;
  country?: string;
  categories: string[];
  declared: boolean;
  local: boolean;
  devices: number;
  flows: number;
  bytes_out: number;
  bytes_in: number;
  days: { day: string; devices: number; flows: number; bytes_out: number; bytes_in: number }[];
}

export interface PrivacyReport {
  schema: string;
  model_id: string;
  generated_at: string;
  period: { since: string; until: string };
  devices: number;
  declaration: { declared_destinations: number; mud_url?: string; jurisdictions: string[]; personal_data: string[] } | null;
  destinations: ReportDestination[];
  /** Declared destinations no device used in the period. */
  unused_declared: string[];
  totals: { destinations: number; undeclared: number; third_party_or_tracker: number; personal: number; bytes_out: number };
  changes: {
    previous?: string;
    new_destinations: string[];
    gone_destinations: string[];
    changed: { destination: string; what: string }[];
    /** Countries that receive the model's data now and did not in the previous report. */
    new_countries: string[];
    /** New destinations that are third parties or trackers. */
    new_third_parties: string[];
    /** Destinations in both reports whose data sent per active day went up or down by a factor of 2 or more. */
    volume: { destination: string; before_per_day: number; now_per_day: number }[];
  } | null;
  notes: string[];
}

const keyOf = (d: { destination: string; port?: number; protocol?: string }) => `${d.destination}:${d.port ?? ""}/${d.protocol ?? ""}`;

export function buildPrivacyReport(input: { modelId: string; days: readonly DestinationDay[]; devices: number; declaration?: FlowDeclaration; since: string; until: string; now: number; previous?: { created_at: string; doc: unknown } }): PrivacyReport {
  const byDest = new Map<string, ReportDestination>();
  for (const d of input.days) {
    const k = keyOf(d);
    let r = byDest.get(k);
    if (!r) {
      r = { destination: d.destination, party: d.party, categories: d.categories, declared: d.declared, local: d.local, devices: 0, flows: 0, bytes_out: 0, bytes_in: 0, days: [] };
      for (const f of ["port", "protocol", "purpose", "owner", "country"] as const) if (d[f] !== undefined) (r as unknown as Record<string, unknown>)[f] = d[f];
      byDest.set(k, r);
    }
    r.devices = Math.max(r.devices, d.devices);
    r.flows += d.flows;
    r.bytes_out += d.bytes_out;
    r.bytes_in += d.bytes_in;
    r.days.push({ day: d.day, devices: d.devices, flows: d.flows, bytes_out: d.bytes_out, bytes_in: d.bytes_in });
  }
  const destinations = [...byDest.values()].sort((a, b) => Number(a.declared) - Number(b.declared) || b.bytes_out - a.bytes_out || a.destination.localeCompare(b.destination));
  const decl = input.declaration;
  const seenNames = new Set(destinations.map((d) => d.destination));
  const unused = decl ? decl.destinations.filter((d) => d.host !== undefined && !seenNames.has(d.host)).map((d) => d.name ?? describe(d)) : [];
  const report: PrivacyReport = {
    schema: PRIVACY_REPORT_SCHEMA,
    model_id: input.modelId,
    generated_at: new Date(input.now).toISOString(),
    period: { since: input.since, until: input.until },
    devices: input.devices,
    declaration: decl ? { declared_destinations: decl.destinations.length, jurisdictions: decl.jurisdictions, personal_data: decl.personal_data, ...(decl.mud_url !== undefined ? { mud_url: decl.mud_url } : {}) } : null,
    destinations,
    unused_declared: unused,
    totals: {
      destinations: destinations.length,
      undeclared: destinations.filter((d) => !d.declared).length,
      third_party_or_tracker: destinations.filter((d) => d.party === "third" || d.party === "tracker").length,
      personal: destinations.filter((d) => d.categories.includes("personal") || d.categories.includes("location")).length,
      bytes_out: destinations.reduce((s, d) => s + d.bytes_out, 0),
    },
    changes: null,
    notes: [],
  };
  if (!decl) report.notes.push(`Model ${input.modelId} declares no flows, so nothing is judged against a declaration: write its flows.yaml (docs/privacy.md) or import its MUD file.`);
  if (destinations.some((d) => d.country === undefined && !d.local)) report.notes.push("Some destinations have no country: run detection with --geoip FILE.mmdb to place them.");
  if (input.previous) {
    const prev = input.previous.doc as Partial<PrivacyReport>;
    const before = new Map((prev.destinations ?? []).map((d) => [keyOf(d), d]));
    const now = new Map(destinations.map((d) => [keyOf(d), d]));
    const perDay = (d: Pick<ReportDestination, "bytes_out" | "days">) => (d.days?.length ? d.bytes_out / d.days.length : undefined);
    const countriesBefore = new Set((prev.destinations ?? []).flatMap((d) => (d.country !== undefined ? [d.country] : [])));
    const fresh = [...now.keys()].filter((k) => !before.has(k));
    report.changes = {
      previous: input.previous.created_at,
      new_destinations: fresh,
      gone_destinations: [...before.keys()].filter((k) => !now.has(k)),
      changed: [...now].flatMap(([k, d]) => {
        const b = before.get(k);
        if (!b) return [];
        const what: string[] = [];
        if (b.country !== d.country) what.push(`country ${b.country ?? "unknown"} → ${d.country ?? "unknown"}`);
        if (b.party !== d.party) what.push(`party ${b.party} → ${d.party}`);
        if (b.declared !== d.declared) what.push(d.declared ? "now declared" : "no longer declared");
        const added = d.categories.filter((c) => !(b.categories ?? []).includes(c));
        if (added.length) what.push(`now carries ${added.join(", ")}`);
        return what.length ? [{ destination: k, what: what.join(", ") }] : [];
      }),
      new_countries: [...new Set(destinations.flatMap((d) => (d.country !== undefined && !countriesBefore.has(d.country) ? [d.country] : [])))].sort(),
      new_third_parties: fresh.filter((k) => now.get(k)!.party === "third" || now.get(k)!.party === "tracker"),
      volume: [...now].flatMap(([k, d]) => {
        const b = before.get(k);
        if (!b) return [];
        const was = perDay(b);
        const is = perDay(d);
        // Factor 2 either way, and not for trickles (under 1 kB a day on both sides); unknown for older saved reports.
        if (was === undefined || is === undefined || Math.max(was, is) < 1000 || (is < 2 * was && was < 2 * is)) return [];
        return [{ destination: k, before_per_day: Math.round(was), now_per_day: Math.round(is) }];
      }),
    };
  }
  return report;
}
