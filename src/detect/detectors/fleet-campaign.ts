/**
 * fleet-campaign: many devices of one model reaching the same destination — one their model had never used — within
 * a short window. One infected device is an incident; the same new destination across a model is a campaign (a
 * worm, a compromised update server, a backdoor in the firmware). Per model: the destinations it used (capped map);
 * per new destination: the devices seen reaching it (up to the threshold), held only for the window.
 *
 * Split for scale-out (detector.ts DetectorSplit): the device part keeps each device's previous destination and
 * passes on only flows whose destination differs from it (a device repeating its destination tells the model
 * nothing new); the fleet part holds the model sets and the trackers.
 */
import { z } from "zod";
import { defineSplitDetector } from "../detector.ts";
import { established, hostKey, hostText } from "./destinations.ts";
import { ModelSets } from "./model-sets.ts";
import { fmtDuration } from "./text.ts";

const params = z.object({
  min_devices: z.number().int().min(2).default(5).describe("Devices of one model reaching the same new destination."),
  window_minutes: z.number().positive().default(60),
  warmup_hours: z.number().positive().default(6).describe("Hours of a model's traffic learned before a destination counts as new for it."),
  max_tracked: z.number().int().positive().default(10_000).describe("New destinations followed at once (beyond, new ones are counted as dropped)."),
});

interface Tracker {
  first: number;
  dest: string;
  model: number;
  devices: Set<number>;
  alerted: boolean;
}

export const fleetCampaign = defineSplitDetector({
  id: "fleet-campaign",
  title: "Many devices of one model reach the same new destination",
  severity: "critical",
  kinds: ["flow"],
  warmup: "6 hours of the model's traffic (warmup_hours).",
  why: "When many devices of the same model start talking to the same never-seen destination at once, something fleet-wide changed: a worm spreading through a shared weakness, a hijacked update or cloud endpoint, or a backdoor waking up. It may also be a legitimate rollout — which you should know about too.",
  summary: "{devices} devices of model {model} reached {dest} within {window}; no device of this model had used it before.",
  action: "Find out whether a firmware or configuration rollout explains it (then mark the alert benign). If not, block {dest} for the whole model at once, and look at what the first device did before ({first_device}).",
  attack: ["T1071", "T0869"],
  fleetWide: "the destinations each device model used, and which devices of a model reached a new one.",
  intel: { endpoint: "destination", indicator_types: ["anomalous-activity"] },
  params,
  split: {
    device(ctx) {
      // Each device's previous destination: most flows repeat it, and then there is nothing new to look up.
      const lastHost = ctx.columns.i32("campaign.last");
      return {
        record(rec) {
          if (!rec.outbound || !established(rec)) return -1;
          const h = hostKey(rec);
          if (lastHost.a[rec.device] === h) return -1;
          lastHost.a[rec.device] = h;
          return 0;
        },
      };
    },
    fleet(ctx) {
      const p = ctx.params;
      const winMs = p.window_minutes * 60_000;
      const warm = p.warmup_hours * 3_600_000;
      const models = new ModelSets();
      const trackers = new Map<string, Tracker>();
      let dropped = 0;
      return {
        fact(rec) {
          const d = rec.device;
          const h = hostKey(rec);
          const model = ctx.fleet.model(d);
          const since = models.seen(model, rec.ts);
          const first = models.firstUse(model, h);
          models.add(model, h, rec.ts);
          if (first !== undefined && first < since + warm) return; // learned while the model was warming up
          if (first === undefined && rec.ts - since < warm) return;
          const key = `${model}:${h}`;
          let t = trackers.get(key);
          if (t === undefined) {
            if (first !== undefined && rec.ts - first > winMs) return; // seen before, long enough ago to be known now
            if (trackers.size >= p.max_tracked) {
              dropped++;
              return;
            }
            t = { first: rec.ts, dest: hostText(rec), model, devices: new Set(), alerted: false };
            trackers.set(key, t);
          }
          if (rec.ts - t.first > winMs || t.alerted || t.devices.has(d)) return;
          t.devices.add(d);
          if (t.devices.size < p.min_devices) return;
          t.alerted = true;
          const modelName = ctx.fleet.modelName(model) ?? "(unknown)";
          const names = [...t.devices].slice(0, 50).map((x) => ctx.fleet.name(x));
          ctx.raise({
            device: d,
            subject: `model:${modelName}`,
            key: `dest:${t.dest}`,
            ts: rec.ts,
            confidence: Math.min(0.95, 0.6 + 0.05 * t.devices.size),
            evidence: { destination: t.dest, model: modelName, devices: names, device_count: t.devices.size, first_seen: new Date(t.first).toISOString(), window_minutes: p.window_minutes },
            vars: { devices: t.devices.size, model: modelName, dest: t.dest, window: fmtDuration(rec.ts - t.first), first_device: names[0] ?? "" },
            rec,
          });
        },
        tick(now) {
          for (const [k, t] of trackers) if (now - t.first > winMs) trackers.delete(k);
        },
        // The destinations being followed go with the state: a restart in the middle of a campaign still sees it.
        save: () => ({ models: models.save(), dropped, trackers: [...trackers].map(([k, t]) => [k, { ...t, devices: [...t.devices] }]) }),
        load(s) {
          const st = s as { models: unknown; dropped: number; trackers?: [string, Omit<Tracker, "devices"> & { devices: number[] }][] };
          models.load(st.models);
          dropped = st.dropped;
          for (const [k, t] of st.trackers ?? []) trackers.set(k, { ...t, devices: new Set(t.devices) });
        },
        summary: () => ({ tracked: trackers.size, dropped }),
        extraBytes: () => models.bytes() + trackers.size * 200,
      };
    },
  },
});
