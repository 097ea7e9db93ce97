/**
 * impossible-travel: two locations of one SIM further apart than anything could travel in the time between them —
 * the SIM (or its identity) is in two places, i.e. cloned or moved. Needs positions: `lat`/`lon` on connectivity
 * records (providers give the serving cell's or the network's location). 8 bytes per device: last position and time.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import { fmtDuration } from "./text.ts";

const params = z.object({
  max_kmh: z.number().positive().default(900).describe("Fastest plausible travel (an airliner)."),
  min_km: z.number().nonnegative().default(300).describe("Distances below this are never impossible (cell positions are coarse)."),
});

export const impossibleTravel = defineDetector({
  id: "impossible-travel",
  title: "SIM in two places too far apart for the time between them",
  severity: "high",
  kinds: ["connectivity"],
  warmup: "None: needs two positioned records.",
  why: "Nothing travels faster than an airliner. A SIM seen in two places that far apart that quickly is two SIMs with one identity (a clone) or a spoofed location — both mean someone is abusing your device's identity.",
  summary: "{device} was at {from} and then {km} km away at {to} only {elapsed} later ({kmh} km/h; at most {max} km/h is possible).",
  action: "Suspend the SIM and contact your provider: a cloned SIM or a forged location report needs their investigation. Check the device on site.",
  attack: ["T1451"],
  params,
  create(ctx) {
    const p = ctx.params;
    const c = ctx.columns;
    // Positions in hundredths of a degree (about 1 km), 0x7fff meaning none yet: cell positions are no finer anyway.
    const latQ = c.i16("travel.lat", 1, NONE);
    const lonQ = c.i16("travel.lon", 1, NONE);
    const at = c.u32("travel.at");

    return {
      record(rec) {
        const la = rec.num[F.lat]!;
        const lo = rec.num[F.lon]!;
        if (la !== la || lo !== lo) return;
        const d = rec.device;
        const pla = latQ.a[d] === NONE ? NaN : latQ.a[d]! / 100;
        const plo = lonQ.a[d]! / 100;
        const t = rec.ts / 1000;
        const prev = at.a[d]!;
        latQ.a[d] = Math.round(la * 100);
        lonQ.a[d] = Math.round(lo * 100);
        at.a[d] = Math.floor(t);
        if (pla !== pla || t < prev) return;
        const km = haversineKm(pla, plo, la, lo);
        if (km < p.min_km) return;
        const hours = Math.max(t - prev, 1) / 3600;
        const kmh = km / hours;
        if (kmh <= p.max_kmh) return;
        ctx.raise({
          device: d,
          key: "travel",
          ts: rec.ts,
          confidence: Math.min(0.95, 0.6 + 0.1 * Math.log10(kmh / p.max_kmh + 1) * 3),
          evidence: { from: { lat: round(pla), lon: round(plo), at: new Date(prev * 1000).toISOString() }, to: { lat: la, lon: lo }, km: Math.round(km), hours: round(hours), kmh: Math.round(kmh), max_kmh: p.max_kmh },
          vars: { from: `${round(pla)},${round(plo)}`, to: `${la},${lo}`, km: Math.round(km), elapsed: fmtDuration(hours * 3_600_000), kmh: Math.round(kmh), max: p.max_kmh },
          rec,
        });
      },
    };
  },
});

const NONE = 0x7fff;

function haversineKm(a1: number, o1: number, a2: number, o2: number): number {
  const r = Math.PI / 180;
  const dLat = (a2 - a1) * r;
  const dLon = (o2 - o1) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a1 * r) * Math.cos(a2 * r) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
