/**
 * mud-violation: a device of a model with a MUD file (imported with `longwatch import mud`) communicates in a way the
 * file does not allow — another host, port or protocol, or a connection opened from outside where the file allows
 * only connections the device opens. A MUD-enforcing network would have blocked it, so either the MUD file is out of
 * date or the device does something its maker did not intend.
 */
import { z } from "zod";
import { destinationText } from "../../flows/classify.ts";
import { defineDetector } from "../detector.ts";
import { classifyFlow, flowContextOf, HourlyGate } from "./flow-privacy.ts";

export const mudViolation = defineDetector({
  id: "mud-violation",
  title: "Device traffic outside its MUD file",
  severity: "high",
  kinds: ["flow"],
  warmup: "None: the model's MUD file is the baseline (models without one are not judged).",
  why: "A MUD file (RFC 8520) is the maker's statement of what the device needs to talk to; networks enforce it to shrink what an attacker can do with a compromised device. Traffic outside it means the file no longer describes the device, or the device is doing something it should not — and a network enforcing the file would already be blocking it.",
  summary: "{device} {what} {dest}, which the MUD file of model {model} ({url}) does not allow: {why}.",
  action: "Check whether the maker changed the device (a firmware update with new services) and ask for an updated MUD file; if not, treat the device as possibly compromised: isolate it and inspect it.",
  standards: ["ETSI-EN-303-645:6-1", "ETSI-EN-303-645:5.6-1"],
  attack: ["T1071", "T0869"],
  params: z.object({ inbound: z.boolean().default(true).describe("Also judge connections opened from outside to the device.") }),
  create(ctx) {
    const fc = flowContextOf(ctx.fleet);
    if (!fc) return {};
    const gate = new HourlyGate(ctx.columns, "mud");
    return {
      record(rec) {
        const c = classifyFlow(rec, ctx.fleet, fc, ctx.params.inbound);
        if (!c || c.mudAllowed !== false || !gate.pass(rec.device, c.id, rec.ts)) return;
        const decl = fc.policy(c.model)?.decl;
        ctx.raise({
          device: rec.device,
          key: `mud:${c.name}:${c.port ?? ""}:${c.outbound ? "out" : "in"}`,
          ts: rec.ts,
          confidence: 0.9,
          evidence: { destination: c.name, address: c.address, port: c.port ?? null, protocol: c.proto ?? null, direction: c.outbound ? "from-device" : "to-device", why: c.mudWhy ?? "not in the MUD file", mud_url: decl?.mud?.url ?? decl?.mud_url ?? null, mud_file: decl?.mud?.file ?? null, model: c.model },
          vars: { what: c.outbound ? "opened a connection to" : "accepted a connection from", dest: destinationText(c), model: c.model ?? "(unknown)", url: decl?.mud?.url ?? decl?.mud_url ?? "no URL", why: c.mudWhy ?? "not in the file" },
          rec,
        });
      },
    };
  },
});
