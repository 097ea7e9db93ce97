/** Connectivity: how the cellular SIM in each device is configured at the connectivity provider. */
import { z } from "zod";
import type { StoredDevice } from "../../store/store.ts";
import { defineRule } from "../rule.ts";

/** A device has a SIM when any cellular subscription identity or SIM setting is recorded for it. */
export function hasSim(d: StoredDevice): boolean {
  return (
    d.iccid !== undefined ||
    d.imsi !== undefined ||
    d.msisdn !== undefined ||
    d.sim_imei_lock !== undefined ||
    d.sim_sms_enabled !== undefined ||
    d.sim_public_ip !== undefined ||
    d.sim_allowed_countries !== undefined ||
    d.sim_apn !== undefined
  );
}

export const simNoImeiLock = defineRule({
  id: "sim-no-imei-lock",
  family: "connectivity",
  title: "SIM not locked to its device (no IMEI lock)",
  severity: "medium",
  standards: ["EU-CRA:I.1.2.d", "OWASP-IoT-2018:I10"],
  rationale:
    "Without an IMEI lock, anyone who takes the SIM out of the device can put it in a phone or modem and use it: run up data and SMS costs, or reach your private network and back-end services as if they were the device.",
  remediation:
    "Turn on the IMEI lock (sometimes called IMEI binding or device lock) for these SIMs in your connectivity provider's portal or API, binding each SIM to the IMEI of its device. Record it as sim_imei_lock=true.",
  params: z.object({ report_unknown: z.boolean().default(false).describe("Also report SIMs whose lock setting is not recorded.") }).strict(),
  start(ctx) {
    return {
      device(v) {
        const d = v.device;
        if (!hasSim(d) || d.sim_imei_lock === true) return;
        if (d.sim_imei_lock === undefined && !ctx.params.report_unknown) return;
        const known = d.sim_imei_lock === false;
        ctx.report({
          subject: d.device_id,
          device_id: d.device_id,
          title: known ? "SIM has no IMEI lock" : "SIM IMEI lock setting is not recorded",
          ...(known ? {} : { severity: "low" as const }),
          evidence: { sim_imei_lock: d.sim_imei_lock ?? null, iccid: d.iccid ?? null, imei: d.imei ?? null },
        });
      },
    };
  },
});

export const simRoamingUnrestricted = defineRule({
  id: "sim-roaming-unrestricted",
  family: "connectivity",
  title: "SIM may attach in any country",
  severity: "medium",
  standards: ["EU-CRA:I.1.2.j", "OWASP-IoT-2018:I9"],
  rationale:
    "A device that is installed in one place should only ever attach to networks in the countries where it is used. Allowing every country means a stolen SIM works anywhere, and an unexpected attach abroad cannot be told apart from normal use.",
  remediation:
    "Restrict the SIMs to the countries (or networks) where these devices operate, in your connectivity provider's portal, and record them in sim_allowed_countries. Longwatch's detection then alerts on attaches elsewhere.",
  params: z.object({ max_countries: z.number().int().min(0).default(0).describe("Also report allow-lists longer than this; 0 = only `*`.") }).strict(),
  start(ctx) {
    return {
      device(v) {
        const list = v.device.sim_allowed_countries;
        if (list === undefined) return;
        const unrestricted = list.includes("*");
        const tooMany = ctx.params.max_countries > 0 && list.length > ctx.params.max_countries;
        if (!unrestricted && !tooMany) return;
        ctx.report({
          subject: v.device.device_id,
          device_id: v.device.device_id,
          title: unrestricted ? "SIM may roam into any country" : `SIM may attach in ${list.length} countries`,
          evidence: { sim_allowed_countries: list, installed_in: v.device.country ?? null },
        });
      },
    };
  },
});

export const simSmsOnDataDevice = defineRule({
  id: "sim-sms-on-data-device",
  family: "connectivity",
  title: "SMS enabled on a data-only device",
  severity: "medium",
  standards: ["ETSI-EN-303-645:5.6-1", "EU-CRA:I.1.2.j", "OWASP-IoT-2018:I2"],
  rationale:
    "This model uses only data, yet SMS is switched on for its SIM. SMS is then an unused way in: attackers have used crafted SMS messages to configure devices remotely or to attack the SIM itself.",
  remediation: "Disable SMS (mobile-originated and mobile-terminated) for these SIMs in the connectivity provider's portal and record sim_sms_enabled=false.",
  params: z.object({}).strict(),
  start(ctx) {
    return {
      device(v) {
        if (v.model?.data_only !== true || v.device.sim_sms_enabled !== true) return;
        ctx.report({
          subject: v.device.device_id,
          device_id: v.device.device_id,
          model_id: v.model.model_id,
          title: "SMS is enabled although the model uses data only",
          evidence: { data_only: true, sim_sms_enabled: true },
        });
      },
    };
  },
});

export const simPublicIp = defineRule({
  id: "sim-public-ip",
  family: "connectivity",
  title: "Device reachable on a public IP address",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.6-1", "EU-CRA:I.1.2.j", "OWASP-IoT-2018:I2"],
  attack: ["T0883"],
  rationale:
    "With a public IP address the device can be reached by anyone on the internet. Scanners find such devices within minutes and try default passwords and known exploits against every open service.",
  remediation:
    "Move these SIMs to a private APN or an IP pool behind the provider's firewall so that the device can only be reached through your own back end (VPN or private network). If inbound access is needed, allow only your own addresses.",
  params: z.object({}).strict(),
  start(ctx) {
    return {
      device(v) {
        if (v.device.sim_public_ip !== true) return;
        ctx.report({
          subject: v.device.device_id,
          device_id: v.device.device_id,
          title: "SIM has a public IP address",
          evidence: { sim_public_ip: true, sim_apn: v.device.sim_apn ?? null, open_services: v.device.open_services ?? [] },
        });
      },
    };
  },
});

export const connectivityRules = [simNoImeiLock, simRoamingUnrestricted, simSmsOnDataDevice, simPublicIp];
