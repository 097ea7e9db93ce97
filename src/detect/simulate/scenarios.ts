/**
 * Attacks and failures injected into simulated traffic, each with its ground truth: which devices, when, and which
 * detectors should notice. They are what `bench:quality` measures precision, recall and time to detect against.
 */
import type { DetectorId } from "../../core/record.ts";
import { HANDSET_TAC, type SimFleet } from "./fleet.ts";
import type { DeviceOverride } from "./normal.ts";
import type { Random } from "./random.ts";
import type { SimWriter } from "./writer.ts";

export interface Truth {
  scenario: string;
  devices: string[];
  /** For fleet-wide scenarios, the alert subject (e.g. `model:meter-m1`). */
  subject?: string;
  start: string;
  end: string;
  detectors: DetectorId[];
  description: string;
}

export interface ScenarioPlan {
  truth: Truth;
  /** Emits the scenario's records for the hour starting at `hourStart`. */
  hour(w: SimWriter, r: Random, hourStart: number): void;
}

interface Ctx {
  fleet: SimFleet;
  start: number;
  end: number;
  victims: number[];
  overrides: Map<number, DeviceOverride>;
}

const MIN = 60_000;
const HOUR = 3_600_000;

/** Calls `fn` every `stepMs` within [from, to) ∩ the hour. */
function every(hourStart: number, from: number, to: number, stepMs: number, fn: (t: number, i: number) => void): void {
  const lo = Math.max(from, hourStart);
  const hi = Math.min(to, hourStart + HOUR);
  let i = Math.max(0, Math.ceil((lo - from) / stepMs));
  for (let t = from + i * stepMs; t < hi; t = from + ++i * stepMs) fn(t, i);
}

function publicIp(r: Random): string {
  for (;;) {
    const a = r.int(1, 223);
    if (a === 10 || a === 100 || a === 127 || a === 169 || a === 172 || a === 192) continue;
    return `${a}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
  }
}

const iso = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");

type Builder = (c: Ctx) => Omit<ScenarioPlan, "truth"> & { detectors: DetectorId[]; description: string; end?: number; subject?: string };

export const SCENARIOS: Record<string, { victims: number; build: Builder }> = {
  mirai: {
    victims: 1,
    build: ({ fleet, start, victims: [v] }) => ({
      detectors: ["horizontal-scan", "beaconing", "new-destination"],
      description: "Mirai-style telnet scan (ports 23/2323, unanswered SYNs) for 20 minutes, and a command-and-control check-in every 60 s",
      hour(w, r, h) {
        const ip = fleet.ip(v!);
        every(h, start, start + 20 * MIN, 250, (t) => {
          w.emit("flow", t, [ip, r.int(30000, 60000), publicIp(r), r.next() < 0.9 ? 23 : 2323, "tcp", 0, 0, 1, 0, "0", "S0", undefined], fleet.id(v!));
        });
        every(h, start + 30_000, start + 6 * HOUR, 60_000, (t) => {
          w.emit("flow", t + r.int(-2000, 2000), [ip, r.int(30000, 60000), "185.244.25.61", 23, "tcp", 64, 120, 4, 3, "0.420", "SF", undefined], fleet.id(v!));
        });
      },
    }),
  },
  ddos: {
    victims: 1,
    build: ({ fleet, start, victims: [v] }) => ({
      detectors: ["ddos-participation", "volume-anomaly"],
      description: "UDP flood toward one target: 20 flows of 200 packets per second for 10 minutes",
      hour(w, r, h) {
        const ip = fleet.ip(v!);
        every(h, start, start + 10 * MIN, 50, (t) => {
          w.emit("flow", t, [ip, r.int(1024, 65535), "203.0.113.80", 80, "udp", 200 * 512, 0, 200, 0, "0.050", "S0", undefined], fleet.id(v!));
        });
      },
    }),
  },
  "sim-to-phone": {
    victims: 1,
    build: ({ fleet, start, victims: [v], overrides }) => {
      overrides.set(v!, { silentFrom: start });
      const phoneImei = fleet.imei(v!, HANDSET_TAC);
      return {
        detectors: ["sim-swap", "sms-on-data-sim"],
        description: "The SIM is taken out of the meter and used in a phone: new IMEI (a handset TAC), SMS, web browsing",
        hour(w, r, h) {
          const n = v!;
          every(h, start, start + 1, 1, (t) => {
            w.emit("connectivity", t, [fleet.iccid(n), fleet.imsi(n), phoneImei, "attach", 262, 2, 4800, 20001, "LTE", "internet", undefined, undefined, undefined, undefined, 52.52, 13.4], fleet.id(n));
            w.emit("connectivity", t + 1000, [fleet.iccid(n), fleet.imsi(n), phoneImei, "session_start", 262, 2, 4800, 20001, "LTE", "internet", fleet.ip(n), 0, 0, undefined, 52.52, 13.4], fleet.id(n));
          });
          every(h, start + 5 * MIN, start + 6 * HOUR, 20 * MIN, (t) => {
            w.emit("connectivity", t, [fleet.iccid(n), fleet.imsi(n), phoneImei, "sms_mo", 262, 2, 4800, 20001, "LTE", undefined, undefined, undefined, undefined, 1, undefined, undefined], fleet.id(n));
          });
          every(h, start + 2 * MIN, start + 6 * HOUR, 3 * MIN, (t) => {
            const site = r.pick(["www.video.example", "social.example", "news.example", "maps.example"]);
            w.emit("flow", t, [fleet.ip(n), r.int(30000, 60000), publicIp(r), 443, "tcp", r.int(2000, 20000), r.int(50_000, 2_000_000), 40, 400, "12.000", "SF", site], fleet.id(n));
          });
        },
      };
    },
  },
  roaming: {
    victims: 1,
    build: ({ fleet, start, victims: [v] }) => ({
      detectors: ["unexpected-network", "impossible-travel"],
      description: "The SIM attaches in the United States minutes after reporting from Germany",
      hour(w, _r, h) {
        const n = v!;
        every(h, start, start + 1, 1, (t) => {
          w.emit("connectivity", t, [fleet.iccid(n), fleet.imsi(n), fleet.imei(n), "location_update", 310, 260, 100, 55001, "LTE", undefined, undefined, undefined, undefined, undefined, 40.71, -74.0], fleet.id(n));
        });
      },
    }),
  },
  exfil: {
    victims: 1,
    build: ({ fleet, start, victims: [v] }) => ({
      detectors: ["new-destination", "volume-anomaly"],
      description: "About 90 MB uploaded to a never-seen host over 30 minutes",
      hour(w, r, h) {
        every(h, start, start + 30 * MIN, MIN, (t) => {
          w.emit("flow", t, [fleet.ip(v!), r.int(30000, 60000), "45.133.1.20", 443, "tcp", r.int(2_000_000, 4_000_000), 40_000, 2500, 900, "55.000", "SF", "drop.files-exchange.example"], fleet.id(v!));
        });
      },
    }),
  },
  "brute-force": {
    victims: 1,
    build: ({ fleet, start, victims: [v] }) => ({
      detectors: ["auth-failure-burst"],
      description: "Credential guessing on the broker: two failed logins per second with the device's client id from an outside address",
      hour(w, _r, h) {
        every(h, start, start + 10 * MIN, 500, (t) => {
          w.emit("broker", t, [fleet.client(v!), "auth_failure", undefined, undefined, "198.51.100.7"], fleet.id(v!));
        });
      },
    }),
  },
  silent: {
    victims: 1,
    build: ({ start, victims: [v], overrides }) => {
      overrides.set(v!, { silentFrom: start });
      return { detectors: ["device-silent"], description: "The device stops reporting (power cut, jamming or tampering)", hour() {} };
    },
  },
  campaign: {
    victims: 8,
    build: ({ fleet, start, victims }) => ({
      detectors: ["fleet-campaign", "new-destination"],
      subject: `model:${fleet.model(victims[0]!).id}`,
      description: "Eight meters fetch from the same never-seen host within 20 minutes (a hijacked update mirror)",
      hour(w, r, h) {
        victims.forEach((n, i) => {
          every(h, start + i * 150_000, start + i * 150_000 + 1, 1, (t) => {
            w.emit("flow", t, [fleet.ip(n), r.int(30000, 60000), "91.92.93.94", 443, "tcp", 900, 250_000, 10, 180, "3.100", "SF", "update.mirror-cdn.example"], fleet.id(n));
          });
        });
      },
    }),
  },
  clone: {
    victims: 1,
    build: ({ fleet, start, victims: [v] }) => ({
      detectors: ["connect-storm", "disconnect-storm"],
      description: "A second device uses the same MQTT client id: the two knock each other off every 20 seconds for 30 minutes",
      hour(w, _r, h) {
        every(h, start, start + 30 * MIN, 20_000, (t, i) => {
          const [from, to] = i % 2 === 0 ? [fleet.ip(v!), "100.70.1.9"] : ["100.70.1.9", fleet.ip(v!)];
          w.emit("broker", t, [fleet.client(v!), "disconnect", undefined, undefined, from], fleet.id(v!));
          w.emit("broker", t + 500, [fleet.client(v!), "connect", undefined, undefined, to], fleet.id(v!));
        });
      },
    }),
  },
};

/** Picks victims (distinct, of the scenario's model where it matters) and builds each scenario's plan. */
export function planScenarios(names: readonly string[], fleet: SimFleet, start: number, end: number, r: Random, overrides: Map<number, DeviceOverride>): ScenarioPlan[] {
  const used = new Set<number>();
  const plans: ScenarioPlan[] = [];
  for (const name of names) {
    const s = SCENARIOS[name];
    if (!s) throw new Error(`no scenario "${name}"; known: ${Object.keys(SCENARIOS).join(", ")}`);
    const victims: number[] = [];
    // Victims are meters (data-only SIMs, the model most scenarios are about), never reused across scenarios.
    for (let tries = 0; victims.length < s.victims && tries < fleet.size * 4; tries++) {
      const n = r.int(0, fleet.size - 1);
      if (!used.has(n) && fleet.model(n).id === "meter-m1") {
        used.add(n);
        victims.push(n);
      }
    }
    if (victims.length < s.victims) throw new Error(`scenario ${name} needs ${s.victims} meters; the fleet is too small`);
    const b = s.build({ fleet, start, end, victims, overrides });
    plans.push({
      truth: { scenario: name, devices: victims.map((n) => fleet.id(n)), ...(b.subject ? { subject: b.subject } : {}), start: iso(start), end: iso(b.end ?? end), detectors: b.detectors, description: b.description },
      hour: b.hour,
    });
  }
  return plans;
}
