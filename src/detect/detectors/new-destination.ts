/**
 * new-destination: a device talking to a host or port that neither it nor any device of its model has used, once
 * both have had time to learn — or to anything outside a declared allow-list at any time. The device's own set is a
 * small aging Bloom filter in its columns; the model's set is a capped map shared by its devices, so a destination
 * one meter uses is not news when the next meter uses it. Failed attempts are not destinations (the scan detectors
 * look at those), and a device that finds many new hosts at once gets one alert that counts them, not hundreds.
 * Destinations are grouped first (destinations.ts groupKey: infrastructure by service, a DNS name, else the /24 or
 * /48), and judged against the device's own pace of meeting new ones (an appliance: none; a PC: several an hour).
 *
 * Split for scale-out (detector.ts DetectorSplit): the device part holds the device's Bloom filter and pace and
 * passes on only flows with a destination or port new to the device (with the pace figures, as the fact), flows
 * outside a declared allow-list, and the device's first flow that reaches the model's clock; the fleet part holds
 * the model sets and the per-device burst counter, which moves only when an alert is raised.
 */
import { z } from "zod";
import { defineSplitDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import type { Rec } from "../read/rec.ts";
import { DeviceBloom } from "../sketch.ts";
import { established, groupKey, groupKeyOfText, groupText, hostText, portKey } from "./destinations.ts";
import { ModelSets } from "./model-sets.ts";
import { fmtDuration } from "./text.ts";

const params = z.object({
  warmup_hours: z.number().positive().default(6).describe("Hours of a device's (and its model's) traffic learned before anything counts as new."),
  ports: z.boolean().default(true).describe("Also alert on a new destination port to a known host."),
  allow: z.array(z.string()).default([]).describe("Declared allow-list: domains (suffix match, e.g. .example.com), addresses, or ports as :443. When given, anything outside it alerts from the start."),
  max_alerts_per_hour: z.number().int().positive().default(5).describe("Beyond this many new hosts in an hour a device gets one summary alert."),
  model_trust_minutes: z.number().nonnegative().default(60).describe("A destination another device of the model started using counts as known only after this long (one compromised device must not teach its model)."),
  model_set_size: z.number().int().positive().default(20_000),
  pace_alpha: z.number().gt(0).lt(1).default(0.05).describe("Weight of each hour in the device's pace of new destinations (a device that meets several new ones an hour alerts only beyond its pace)."),
});

export const newDestination = defineSplitDetector({
  id: "new-destination",
  title: "Device contacts a destination it and its model have never used",
  severity: "medium",
  kinds: ["flow"],
  warmup: "6 hours of the device's own traffic and of its model's (warmup_hours); none for a declared allow-list.",
  why: "IoT devices talk to a small, fixed set of servers. A new one is often the first sign of compromise: malware fetching a payload, calling its command-and-control server, or data being sent somewhere it should not go.",
  summary: "{device} contacted {dest} ({what}), which it has not used in {learned} of traffic and no other device of model {model} uses{extra}.",
  action: "Check who {dest} belongs to (whois, DNS, threat intelligence). If it is a legitimate new service (a firmware update, a new cloud endpoint), mark the alert benign so it is learned; otherwise block it and inspect the device.",
  ignores: "Failed attempts (the scan detectors judge those). Infrastructure servers that rotate by design — time (123/udp), DNS, DHCP, mDNS/LLMNR/NetBIOS/SSDP, multicast and broadcast — count as one destination per service; a host is judged by its DNS name when the flow has one, else by its /24 (IPv4) or /48 (IPv6), since cloud and CDN services answer from neighbouring addresses. A device that meets new destinations at a steady pace (a phone, a PC) alerts only beyond that pace (pace_alpha), so it is not one alert per CDN address.",
  lateRecords: "whether a destination is new does not depend on when the record arrives.",
  attack: ["T1071", "T0869"],
  fleetWide: "the destinations each device model uses (a destination another device of the model uses is not new).",
  intel: { endpoint: "destination", indicator_types: ["anomalous-activity"] },
  params,
  split: {
    device(ctx) {
      const p = ctx.params;
      const warm = p.warmup_hours * 3_600_000;
      const bloom = new DeviceBloom(ctx.columns, "newdest", 4, 20);
      // The device's own pace of meeting new destinations (groups new to it per hour, learned from the second half of
      // its warm-up on): an appliance meets none, a general-purpose computer several an hour. What is news is a new
      // destination beyond that pace.
      const novelHour = ctx.columns.u16("newdest.nhour");
      const novel = ctx.columns.u8("newdest.novel");
      /** New destinations per hour, fixed point in 1/256 (up to 255 an hour). */
      const pace = ctx.columns.u16("newdest.pace");
      const allow = parseAllow(p.allow);
      // With an allow-list, a device's first flow inside it may go to a destination it knows (from flows outside it):
      // the fleet part still needs it, as it starts the model's clock (ModelSets.seen).
      const reached = allow ? ctx.columns.u8("newdest.reached") : undefined;
      return {
        record(rec) {
          if (!rec.outbound || !established(rec)) return -1;
          const d = rec.device;
          const host = groupKey(rec);
          const age = rec.ts - ctx.fleet.firstSeen(d);
          if (age >= warm / 2) {
            const h = Math.floor(rec.ts / 3_600_000) & 0xffff;
            if (novelHour.a[d] !== h) {
              const gap = Math.min(1000, (h - novelHour.a[d]! + 0x10000) & 0xffff);
              const a = Math.max(p.pace_alpha, 3_600_000 / (age - warm / 2 + 3_600_000));
              const prev = pace.a[d]! / 256;
              pace.a[d] = Math.min(65535, Math.round((prev + a * (novel.a[d]! - prev)) * (1 - a) ** (gap - 1) * 256));
              novelHour.a[d] = h;
              novel.a[d] = 0;
            }
            if (!bloom.has(d, host) && novel.a[d]! < 255) novel.a[d]!++;
          }
          const port = p.ports ? portKey(rec) : 0;
          const hostNew = !bloom.has(d, host);
          // Whether the port is new is asked before the host is learned (for the verdict) and after (for learning it),
          // as one process asks it: a Bloom filter's false positive can tell the two apart.
          const portNew = port !== 0 && !bloom.has(d, port);
          if (hostNew) bloom.add(d, host);
          const portLearn = port !== 0 && !bloom.has(d, port);
          if (portLearn) bloom.add(d, port);
          const outside = allow !== undefined && !allowed(allow, rec);
          const first = reached !== undefined && !outside && reached.a[d] === 0;
          if (first) reached.a[d] = 1;
          if (!hostNew && !portNew && !portLearn && !first && !outside) return -1;
          return (hostNew ? NEW_HOST : 0) | (portNew ? NEW_PORT : 0) | (portLearn ? LEARN_PORT : 0) | (novel.a[d]! << 3) | (pace.a[d]! << 11);
        },
        learn(alert, d) {
          // The record's fields are in the evidence; learning its host/port keys needs their hashes, so re-derive them.
          const group = alert.evidence.group;
          if (typeof group === "string") bloom.add(d, groupKeyOfText(group));
        },
      };
    },
    fleet(ctx) {
      const p = ctx.params;
      const warm = p.warmup_hours * 3_600_000;
      const hour = ctx.columns.u16("newdest.hour");
      const burst = ctx.columns.u8("newdest.burst");
      const models = new ModelSets(p.model_set_size);
      const allow = parseAllow(p.allow);
      const trust = p.model_trust_minutes * 60_000;
      /** Known: to the device (its Bloom filter, in the device part), or to its model for longer than the trust delay. */
      function known(rec: Rec, isNew: boolean, model: number, key: number): boolean {
        if (!isNew) return true;
        const first = models.firstUse(model, key);
        return first !== undefined && rec.ts - first >= trust;
      }

      function alert(rec: Rec, key: string, dest: string, what: string, declared: boolean, group?: string): void {
        const d = rec.device;
        const h = Math.floor(rec.ts / 3_600_000) & 0xffff;
        if (hour.a[d] !== h) {
          hour.a[d] = h;
          burst.a[d] = 0;
        }
        const n = ++burst.a[d]!;
        if (n > p.max_alerts_per_hour && !declared) key = "many-new-destinations";
        const model = ctx.fleet.modelName(ctx.fleet.model(d)) ?? "(unknown)";
        ctx.raise({
          device: d,
          key,
          ts: rec.ts,
          confidence: declared ? 0.9 : 0.7,
          severity: declared ? "high" : "medium",
          evidence: { destination: dest, ...(group !== undefined ? { group } : {}), kind: what, declared_allow_list: declared, device_learning_since: new Date(ctx.fleet.firstSeen(d)).toISOString(), model, new_hosts_this_hour: n },
          vars: { dest, what, learned: fmtDuration(rec.ts - ctx.fleet.firstSeen(d)), model, extra: declared ? "; it is also outside the declared allow-list" : n > p.max_alerts_per_hour ? `; ${n} new hosts this hour so far` : "" },
          rec,
        });
      }

      return {
        fact(rec, f) {
          const d = rec.device;
          const model = ctx.fleet.model(d);
          const hostNew = (f & NEW_HOST) !== 0;
          const novel = (f >>> 3) & 0xff;
          // Destinations are judged grouped: a service (NTP, DNS …), a DNS name, or an address's /24 or /48.
          const host = groupKey(rec);
          const port = p.ports ? portKey(rec) : 0;
          if (allow && !allowed(allow, rec)) {
            alert(rec, `host:${hostText(rec)}`, `${hostText(rec)}:${rec.text(rec.remotePort) ?? "?"}`, "outside the allow-list", true);
          } else {
            const since = Math.max(ctx.fleet.firstSeen(d), models.seen(model, rec.ts));
            if (rec.ts - since >= warm && rec.ts - models.seen(model, rec.ts) >= warm) {
              const lambda = (f >>> 11) / 256;
              if (!known(rec, hostNew, model, host) && novel > lambda + 3 * Math.sqrt(lambda)) {
                const group = groupText(rec);
                const what = group.startsWith("service:") ? `a ${group.slice(8)} server` : rec.has(F.dns_name) ? "a domain" : `an address in ${group}, a network it never used`;
                alert(rec, `host:${group}`, hostText(rec), what, false, group);
              } else if (port !== 0 && !known(rec, (f & NEW_PORT) !== 0, model, port)) alert(rec, `port:${rec.text(rec.remotePort)}`, `${hostText(rec)}:${rec.text(rec.remotePort)}`, "a port it never used", false);
            }
          }
          // What the device already knew, its model learned with it.
          if (hostNew) models.add(model, host, rec.ts);
          if ((f & LEARN_PORT) !== 0) models.add(model, port, rec.ts);
        },
        save: () => models.save(),
        load: (s) => models.load(s),
        extraBytes: () => models.bytes(),
      };
    },
  },
});

/** Fact bits (DetectorSplit): the host, the port new to the device (for the verdict; for learning); pace above. */
const NEW_HOST = 1;
const NEW_PORT = 2;
const LEARN_PORT = 4;

interface Allow {
  domains: string[];
  hosts: Set<string>;
  ports: Set<number>;
}

function parseAllow(list: readonly string[]): Allow | undefined {
  if (list.length === 0) return undefined;
  const a: Allow = { domains: [], hosts: new Set(), ports: new Set() };
  for (const item of list) {
    if (item.startsWith(":")) a.ports.add(Number(item.slice(1)));
    else if (item.startsWith(".")) a.domains.push(item.toLowerCase());
    else a.hosts.add(item.toLowerCase());
  }
  return a;
}

function allowed(a: Allow, rec: Rec): boolean {
  const port = rec.num[rec.remotePort]!;
  if (a.ports.size > 0 && !a.ports.has(port)) return false;
  if (a.hosts.size === 0 && a.domains.length === 0) return true;
  const name = rec.text(F.dns_name)?.toLowerCase();
  const ip = rec.text(rec.remoteIp)!;
  if (a.hosts.has(ip) || (name !== undefined && (a.hosts.has(name) || a.domains.some((d) => name.endsWith(d) || name === d.slice(1))))) return true;
  return false;
}
