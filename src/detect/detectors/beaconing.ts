/**
 * beaconing: a device contacting a rare destination at a machine rhythm — malware checking in with its
 * command-and-control server, or trying to. Per device it follows a small table of candidate destinations (3 slots,
 * 32-bit host hashes), so a device that also talks to its cloud, a time server or a resolver does not keep resetting
 * the one it should watch. Per slot: the last contact, the number of intervals, their mean and mean absolute
 * deviation (seconds, 16-bit), and how many attempts went unanswered.
 *
 * - Bursts: contacts closer than `min_interval_seconds` are one contact (a reconnect sends several SYNs at once).
 * - Jitter: the rhythm is judged by the mean absolute deviation over the mean; a missed check-in (a gap of about two
 *   or three intervals) counts as that many intervals instead of breaking the rhythm.
 * - Failed contact: a destination that never answers (Zeek S0/REJ …) but is called again and again at a rhythm is its
 *   own signal — a C&C server that is down or blocked is still being called by the malware.
 * - Ports: well-known remote-access-trojan and remote-shell ports are documented evidence (fewer contacts needed,
 *   higher confidence), never a verdict by themselves.
 * - Rare: few flows of the whole fleet go there (a count-min sketch), so the fleet's own heartbeat never qualifies.
 *   There is no warm-up: what a device does from its first minutes (malware that calls home at power-on) is judged
 *   like everything else.
 *
 * Split for scale-out (detector.ts DetectorSplit): only the filter runs in the device part, which passes on every
 * flow that could be a beacon; the slots live in the fleet part with the sketch, because which destination a device's
 * full table gives up is decided by the fleet's counts at that moment (slotOf), which no partition knows.
 */
import { z } from "zod";
import { defineSplitDetector } from "../detector.ts";
import { CountMin } from "../sketch.ts";
import { established, hostKey, hostText, infraService, isMulticast } from "./destinations.ts";
import { fmtDuration } from "./text.ts";

const SLOTS = 3;

/** Ports malware families are documented to use for C&C or remote shells (evidence that lowers the bar, not a verdict). */
export const SUSPECT_PORTS: ReadonlyMap<number, string> = new Map([
  [1177, "njRAT"],
  [1337, "common RAT/backdoor port (e.g. AndroidTester)"],
  [1604, "DarkComet"],
  [3460, "Poison Ivy"],
  [4444, "Metasploit default handler"],
  [5552, "njRAT variants"],
  [6666, "IRC botnets"],
  [6667, "IRC botnets"],
  [6697, "IRC botnets (TLS)"],
  [7777, "common RAT port"],
  [31337, "Back Orifice / elite backdoors"],
  [48101, "Mirai C&C reporting"],
]);

const params = z.object({
  min_contacts: z.number().int().min(3).default(6).describe("Intervals needed before a rhythm counts."),
  suspect_port_contacts: z.number().int().min(3).default(4).describe("Intervals needed toward a documented RAT/remote-shell port."),
  max_jitter: z.number().positive().default(0.25).describe("Largest mean absolute deviation of the intervals over their mean (0.25 = ±25%)."),
  min_interval_seconds: z.number().positive().default(3).describe("Contacts closer than this are one contact (a burst of flows or SYN retries)."),
  max_interval_seconds: z.number().positive().default(6 * 3600),
  min_failed: z.number().int().positive().default(10).describe("Unanswered attempts to one destination, at a rhythm, that make a failed-contact beacon."),
  rare_devices: z.number().positive().default(5).describe("A destination is rare when the fleet sends it at most this many times the flows this device sends."),
});

export const beaconing = defineSplitDetector({
  id: "beaconing",
  title: "Device checks in with a rare destination at a machine rhythm",
  severity: "high",
  kinds: ["flow"],
  warmup: "min_contacts contacts with the destination (6 by default; 4 to a documented RAT port); none for the device — malware calling home from power-on is judged too.",
  why: "Malware on a device calls home at regular intervals to ask for commands, and keeps calling when its server is down. A steady rhythm toward a destination that (almost) no other device of the fleet uses is how that looks on the network.",
  summary: "{device} contacted {dest} {contacts} times at a steady interval of {interval} (±{jitter}%){failed}; almost no other device of the fleet talks to it ({share}).{port}",
  action: "Look {dest} up in threat intelligence and block it. Treat the device as compromised: isolate, reflash or replace it, and look for the same destination across the fleet.",
  ignores:
    "Infrastructure with a rhythm of its own — time (123/udp), DNS, DHCP, mDNS/LLMNR/NetBIOS/SSDP and multicast — is never a candidate (DNS tunnelling is not judged here). Destinations many devices of the fleet use are not rare. Rhythms slower than max_interval_seconds (6 h) are not followed.",
  attack: ["T1071", "T0869"],
  fleetWide: "how many flows of the whole fleet go to each destination (a destination many devices use is not rare).",
  intel: { endpoint: "destination", indicator_types: ["malicious-activity"] },
  params,
  split: {
    device: () => ({
      // Every flow out that could be a beacon goes to the fleet part: its count is the fleet's (and the slots are there).
      record: (rec) => (!rec.outbound || infraService(rec) !== undefined || isMulticast(rec) ? -1 : 0),
    }),
    fleet(ctx) {
      const p = ctx.params;
      const c = ctx.columns;
      const dest = c.i32("beacon.dest", SLOTS);
      const last = c.u32("beacon.last", SLOTS);
      const count = c.u8("beacon.count", SLOTS);
      const failed = c.u8("beacon.failed", SLOTS);
      /** Mean interval and mean absolute deviation, whole seconds (≤ 18 h). */
      const mean = c.u16("beacon.mean", SLOTS);
      const mad = c.u16("beacon.mad", SLOTS);
      const flows = new CountMin(4, 16);

      function reset(i: number, h: number, t: number, ok: boolean): void {
        dest.a[i] = h;
        last.a[i] = t;
        count.a[i] = 0;
        failed.a[i] = ok ? 0 : 1;
        mean.a[i] = 0;
        mad.a[i] = 0;
      }

      /** The slot following `h` for device d, or a slot to follow it in, or -1 (the table holds livelier rhythms). */
      function slotOf(d: number, h: number, t: number): number {
        let victim = -1;
        let victimScore = Infinity;
        for (let k = 0; k < SLOTS; k++) {
          const i = d * SLOTS + k;
          if (dest.a[i] === h) return i;
          // A slot is free when empty, gone quiet for three of its intervals, or never got a rhythm going.
          const quiet = t - last.a[i]!;
          const live = dest.a[i] !== 0 && count.a[i]! >= 2 && quiet < 3 * Math.max(mean.a[i]!, p.min_interval_seconds);
          const score = dest.a[i] === 0 ? -1 : live ? Infinity : last.a[i]!;
          if (score < victimScore) {
            victimScore = score;
            victim = i;
          }
        }
        if (victim >= 0) return victim;
        // Every slot holds a live rhythm: take the one toward the most common destination if this one is far rarer.
        let commonest = -1;
        let most = 0;
        for (let k = 0; k < SLOTS; k++) {
          const e = flows.estimate(dest.a[d * SLOTS + k]!);
          if (e > most) {
            most = e;
            commonest = d * SLOTS + k;
          }
        }
        return flows.estimate(h) * 4 < most ? commonest : -1;
      }

      return {
        fact(rec) {
          const d = rec.device;
          const h = hostKey(rec);
          flows.add(h);
          const t = Math.floor(rec.began / 1000);
          const ok = established(rec);
          const i = slotOf(d, h, t);
          if (i < 0) return;
          if (dest.a[i] !== h) return reset(i, h, t, ok);
          const gap = t - last.a[i]!;
          if (gap < p.min_interval_seconds) return;
          last.a[i] = t;
          if (gap > p.max_interval_seconds) return reset(i, h, t, ok);
          if (!ok && failed.a[i]! < 255) failed.a[i]!++;
          const n0 = count.a[i]!;
          let m = mean.a[i]!;
          // A missed check-in: a gap of about k intervals counts as k of them (k ≤ 3), without moving the mean.
          let steps = 1;
          let g = gap;
          if (n0 >= 3 && m > 0) {
            const k = Math.round(gap / m);
            if (k >= 2 && k <= 3 && Math.abs(gap - k * m) <= p.max_jitter * m * k) {
              steps = k;
              g = gap / k;
            }
          }
          // A gap far off the rhythm (not a missed check-in) starts measuring a new rhythm from this interval: sessions
          // minutes apart followed by reconnects every 20 s are two rhythms, not one irregular one.
          if (n0 >= 1 && steps === 1 && m > 0 && (gap > 3.5 * m || gap * 3.5 < m)) {
            count.a[i] = 1;
            mean.a[i] = Math.min(65535, gap);
            mad.a[i] = 0;
            return;
          }
          const n = Math.min(255, n0 + steps);
          count.a[i] = n;
          // Running mean and mean absolute deviation (exact for the first intervals, then exponentially weighted).
          const w = Math.max(1 / n, 1 / 16);
          const dev = Math.abs(g - m);
          m = n0 === 0 ? g : m + w * (g - m);
          mean.a[i] = Math.min(65535, Math.round(m));
          mad.a[i] = Math.min(65535, Math.round(n0 === 0 ? 0 : mad.a[i]! + w * (dev - mad.a[i]!)));
          const port = rec.num[rec.remotePort]!;
          const suspect = SUSPECT_PORTS.get(port);
          if (n < (suspect !== undefined ? p.suspect_port_contacts : p.min_contacts) || m <= 0) return;
          const cv = mad.a[i]! / m;
          if (cv > p.max_jitter) return;
          const fleet = flows.estimate(h);
          if (fleet > p.rare_devices * (n + 1)) return;
          const failedAll = failed.a[i]! >= Math.min(p.min_failed, n) && failed.a[i]! >= n - 1;
          const text = hostText(rec);
          ctx.raise({
            device: d,
            key: `dest:${text}`,
            ts: rec.ts,
            confidence: Math.min(0.95, 0.6 + (p.max_jitter - cv) + Math.min(0.2, n / 100) + (suspect !== undefined ? 0.1 : 0)),
            evidence: {
              destination: text,
              port,
              contacts: n + 1,
              mean_interval_seconds: Math.round(m),
              jitter: Math.round(cv * 1000) / 1000,
              unanswered_attempts: failed.a[i],
              ...(suspect !== undefined ? { suspect_port: suspect } : {}),
              fleet_flows_to_destination: fleet,
              baseline: "the fleet's own periodic traffic goes to destinations many devices share",
            },
            vars: {
              dest: text,
              contacts: n + 1,
              interval: fmtDuration(m * 1000),
              jitter: Math.round(cv * 100),
              failed: failedAll ? ", and it never answered — persistent failed contact, as malware keeps calling a C&C server that is down or blocked" : "",
              share: `${fleet} flows fleet-wide`,
              port: suspect !== undefined ? ` Port ${port} is one ${suspect} is documented to use — evidence, not proof.` : "",
            },
            rec,
          });
        },
        save: () => ({ flows: Buffer.from(flows.table.buffer, flows.table.byteOffset, flows.table.byteLength).toString("base64") }),
        load(state) {
          const bytes = Buffer.from((state as { flows: string }).flows, "base64");
          flows.table.set(new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
        },
        extraBytes: () => flows.table.byteLength,
      };
    },
  },
});
