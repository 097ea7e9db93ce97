/**
 * data-residency: personal or location data reaches a country outside the jurisdictions its model allows for it
 * (`jurisdictions:` on the destination or the model; default EEA + adequacy). The country comes from the GeoIP
 * database given with --geoip; without one nothing is judged and the run says how many flows it could not place.
 * A destination with a declared Chapter V safeguard (SCCs, BCRs, a derogation) is not flagged.
 */
import { z } from "zod";
import { destinationText } from "../../flows/classify.ts";
import { defineDetector } from "../detector.ts";
import { carried, classifyFlow, flowContextOf, HourlyGate, isPersonal, LocationProducers, partyText } from "./flow-privacy.ts";

export const dataResidency = defineDetector({
  id: "data-residency",
  title: "Personal data leaves the jurisdictions allowed for it",
  severity: "high",
  kinds: ["flow", "connectivity", "metric"],
  warmup: "None. Needs a GeoIP database (--geoip) to know where a destination is.",
  why: "Under the GDPR, personal data may leave the EEA only to a country with an adequacy decision or with safeguards such as standard contractual clauses (Art. 44-49); sending it elsewhere without them is a transfer infringement. Location from a vehicle or tracker is personal data, and the fleet's declaration says where it may go.",
  summary: "{device} sent {data} data to {dest} in {country_name} ({zone}), but model {model} allows it only in {allowed}. {party_text}.",
  action: "Move the service to a region inside the allowed jurisdictions (for example an EEA region of the cloud provider), or put a GDPR Chapter V basis in place (standard contractual clauses, Art. 46; binding corporate rules, Art. 47) and declare it as `safeguard:` on the destination. Check the transfer impact assessment with your data protection officer.",
  standards: ["GDPR:44", "GDPR:46", "ETSI-EN-303-645:6-1"],
  params: z.object({}),
  create(ctx) {
    const fc = flowContextOf(ctx.fleet);
    if (!fc) return {};
    const gate = new HourlyGate(ctx.columns, "residency");
    const loc = new LocationProducers(ctx.columns, "residency");
    let unplaced = 0;
    return {
      record(rec) {
        if (rec.kind !== 1) return loc.note(rec);
        const c = classifyFlow(rec, ctx.fleet, fc);
        if (!c || c.local) return;
        const data = carried(c, loc.has(rec.device));
        if (!isPersonal(data.categories)) return;
        if (c.country === undefined) {
          unplaced++;
          return;
        }
        if (c.allowance?.allowed || c.safeguard !== undefined || !gate.pass(rec.device, c.id, rec.ts)) return;
        const j = fc.jurisdictions;
        ctx.raise({
          device: rec.device,
          key: `country:${c.country}:${c.name}`,
          ts: rec.ts,
          confidence: data.inferred ? 0.6 : 0.9,
          evidence: {
            destination: c.name,
            address: c.address,
            country: c.country,
            zone: c.zone,
            allowed_jurisdictions: c.jurisdictions,
            categories: data.categories,
            categories_inferred: data.inferred,
            declared: c.declared >= 0,
            party: c.party,
            owner: c.owner ?? null,
            adequacy_list_as_of: j.asOf,
            model: c.model,
          },
          vars: {
            dest: destinationText(c),
            data: data.categories.filter((x) => x === "personal" || x === "location").join(" and "),
            country_name: c.country,
            zone: c.zone === "third-country" ? "no EU adequacy decision" : c.zone === "adequate" ? "adequacy decision, but not in the allowed list" : "EEA, but not in the allowed list",
            model: c.model ?? "(unknown)",
            allowed: c.jurisdictions.join(", "),
            party_text: `It goes to ${partyText(c)}${c.declared >= 0 ? ", a declared destination" : ", which is not declared"}${data.inferred ? "; that it carries location is inferred (the device sends location and the destination is undeclared)" : ""}`,
          },
          rec,
        });
      },
      summary: () => ({ personal_flows_unplaced: unplaced }),
    };
  },
});
