/**
 * new-destination: a device talking to a host or port that neither it nor any device of its model has used, once
 * both have had time to learn — or to anything outside a declared allow-list at any time. The device's own set is a
 * small aging Bloom filter in its columns; the model's set is a capped map shared by its devices, so a destination
 * one meter uses is not news when the next meter uses it. Failed attempts are not destinations (the scan detectors
 * look at those), and a device that finds many new hosts at once gets one alert that counts them, not hundreds.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import type { Rec } from "../read/rec.ts";
import { DeviceBloom } from "../sketch.ts";
import { established, hostKey, hostKeyOfText, hostText, portKey } from "./destinations.ts";
import { ModelSets } from "./model-sets.ts";
import { fmtDuration } from "./text.ts";

const params = z.object({
  warmup_hours: z.number().positive().default(6).describe("Hours of a device's (and its model's) traffic learned before anything counts as new."),
  ports: z.boolean().default(true).describe("Also alert on a new destination port to a known host."),
  allow: z.array(z.string()).default([]).describe("Declared allow-list: domains (suffix match, e.g. .example.com), addresses, or ports as :443. When given, anything outside it alerts from the start."),
  max_alerts_per_hour: z.number().int().positive().default(5).describe("Beyond this many new hosts in an hour a device gets one summary alert."),
  model_trust_minutes: z.number().nonnegative().default(60).describe("A destination another device of the model started using counts as known only after this long (one compromised device must not teach its model)."),
  model_set_size: z.number().int().positive().default(20_000),
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
    const models = new ModelSets(p.model_set_size);
    const allow = parseAllow(p.allow);

    const trust = p.model_trust_minutes * 60_000;
    function known(rec: Rec, model: number, key: number): boolean {
      if (bloom.has(rec.device, key)) return true;
      const first = models.firstUse(model, key);
      return first !== undefined && rec.ts - first >= trust;
    }

    function alert(rec: Rec, key: string, dest: string, what: string, declared: boolean): void {
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
        evidence: { destination: dest, kind: what, declared_allow_list: declared, device_learning_since: new Date(ctx.fleet.firstSeen(d)).toISOString(), model, new_hosts_this_hour: n },
        vars: { dest, what, learned: fmtDuration(rec.ts - ctx.fleet.firstSeen(d)), model, extra: declared ? "; it is also outside the declared allow-list" : n > p.max_alerts_per_hour ? `; ${n} new hosts this hour so far` : "" },
        rec,
      });
    }

    return {
      record(rec) {
        if (!rec.outbound || !established(rec)) return;
        const d = rec.device;
        const model = ctx.fleet.model(d);
        const host = hostKey(rec);
        const port = p.ports ? portKey(rec) : 0;
        if (allow && !allowed(allow, rec)) {
          alert(rec, `host:${hostText(rec)}`, `${hostText(rec)}:${rec.text(rec.remotePort) ?? "?"}`, "outside the allow-list", true);
        } else {
          const since = Math.max(ctx.fleet.firstSeen(d), models.seen(model, rec.ts));
          if (rec.ts - since >= warm && rec.ts - models.seen(model, rec.ts) >= warm) {
            if (!known(rec, model, host)) alert(rec, `host:${hostText(rec)}`, hostText(rec), rec.has(F.dns_name) ? "a domain" : "an address", false);
            else if (port !== 0 && !known(rec, model, port)) alert(rec, `port:${rec.text(rec.remotePort)}`, `${hostText(rec)}:${rec.text(rec.remotePort)}`, "a port it never used", false);
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
        const r = alert.evidence.record as Record<string, string> | undefined;
        const host = hostKeyOfText(r?.dns_name, r?.dst_ip);
        if (host !== 0) bloom.add(d, host);
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
