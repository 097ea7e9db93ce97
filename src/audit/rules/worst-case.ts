/**
 * Worst case: one secret or node whose compromise reaches a large share of the fleet. The blast radius comes from
 * the what-if ranking (whatif/rank.ts) over what the scan stored, so the finding and `longwatch whatif` agree.
 */
import { z } from "zod";
import type { Severity } from "../../core/severity.ts";
import { RANKABLE_KINDS, rankAll, type RankableKind } from "../../whatif/rank.ts";
import { defineRule } from "../rule.ts";

/** Secrets an attacker can reuse everywhere count more than nodes every fleet shares by design. */
const SEVERITY: Record<RankableKind, Severity> = { credential: "high", cert: "high", ca: "medium", endpoint: "medium", firmware: "low", component: "low", model: "low", provider: "low" };

const WHAT: Record<RankableKind, string> = {
  ca: "CA", cert: "certificate", credential: "credential", firmware: "firmware image", component: "component", endpoint: "endpoint", model: "model", provider: "provider",
};

const Params = z
  .object({
    share: z.number().gt(0).max(1).default(0.05).describe("Raise a finding when one node reaches more than this share of the fleet (0.05 = 5 %)."),
    min_devices: z.number().int().min(1).default(2).describe("…and at least this many devices (a one-device fleet is not a single point of compromise)."),
    kinds: z
      .array(z.enum(RANKABLE_KINDS))
      .default(["ca", "cert", "credential", "firmware", "endpoint"])
      .describe("Which kinds of node to judge. Components are left out by default: every library of a popular firmware image would qualify; add `component` to see them."),
  })
  .strict();

export const singlePointOfCompromise = defineRule({
  id: "single-point-of-compromise",
  family: "worst-case",
  title: "One secret or node reaches a large share of the fleet",
  severity: "medium",
  // CRA Annex I 1.2(k): products shall be designed to reduce the impact of an incident — a node that reaches most of the fleet maximises it.
  standards: ["EU-CRA:I.1.2.k"],
  rationale:
    "If one CA key, one shared password, one certificate, one firmware image or one cloud endpoint is compromised, every device that depends on it falls at once. Experts' first advice for IoT fleets is to think through that worst case before it happens: know which nodes reach most of the fleet, protect them most, and have a plan to recover the devices they reach.",
  remediation:
    "Run `longwatch whatif compromise TARGET` (the target is in the finding) to see which devices fall, what data they carry, whether they can be fixed over the air and the response plan. Then reduce the blast radius where you can (unique credentials per device, issuing CAs per product line or region, keys in an HSM), and rehearse the response for the rest.",
  params: Params,
  start(ctx) {
    return {
      async finish() {
        const r = await rankAll(ctx.services.store, { kinds: ctx.params.kinds, minDevices: ctx.params.min_devices });
        for (const n of r.nodes) {
          if (n.share <= ctx.params.share) continue;
          ctx.report({
            subject: n.target,
            title: `One ${WHAT[n.kind]} reaches ${n.devices} devices (${(n.share * 100).toFixed(1)} % of the fleet): ${n.label}`,
            severity: SEVERITY[n.kind],
            // The devices are not listed (the what-if lists them): the count still reaches the summaries.
            reach: n.devices,
            evidence: { kind: n.kind, target: n.target, node: n.label, devices: n.devices, fleet_devices: r.fleet_devices, share: n.share, threshold: ctx.params.share, ask: `longwatch whatif compromise ${n.target}` },
          });
        }
      },
    };
  },
});

export const worstCaseRules = [singlePointOfCompromise];
