/**
 * new-destination: a device talking to a host or port that neither it nor any device of its model has used, once
 * both have had time to learn — or to anything outside a declared allow-list at any time. The device's own set is a
 * small aging Bloom filter in its columns; the model's set is a capped map shared by its devices, so a destination
 * one meter uses is not news when the next meter uses it. Failed attempts are not destinations (the scan detectors
 * look at those), and a device that finds many new hosts at once gets one alert that counts them, not hundreds.
 * Destinations are grouped first (destinations.ts groupKey: infrastructure by service, a DNS name, else the /24 or
 * /48), and judged against the device's own pace of meeting new ones (an appliance: none; a PC: several an hour).
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
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

export const newDestination = defineDetector({
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
  create(ctx) {
    const p = ctx.params;
    const warm = p.warmup_hours * 3_600_000;
    const bloom = new DeviceBloom(ctx.columns, "newdest", 4, 20);
    const hour = ctx.columns.u16("newdest.hour");
    const burst = ctx.columns.u8("newdest.burst");
    // The device's own pace of meeting new destinations (groups new to it per hour, learned from the second half of
    // its warm-up on): an appliance meets none, a general-purpose computer several an hour. What is news is a new
    // destination beyond that pace.
    const novelHour = ctx.columns.u16("newdest.nhour");
    const novel = ctx.columns.u8("newdest.novel");
    /** New destinations per hour, fixed point in 1/256 (up to 255 an hour). */
    const pace = ctx.columns.u16("newdest.pace");
    const models = new ModelSets(p.model_set_size);
    const allow = parseAllow(p.allow);

    const trust = p.model_trust_minutes * 60_000;
    function known(rec: Rec, model: number, key: number): boolean {
      if (bloom.has(rec.device, key)) return true;
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
      record(rec) {
        if (!rec.outbound || !established(rec)) return;
        const d = rec.device;
        const model = ctx.fleet.model(d);
        // Destinations are judged grouped: a service (NTP, DNS …), a DNS name, or an address's /24 or /48.
        const host = groupKey(rec);
        const age = rec.ts - ctx.fleet.firstSeen(d);
        const learning = age >= warm / 2;
        if (learning) {
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
        if (allow && !allowed(allow, rec)) {
          alert(rec, `host:${hostText(rec)}`, `${hostText(rec)}:${rec.text(rec.remotePort) ?? "?"}`, "outside the allow-list", true);
        } else {
          const since = Math.max(ctx.fleet.firstSeen(d), models.seen(model, rec.ts));
          if (rec.ts - since >= warm && rec.ts - models.seen(model, rec.ts) >= warm) {
            const lambda = pace.a[d]! / 256;
            if (!known(rec, model, host) && novel.a[d]! > lambda + 3 * Math.sqrt(lambda)) {
              const group = groupText(rec);
              const what = group.startsWith("service:") ? `a ${group.slice(8)} server` : rec.has(F.dns_name) ? "a domain" : `an address in ${group}, a network it never used`;
              alert(rec, `host:${group}`, hostText(rec), what, false, group);
            } else if (port !== 0 && !known(rec, model, port)) alert(rec, `port:${rec.text(rec.remotePort)}`, `${hostText(rec)}:${rec.text(rec.remotePort)}`, "a port it never used", false);
          }
        }
        // What the device already knows, its model learned with it: skip the model's map on the common path.
        if (!bloom.has(d, host)) {
          bloom.add(d, host);
          models.add(model, host, rec.ts);
        }
        if (port !== 0 && !bloom.has(d, port)) {
          bloom.add(d, port);
          models.add(model, port, rec.ts);
        }
      },
      learn(alert, d) {
        // The record's fields are in the evidence; learning its host/port keys needs their hashes, so re-derive them.
        const group = alert.evidence.group;
        if (typeof group === "string") bloom.add(d, groupKeyOfText(group));
      },
      save: () => models.save(),
      load: (s) => models.load(s),
      extraBytes: () => models.bytes(),
    };
  },
});

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
