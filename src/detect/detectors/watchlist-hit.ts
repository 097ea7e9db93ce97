/**
 * watchlist-hit: a device talks to an address, block or domain on a watchlist imported with `longwatch intel import`
 * (STIX 2.1 indicators shared by a CERT, an ISAC or a peer). Failed attempts count too: a device trying to reach a
 * command-and-control server is the news, whether or not it got through. Sightings go back out with `intel export`.
 */
import { z } from "zod";
import { defineDetector } from "../detector.ts";
import { F } from "../read/fields.ts";
import { established, hostText } from "./destinations.ts";

export const watchlistHit = defineDetector({
  id: "watchlist-hit",
  title: "Device talks to an endpoint on a threat-intelligence watchlist",
  severity: "high",
  kinds: ["flow"],
  warmup: "None. Needs indicators imported with `longwatch intel import`.",
  why: "Indicators shared by others are endpoints already seen in attacks: command-and-control servers, malware download sites, scanners. A device talking to one is very likely compromised or being attacked, and telling the sharing community you saw it helps everyone.",
  summary: "{device} {what} {dest}, listed as {indicator} ({source}){state}.",
  action: "Isolate the device and check it for compromise (firmware, processes, credentials); block the endpoint at the network edge; mark the alert true or false positive so the sighting shared back is right.",
  standards: ["ETSI-EN-303-645:5.6-1"],
  attack: ["T1071", "T0869"],
  intel: { endpoint: "destination", indicator_types: ["malicious-activity"] },
  params: z.object({}),
  create(ctx) {
    const wl = ctx.fleet.reference().watchlist;
    if (!wl || wl.size === 0) return {};
    return {
      record(rec) {
        const v4 = rec.num[rec.remoteIp]!;
        let hit = v4 >= 0 ? wl.matchV4(v4) : v4 === -1 ? wl.matchV6(rec.text(rec.remoteIp)!) : undefined;
        const dns = rec.hash[F.dns_name]!;
        if (!hit && dns !== 0) hit = wl.matchName(() => rec.text(F.dns_name)!, dns);
        if (!hit) return;
        const ok = established(rec);
        const dest = hostText(rec);
        ctx.raise({
          device: rec.device,
          key: `watch:${hit.indicator}`,
          ts: rec.ts,
          confidence: ok ? 0.9 : 0.75,
          evidence: { destination: dest, address: rec.text(rec.remoteIp) ?? null, port: rec.num[rec.remotePort]! >= 0 ? rec.num[rec.remotePort] : null, matched: hit.value, indicator: hit.indicator, indicator_name: hit.name, source: hit.source, direction: rec.outbound ? "from-device" : "to-device", established: ok },
          vars: { what: rec.outbound ? "contacted" : "was contacted by", dest, indicator: hit.name, source: hit.source, state: ok ? "" : " (the attempt got no answer)" },
          rec,
        });
      },
    };
  },
});
