/**
 * location-to-third-party: location data goes to a third party or a tracker (not the maker, not a declared service
 * provider). Location is personal data that reveals habits (EDPB Guidelines 01/2020), so even a declared flow of
 * it to a third party is reported (lower severity); an undeclared one, or one to a tracker, is high.
 */
import { z } from "zod";
import { destinationText } from "../../flows/classify.ts";
import { defineDetector } from "../detector.ts";
import { carried, classifyFlow, countryText, flowContextOf, HourlyGate, LocationProducers, partyText } from "./flow-privacy.ts";

export const locationToThirdParty = defineDetector({
  id: "location-to-third-party",
  title: "Location data goes to a third party or a tracker",
  severity: "high",
  kinds: ["flow", "connectivity", "metric"],
  warmup: "None. Knows a flow carries location from the declaration (data: [location]) or because the device sends location and the destination is undeclared.",
  why: "Where a vehicle, a tracker or a person's device has been is among the most revealing personal data there is: it shows home, work, habits. Sharing it with analytics or advertising parties goes beyond what the device needs (ETSI EN 303 645 6-4, GDPR data minimisation) and is something users must be told and usually asked about.",
  summary: "{device} sent location data to {dest}, {party} {country}; {declared}.",
  action: "Stop sending location to parties that do not need it for the device's function; if one does, declare it (party, purpose, retention), cover it in the privacy notice and, where consent is the basis, ask for it. Prefer processing location on the device or at the maker.",
  standards: ["ETSI-EN-303-645:6-1", "ETSI-EN-303-645:6-4", "GDPR:5(1)(c)", "GDPR:25"],
  attack: ["T1430"],
  params: z.object({}),
  create(ctx) {
    const fc = flowContextOf(ctx.fleet);
    if (!fc) return {};
    const gate = new HourlyGate(ctx.columns, "locparty");
    const loc = new LocationProducers(ctx.columns, "locparty");
    return {
      record(rec) {
        if (rec.kind !== 1) return loc.note(rec);
        const c = classifyFlow(rec, ctx.fleet, fc);
        if (!c || (c.party !== "third" && c.party !== "tracker")) return;
        const data = carried(c, loc.has(rec.device));
        if (!data.categories.includes("location") || !gate.pass(rec.device, c.id, rec.ts)) return;
        const declared = c.declared >= 0;
        ctx.raise({
          device: rec.device,
          key: `party:${c.name}`,
          ts: rec.ts,
          confidence: data.inferred ? 0.6 : 0.9,
          severity: declared && c.party === "third" ? "medium" : "high",
          evidence: { destination: c.name, address: c.address, party: c.party, owner: c.owner ?? null, tracker_category: c.tracker?.category ?? null, purpose: c.purpose ?? null, country: c.country ?? null, declared, location_inferred: data.inferred, model: c.model },
          vars: {
            dest: destinationText(c),
            party: partyText(c),
            country: countryText(c),
            declared: declared ? `the model declares this flow${c.purpose ? ` (purpose: ${c.purpose})` : ""}, but location should reach third parties only when the function needs it` : data.inferred ? "the destination is not declared and the device sends location, so this flow may carry it" : "the destination is not declared",
          },
          rec,
        });
      },
    };
  },
});
