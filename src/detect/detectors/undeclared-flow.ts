/**
 * undeclared-flow: a device of a model with declared flows (flows.yaml, `flows:` in models.yaml) sends data to a
 * destination the declaration does not list — by name, address block, port, protocol or direction. Unlike
 * new-destination it needs no learning: the declaration is the baseline, so the first such flow alerts. Models whose
 * only declaration is an imported MUD file are left to mud-violation, so one flow does not raise two alerts.
 */
import { z } from "zod";
import { destinationText } from "../../flows/classify.ts";
import { defineDetector } from "../detector.ts";
import { carried, classifyFlow, countryText, flowContextOf, HourlyGate, isPersonal, LocationProducers, partyText } from "./flow-privacy.ts";

const params = z.object({
  local: z.boolean().default(true).describe("Also judge flows to other hosts inside the local networks (MUD local-networks)."),
});

export const undeclaredFlow = defineDetector({
  id: "undeclared-flow",
  title: "Device sends data to a destination its model does not declare",
  severity: "medium",
  kinds: ["flow", "connectivity", "metric"],
  warmup: "None: the model's flow declaration is the baseline (models without one are not judged).",
  why: "What a device sends, to whom and why must be declared so users can be told (ETSI EN 303 645 provision 6-1) and so the declaration can be enforced. A destination outside it is either an undocumented data flow — a privacy problem even when harmless — or a sign the device does something its maker never intended.",
  summary: "{device} sent data to {dest}, which model {model} does not declare ({why}). It goes to {party} {country}{data}.",
  action: "If the destination is legitimate, add it to the model's declaration (flows.yaml: purpose, data, jurisdictions, retention) and to what users are told; if not, block it and find out what on the device sends there.",
  standards: ["ETSI-EN-303-645:6-1", "ETSI-EN-303-645:6-5", "GDPR:5(1)(b)", "GDPR:13"],
  attack: ["T1041", "T0869"],
  params,
  create(ctx) {
    const fc = flowContextOf(ctx.fleet);
    if (!fc) return {};
    const gate = new HourlyGate(ctx.columns, "undeclared");
    const loc = new LocationProducers(ctx.columns, "undeclared");
    return {
      record(rec) {
        if (rec.kind !== 1) return loc.note(rec);
        const c = classifyFlow(rec, ctx.fleet, fc);
        if (!c || c.declared >= 0 || (c.local && !ctx.params.local)) return;
        const policy = fc.policy(c.model);
        if (!policy?.declaredByHand || !gate.pass(rec.device, c.id, rec.ts)) return;
        const data = carried(c, loc.has(rec.device));
        const personal = isPersonal(data.categories);
        ctx.raise({
          device: rec.device,
          key: `dest:${c.name}:${c.port ?? ""}`,
          ts: rec.ts,
          confidence: c.nameSource === "address" ? 0.8 : 0.9,
          severity: c.party === "tracker" || personal ? "high" : "medium",
          evidence: {
            destination: c.name,
            address: c.address,
            port: c.port ?? null,
            protocol: c.proto ?? null,
            name_source: c.nameSource,
            why: c.declaredWhy ?? "not declared",
            party: c.party,
            owner: c.owner ?? null,
            country: c.country ?? null,
            purpose_guess: c.purpose ?? null,
            may_carry: data.categories,
            model: c.model,
            declared_destinations: policy.decl.destinations.length,
          },
          vars: { dest: destinationText(c), model: c.model ?? "(unknown)", why: c.declaredWhy ?? "not declared", party: partyText(c), country: countryText(c), data: personal ? `; it may carry ${data.categories.join(" and ")} data` : "" },
          rec,
        });
      },
      extraBytes: () => fc.bytes(),
      summary: () => ({ destinations_classified: fc.entries.length, classification_cache_full: fc.stats.uncached, ledger_rows: fc.ledger?.size ?? 0, ledger_dropped: fc.ledger?.dropped ?? 0, flows_counted_before: fc.stats.alreadyCounted }),
    };
  },
});
