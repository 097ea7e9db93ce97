/**
 * `intel export`: what the fleet saw, as a STIX 2.1 bundle others can use — the producer identity, the TLP marking,
 * an indicator per malicious or anomalous remote endpoint (from detectors that declare `intel`), a sighting per
 * indicator that gives how many devices saw it (never which), sightings of imported indicators (watchlist-hit),
 * attack patterns with the ATT&CK ids of the detectors involved, and a report that ties them together. Alerts people
 * marked false or benign positive are left out. Ids and timestamps come from the data, so the same alerts give a
 * byte-identical bundle.
 */
import { isIPv4, isIPv6 } from "../core/coerce.ts";
import type { Alert } from "../core/record.ts";
import type { DetectorMeta } from "../detect/detector.ts";
import { ATTACK_SOURCE_NAME, attackTechniques, stixId, stixTime, tlpMarking, type TlpLevel, type TlpVersion } from "./stix.ts";

export interface IntelExportOptions {
  alerts: readonly Alert[];
  detectors: readonly DetectorMeta[];
  producer: string;
  tlp: TlpLevel;
  /** 2 (default): the TLP 2.0 markings of the OASIS extension; 1: the STIX 2.1 specification's TLP 1.0 ones. */
  tlpVersion?: TlpVersion;
  /** Only alerts at least this confident. */
  minConfidence?: number;
  /**
   * Posture to share as well (opt-in, `--exposure`): per audit rule whose metadata cites ATT&CK ids, how many devices
   * have an open finding of it. Each id becomes an attack pattern the report refers to, with the device count in the
   * report's description — never which devices.
   */
  exposure?: { /** When the posture was seen (the scan's end), epoch ms. */ at: number; rules: readonly { rule: { id: string; title: string; attack?: readonly string[] }; devices: number }[] };
}

export interface IntelExport {
  bundle: { type: "bundle"; id: string; objects: Record<string, unknown>[] };
  indicators: number;
  sightings: number;
  skipped: { alert: string; why: string }[];
}

interface Group {
  pattern: string;
  value: string;
  detectors: Set<string>;
  types: Set<string>;
  devices: Set<string>;
  first: number;
  last: number;
  confidence: number;
  sightingOf?: string;
}

export function patternFor(value: string): string | undefined {
  const v = value.replace(/'/g, "\\'");
  if (isIPv4(value)) return `[ipv4-addr:value = '${v}']`;
  if (isIPv6(value)) return `[ipv6-addr:value = '${v}']`;
  if (/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i.test(value)) return `[domain-name:value = '${v.toLowerCase()}']`;
  return undefined;
}

function attackPattern(t: string, name: string, common: Record<string, unknown>): Record<string, unknown> {
  return { type: "attack-pattern", ...common, id: stixId("attack-pattern", { external_id: t }), created: "1970-01-01T00:00:00.000Z", modified: "1970-01-01T00:00:00.000Z", name, external_references: [{ source_name: ATTACK_SOURCE_NAME, external_id: t, url: `https://attack.mitre.org/techniques/${t.replace(".", "/")}/` }] };
}

export function exportIntel(o: IntelExportOptions): IntelExport {
  const meta = new Map<string, DetectorMeta>(o.detectors.map((d) => [d.id, d]));
  const producer = { type: "identity", spec_version: "2.1", id: stixId("identity", { name: o.producer }), created: "1970-01-01T00:00:00.000Z", modified: "1970-01-01T00:00:00.000Z", name: o.producer, identity_class: "organization", description: "Operator of an IoT fleet monitored with Longwatch." };
  const marking = tlpMarking(o.tlp, o.tlpVersion ?? 2);
  const common = { spec_version: "2.1", created_by_ref: producer.id, object_marking_refs: [String(marking.id)] };
  const groups = new Map<string, Group>();
  const skipped: IntelExport["skipped"] = [];
  for (const a of o.alerts) {
    const m = meta.get(a.detector);
    if (!m?.intel) continue;
    if (a.verification === "false_positive" || a.verification === "benign_positive") {
      skipped.push({ alert: a.id, why: `marked ${a.verification}` });
      continue;
    }
    if (a.confidence < (o.minConfidence ?? 0)) {
      skipped.push({ alert: a.id, why: `confidence ${a.confidence} below ${o.minConfidence}` });
      continue;
    }
    const value = a.evidence[m.intel.endpoint];
    const pattern = typeof value === "string" ? patternFor(value) : undefined;
    if (!pattern || typeof value !== "string") {
      skipped.push({ alert: a.id, why: `no address or domain in evidence.${m.intel.endpoint}` });
      continue;
    }
    const imported = a.detector === "watchlist-hit" && typeof a.evidence.indicator === "string" ? a.evidence.indicator : undefined;
    const key = imported ?? pattern;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { pattern, value, detectors: new Set(), types: new Set(), devices: new Set(), first: Infinity, last: -Infinity, confidence: 0, ...(imported ? { sightingOf: imported } : {}) }));
    g.detectors.add(a.detector);
    for (const t of m.intel.indicator_types) g.types.add(t);
    g.devices.add(a.device_id);
    g.first = Math.min(g.first, Date.parse(a.first_seen));
    g.last = Math.max(g.last, Date.parse(a.last_seen));
    g.confidence = Math.max(g.confidence, a.confidence);
  }
  const techniques = attackTechniques();
  const objects: Record<string, unknown>[] = [];
  const patterns = new Map<string, Record<string, unknown>>();
  const relationships: Record<string, unknown>[] = [];
  let indicators = 0;
  const sightings: Record<string, unknown>[] = [];
  for (const g of [...groups.values()].sort((a, b) => a.pattern.localeCompare(b.pattern) || (a.sightingOf ?? "").localeCompare(b.sightingOf ?? ""))) {
    const first = stixTime(g.first);
    const last = stixTime(g.last);
    const titles = [...g.detectors].sort().map((d) => meta.get(d)!.title);
    let target = g.sightingOf;
    if (!target) {
      const ind = {
        type: "indicator",
        ...common,
        id: stixId("indicator", { producer: producer.id, pattern: g.pattern }),
        created: first,
        modified: last,
        name: `${g.value}: seen by Longwatch (${[...g.detectors].sort().join(", ")})`,
        description: `Remote endpoint in alerts of: ${titles.join("; ")}.`,
        indicator_types: [...g.types].sort(),
        pattern: g.pattern,
        pattern_type: "stix",
        pattern_version: "2.1",
        valid_from: first,
        confidence: Math.round(g.confidence * 100),
      };
      objects.push(ind);
      indicators++;
      target = ind.id;
      for (const d of [...g.detectors].sort()) {
        for (const t of meta.get(d)!.attack ?? []) {
          const tech = techniques.get(t);
          if (!tech) continue;
          let ap = patterns.get(t);
          if (!ap) patterns.set(t, (ap = attackPattern(t, tech.name, common)));
          relationships.push({ type: "relationship", ...common, id: stixId("relationship", { s: ind.id, r: "indicates", t: ap.id }), created: first, modified: last, relationship_type: "indicates", source_ref: ind.id, target_ref: ap.id });
        }
      }
    }
    sightings.push({
      type: "sighting",
      ...common,
      id: stixId("sighting", { producer: producer.id, of: target }),
      created: first,
      modified: last,
      description: `Seen on ${g.devices.size} device${g.devices.size === 1 ? "" : "s"} of the fleet (count is devices, not flows).`,
      first_seen: first,
      last_seen: last,
      count: Math.min(g.devices.size, 999_999_999),
      sighting_of_ref: target,
      where_sighted_refs: [producer.id],
    });
  }
  const exposed: string[] = [];
  for (const e of [...(o.exposure?.rules ?? [])].sort((a, b) => a.rule.id.localeCompare(b.rule.id))) {
    const ids = (e.rule.attack ?? []).filter((t) => techniques.has(t));
    if (e.devices <= 0 || ids.length === 0) continue;
    for (const t of ids) if (!patterns.has(t)) patterns.set(t, attackPattern(t, techniques.get(t)!.name, common));
    exposed.push(`${e.devices} device${e.devices === 1 ? "" : "s"} open to ${ids.join(", ")} (audit rule ${e.rule.id}: ${e.rule.title})`);
  }
  objects.push(...[...patterns.values()].sort((a, b) => String(a.id).localeCompare(String(b.id))), ...relationships, ...sightings);
  const refs = objects.map((x) => String(x.id)).sort();
  const all: Record<string, unknown>[] = [producer, marking];
  if (refs.length) {
    const times = [...groups.values()];
    if (exposed.length) times.push({ first: o.exposure!.at, last: o.exposure!.at } as Group);
    const last = Math.max(...times.map((g) => g.last));
    const posture = exposed.length ? ` Posture from the latest audit scan: ${exposed.join("; ")}.` : "";
    all.push({
      type: "report",
      ...common,
      id: stixId("report", { producer: producer.id, refs }),
      created: stixTime(Math.min(...times.map((g) => g.first))),
      modified: stixTime(last),
      name: `IoT fleet sightings from ${o.producer}`,
      description: `${indicators} indicator(s) and ${sightings.length} sighting(s) from behaviour detection on an IoT fleet.${posture} Counts are numbers of devices; no device identifiers are included.`,
      report_types: ["threat-report"],
      published: stixTime(last),
      object_refs: refs,
    });
  }
  all.push(...objects);
  return { bundle: { type: "bundle", id: stixId("bundle", { refs: all.map((x) => String(x.id)).sort() }), objects: all }, indicators, sightings: sightings.length, skipped };
}
