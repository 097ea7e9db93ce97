/** Updates & support: can devices be fixed in the field, and does someone still provide the fixes? */
import { z } from "zod";
import { DAY_MS, formatIsoDate, parseIsoDate, yearsBetween } from "../../core/dates.ts";
import { plannedRetirement } from "../../core/retirement.ts";
import { compareGenericVersions } from "../../core/version.ts";
import { defineRule } from "../rule.ts";
import { DeviceGroups, plural } from "./group.ts";

/** Parses a model's date once per scan, not once per device. */
function modelDate(cache: Map<string, number | undefined>, modelId: string, iso: string | undefined): number | undefined {
  if (cache.has(modelId)) return cache.get(modelId);
  const ms = iso !== undefined ? parseIsoDate(iso) : undefined;
  cache.set(modelId, ms);
  return ms;
}

const noParams = z.object({}).strict();

export const noOta = defineRule({
  id: "no-ota",
  family: "updates",
  title: "Firmware cannot be updated over the air",
  severity: "high",
  // Not ETSI 5.3-1/5.3-2 nor NISTIR software-update: they ask for a secure update mechanism, which a local (cable)
  // update can provide. What OTA's absence does show is no automatic updates in the field (CRA) and, for a fleet,
  // no practical way to update (OWASP I4).
  standards: ["EU-CRA:I.1.2.c", "OWASP-IoT-2018:I4"],
  rationale:
    "Every device will need security fixes during its life: new weaknesses are found in the software it runs long after it ships. A device that can only be updated by someone visiting it with a cable stays vulnerable for years, because in practice those visits rarely happen across a whole fleet.",
  remediation:
    "Ask the manufacturer whether an over-the-air update mechanism exists or can be enabled (often it is a firmware or licence option). If not, plan how you will patch these devices (site visits, replacement) and shorten their planned field life; isolate them on the network until then. Require OTA updates with signed firmware in future purchases.",
  params: noParams,
  start(ctx) {
    const groups = new DeviceGroups();
    return {
      device(v) {
        if (v.model?.ota_capable === false) groups.add(v.model.model_id, v.device.device_id, undefined);
      },
      finish() {
        for (const [model, g] of groups.entries()) {
          ctx.report({
            subject: model,
            model_id: model,
            devices: g.devices,
            title: `${plural(g.devices.length, "device")} of model ${model} cannot receive updates over the air`,
            evidence: { model_id: model, ota_capable: false, device_count: g.devices.length },
          });
        }
      },
    };
  },
});

export const staleFirmware = defineRule({
  id: "stale-firmware",
  family: "updates",
  title: "Device runs outdated firmware",
  severity: "medium",
  standards: ["ETSI-EN-303-645:5.3-8", "EU-CRA:I.1.2.c", "NISTIR-8259A:software-update", "OWASP-IoT-2018:I4"],
  rationale:
    "The manufacturer has released newer firmware for this model, and newer firmware usually carries security fixes. Devices that stay on old releases keep the weaknesses those fixes closed, and attackers study release notes to find them.",
  remediation:
    "Roll the latest firmware out to the listed devices, starting with those exposed to the internet. If updates fail or are not applied automatically, find out why (connectivity, storage, a disabled update setting) and fix the update path itself.",
  params: z
    .object({ grace_days: z.number().int().min(0).default(90).describe("Days after a release before lagging devices count as high severity.") })
    .strict(),
  start(ctx) {
    const groups = new DeviceGroups<{ model: string; firmware: string; latest: string; latestDate: string | undefined }>();
    // A fleet runs few distinct (model, firmware) pairs: compare each pair once.
    const behind = new Map<string, boolean>();
    return {
      device(v) {
        const m = v.model;
        const fw = v.device.firmware_version;
        if (!m?.latest_firmware || fw === undefined) return;
        const pair = `${m.model_id}\0${fw}`;
        let old = behind.get(pair);
        if (old === undefined) behind.set(pair, (old = compareGenericVersions(fw, m.latest_firmware) < 0));
        if (!old) return;
        groups.add(`${m.model_id}\0${fw}`, v.device.device_id, { model: m.model_id, firmware: fw, latest: m.latest_firmware, latestDate: m.latest_firmware_date });
      },
      finish() {
        for (const [key, g] of groups.entries()) {
          const { model, firmware, latest, latestDate } = g.info;
          const released = latestDate !== undefined ? parseIsoDate(latestDate) : undefined;
          const daysAvailable = released !== undefined ? Math.floor((ctx.now - released) / DAY_MS) : undefined;
          const overdue = daysAvailable !== undefined && daysAvailable > ctx.params.grace_days;
          ctx.report({
            subject: key,
            model_id: model,
            devices: g.devices,
            severity: overdue ? "high" : "medium",
            title: `${plural(g.devices.length, "device")} of model ${model} ${g.devices.length === 1 ? "runs" : "run"} firmware ${firmware}; ${latest} is available`,
            evidence: { model_id: model, firmware_version: firmware, latest_firmware: latest, latest_firmware_date: latestDate, days_available: daysAvailable, device_count: g.devices.length },
          });
        }
      },
    };
  },
});

export const supportEnded = defineRule({
  id: "support-ended",
  family: "updates",
  title: "Manufacturer support has ended",
  severity: "high",
  // Not ETSI 5.3-13: that provision asks for the support period to be published, and here it is known.
  standards: ["EU-CRA:I.2.2", "OWASP-IoT-2018:I8"],
  rationale:
    "After the end of its support period the manufacturer no longer fixes security problems in this model. Any weakness found from now on stays open for good, and attackers know that unsupported devices are easy targets.",
  remediation:
    "Plan to replace these devices. Until then, reduce what they can reach and what can reach them (private APN or VLAN, no inbound access), watch them closely, and ask the manufacturer whether extended support can be bought.",
  params: noParams,
  start(ctx) {
    const groups = new DeviceGroups<string>();
    const ends = new Map<string, number | undefined>();
    return {
      device(v) {
        if (!v.model) return;
        const end = modelDate(ends, v.model.model_id, v.model.support_end);
        if (end !== undefined && end < ctx.now) groups.add(v.model.model_id, v.device.device_id, v.model.support_end!);
      },
      finish() {
        for (const [model, g] of groups.entries()) {
          const days = Math.floor((ctx.now - parseIsoDate(g.info)!) / DAY_MS);
          ctx.report({
            subject: model,
            model_id: model,
            devices: g.devices,
            title: `Support for model ${model} ended on ${g.info} (${plural(g.devices.length, "device")} still in the field)`,
            evidence: { model_id: model, support_end: g.info, days_since_end: days, device_count: g.devices.length },
          });
        }
      },
    };
  },
});

export const supportEndsBeforeRetirement = defineRule({
  id: "support-ends-before-retirement",
  family: "updates",
  title: "Support ends before the devices are retired",
  severity: "medium",
  // Not ETSI 5.3-13: that provision asks for the support period to be published, and here it is known.
  standards: ["EU-CRA:I.2.2", "OWASP-IoT-2018:I8"],
  rationale:
    "These devices are planned to stay in the field after the manufacturer stops providing security updates. For those last years they will run with every weakness discovered after support ended.",
  remediation:
    "Negotiate a support period that covers the planned field life, or plan to replace the devices when support ends. Record the decision so that it is a known, accepted risk rather than a surprise.",
  params: noParams,
  start(ctx) {
    const groups = new DeviceGroups<{ end: string; endMs: number; latestRetire: number }>();
    const ends = new Map<string, number | undefined>();
    return {
      device(v) {
        const m = v.model;
        const endMs = m ? modelDate(ends, m.model_id, m.support_end) : undefined;
        if (endMs === undefined || endMs < ctx.now) return; // support-ended covers the past
        const retire = plannedRetirement(v.device, m);
        if (retire === undefined || retire <= endMs) return;
        const info = groups.add(m!.model_id, v.device.device_id, { end: m!.support_end!, endMs, latestRetire: retire });
        if (retire > info.latestRetire) info.latestRetire = retire;
      },
      finish() {
        for (const [model, g] of groups.entries()) {
          const gap = Math.round(yearsBetween(g.info.endMs, g.info.latestRetire) * 10) / 10;
          ctx.report({
            subject: model,
            model_id: model,
            devices: g.devices,
            title: `Support for model ${model} ends ${g.info.end}, up to ${gap} years before ${plural(g.devices.length, "device")} are retired`,
            evidence: { model_id: model, support_end: g.info.end, latest_retirement: formatIsoDate(g.info.latestRetire), years_unsupported: gap, device_count: g.devices.length },
          });
        }
      },
    };
  },
});

export const noSupportPeriod = defineRule({
  id: "no-support-period",
  family: "updates",
  title: "No defined support period",
  severity: "medium",
  standards: ["ETSI-EN-303-645:5.3-13", "UK-PSTI:3", "OWASP-IoT-2018:I8"],
  rationale:
    "Nobody has said until when this model will receive security updates. Without that date you cannot plan replacements, and in the UK (PSTI) and the EU (CRA) the manufacturer must publish it.",
  remediation:
    "Ask the manufacturer for the published end date of the support period and record it as support_end in the model file. If they cannot give one, treat the model as unsupported when planning.",
  params: noParams,
  start(ctx) {
    const groups = new DeviceGroups();
    return {
      device(v) {
        if (v.model && v.model.support_end === undefined) groups.add(v.model.model_id, v.device.device_id, undefined);
      },
      finish() {
        for (const [model, g] of groups.entries()) {
          ctx.report({
            subject: model,
            model_id: model,
            devices: g.devices,
            title: `Model ${model} has no published end of support (${plural(g.devices.length, "device")})`,
            evidence: { model_id: model, support_end: null, device_count: g.devices.length },
          });
        }
      },
    };
  },
});

export const noDisclosurePolicy = defineRule({
  id: "no-disclosure-policy",
  family: "updates",
  title: "No vulnerability disclosure policy",
  severity: "medium",
  standards: ["ETSI-EN-303-645:5.2-1", "UK-PSTI:2", "EU-CRA:I.2.5", "EU-CRA:I.2.6", "OWASP-IoT-2018:I8"],
  rationale:
    "When a researcher finds a security problem in this model, there is no known way to tell the manufacturer. Problems that cannot be reported do not get fixed, and UK PSTI and the EU CRA require a published point of contact.",
  remediation:
    "Find the manufacturer's vulnerability disclosure policy (often /security or security.txt on their website) and record it as vuln_disclosure_url. If there is none, ask them to publish one, and weigh that in future purchases.",
  params: noParams,
  start(ctx) {
    const groups = new DeviceGroups();
    return {
      device(v) {
        if (v.model && v.model.vuln_disclosure_url === undefined) groups.add(v.model.model_id, v.device.device_id, undefined);
      },
      finish() {
        for (const [model, g] of groups.entries()) {
          ctx.report({
            subject: model,
            model_id: model,
            devices: g.devices,
            title: `Model ${model} has no known vulnerability disclosure policy (${plural(g.devices.length, "device")})`,
            evidence: { model_id: model, vuln_disclosure_url: null, device_count: g.devices.length },
          });
        }
      },
    };
  },
});

export const updateRules = [noOta, staleFirmware, supportEnded, supportEndsBeforeRetirement, noSupportPeriod, noDisclosurePolicy];
